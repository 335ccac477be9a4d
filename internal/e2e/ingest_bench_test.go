package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/loadgen"
)

// BenchmarkIngestHTTP measures POST /v1/events of the real binary over
// loopback, driven by loadgen, against a bare net/http handler that answers
// 204 without doing anything (the ceiling of the load generator and HTTP on
// this machine):
//
//	go test ./internal/e2e -run '^$' -bench IngestHTTP
//
// Each sub-benchmark runs the load once for a fixed duration (5 s, or
// PRESAGE_BENCH_DURATION) whatever b.N is, and reports req/s, events/s and
// ack latency with b.ReportMetric; ns/op is the wall time per acknowledged
// request. A fixed duration at a fixed concurrency is what makes the figures
// of one run comparable as ratios (sqlite-batch50 vs bare, postgres-single vs
// sqlite-single …); scaling the run with b.N would give every case a
// different length and let warm-up weigh differently. One 5 s iteration
// already exceeds the default -benchtime, so the framework does not ask for
// more; with a longer -benchtime it calls again with a larger b.N, and each
// call repeats the whole fixed-duration run (use -benchtime=1x to avoid that).
//
// The load generator runs in the test process, on the same machine as the
// server: figures are relative, not a capacity plan. "bare" uses single-event
// batches, the most request-bound case.
func BenchmarkIngestHTTP(b *testing.B) {
	for _, c := range []struct {
		name    string
		storage func(testing.TB) Storage // nil: the bare handler
		batch   int
	}{
		{"bare", nil, 1},
		{"sqlite-single", sqliteStorage, 1},
		{"sqlite-batch50", sqliteStorage, 50},
		{"postgres-single", postgresStorage, 1},
		{"postgres-batch50", postgresStorage, 50},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.StopTimer()
			const origin = "http://bench.e2e.test"
			var target, siteKey string
			if c.storage == nil {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					w.WriteHeader(http.StatusNoContent)
				}))
				b.Cleanup(srv.Close)
				target, siteKey = srv.URL, "pk_bare"
			} else {
				st := c.storage(b)
				org := createOrg(b, st, "bench", origin)
				target, siteKey = startServer(b, "server", st).URL, org.SiteKey
			}
			b.StartTimer()
			rep, err := loadgen.Run(b.Context(), loadgen.Config{
				URL:         target,
				SiteKey:     siteKey,
				Origin:      origin,
				Concurrency: benchConcurrency,
				BatchSize:   c.batch,
				Duration:    benchDuration(),
				Visitors:    1000,
			})
			b.StopTimer()
			if err != nil {
				b.Fatalf("loadgen: %v", err)
			}
			b.Logf("%s:\n%s", c.name, rep)
			if rep.Requests == 0 || rep.Errors > 0 {
				b.Fatalf("%d requests acknowledged, %d errors (first: %s)", rep.Requests, rep.Errors, rep.FirstError)
			}
			b.ReportMetric(float64(rep.Elapsed.Nanoseconds())/float64(rep.Requests), "ns/op")
			b.ReportMetric(rep.RequestsPerSec, "req/s")
			b.ReportMetric(rep.EventsPerSec, "events/s")
			b.ReportMetric(float64(rep.P50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(rep.P99.Microseconds())/1000, "p99-ms")
		})
	}
}

// benchConcurrency is the number of simulated tabs: enough to keep both cores
// of a small server busy while leaving batching to the server.
const benchConcurrency = 16

// benchDuration is how long each sub-benchmark sends load.
func benchDuration() time.Duration {
	if s := os.Getenv("PRESAGE_BENCH_DURATION"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return d
		}
	}
	return 5 * time.Second
}
