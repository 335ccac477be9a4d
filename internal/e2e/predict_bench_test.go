package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/loadgen"
	"github.com/presage-dev/presage/internal/testwait"
)

// benchOutcomes are ten outcomes of the load generator's shop, of every
// condition kind, so "on" scores ten outcomes after every event.
var benchOutcomes = [][]string{
	{"--name", "checkout", "--direction", "maximize", "--event", "checkout_started"},
	{"--name", "big-checkout", "--direction", "maximize", "--event", "checkout_started", "--attr", "value > 100"},
	{"--name", "premium-product", "--direction", "maximize", "--event", "product_added", "--attr", "price > 50"},
	{"--name", "gift", "--direction", "maximize", "--event", "product_added", "--attr", "gift = true"},
	{"--name", "newsletter", "--direction", "maximize", "--form", "newsletter"},
	{"--name", "checkout-form", "--direction", "maximize", "--form", "checkout"},
	{"--name", "contact", "--direction", "minimize", "--form", "contact"},
	{"--name", "any-form", "--direction", "maximize", "--form"},
	{"--name", "product-page", "--direction", "maximize", "--page", "/products/**"},
	{"--name", "cart-page", "--direction", "maximize", "--page", "/cart*"},
}

// BenchmarkIngestPrediction measures batched ingestion (50 events a batch,
// 16 clients) of the real binary with prediction off (no outcomes defined)
// and on (ten outcomes scored after every event), one after the other in
// one run, and reports on/off as a ratio. Both cases first run the same
// warm-up load; in "on" its sessions, ended after a 10 s session timeout,
// train the models, so scoring reads trained models of the default size;
// the measurement starts once the trainer has learned every warm-up session
// and, lasting less than the timeout, ends before any of its own sessions
// do. What is measured is therefore the cost of scoring in the collector;
// the trainer's cost per ended session is measured on its own
// (BenchmarkTrainerSessions in internal/app). The 10 s timeout stays above
// the load generator's gap between two batches of one visitor (about 3.5 s
// at 16 clients over 1,000 visitors), so warm-up sessions are not cut in
// pieces:
//
//	go test ./internal/e2e -run '^$' -bench IngestPrediction -benchtime 1x
func BenchmarkIngestPrediction(b *testing.B) {
	const origin = "http://bench.e2e.test"
	for _, engine := range []struct {
		name    string
		storage func(testing.TB) Storage
	}{{"sqlite", sqliteStorage}, {"postgres", postgresStorage}} {
		var off float64
		for _, on := range []bool{false, true} {
			name := engine.name + "-batch50-predict-off"
			if on {
				name = engine.name + "-batch50-predict-on"
			}
			b.Run(name, func(b *testing.B) {
				b.StopTimer()
				st := engine.storage(b)
				org := createOrg(b, st, "bench", origin)
				load := func(d time.Duration, url string) (loadgen.Report, error) {
					return loadgen.Run(b.Context(), loadgen.Config{URL: url, SiteKey: org.SiteKey, Origin: origin,
						Concurrency: benchConcurrency, BatchSize: 50, Duration: d, Visitors: 1000})
				}
				// Both cases get the same warm-up, so both measure on a
				// database of the same size.
				var key Key
				if on {
					for _, o := range benchOutcomes {
						runCLI(b, append(append([]string{"outcome", "create", "--org", org.ID}, o...), st.flags()...)...)
					}
					key = createKey(b, st, org.ID, "bench", "read")
				}
				srv := startServer(b, "server", st, "--session-timeout", "10s")
				if _, err := load(4*time.Second, srv.URL); err != nil {
					b.Fatalf("warm-up: %v", err)
				}
				// Every warm-up session has ended and settled: the server's own
				// clock must pass the 10 s session timeout and the trainer's 10 s
				// settling delay, and another process's clock cannot be moved on
				// from here.
				time.Sleep(21 * time.Second)
				if on {
					waitTrained(b, srv, key.Key)
				}
				b.StartTimer()
				rep, err := load(benchDuration(), srv.URL)
				b.StopTimer()
				if err != nil {
					b.Fatalf("loadgen: %v", err)
				}
				b.Logf("%s:\n%s", name, rep)
				if rep.Requests == 0 || rep.Errors > 0 {
					b.Fatalf("%d requests acknowledged, %d errors (first: %s)", rep.Requests, rep.Errors, rep.FirstError)
				}
				b.ReportMetric(float64(rep.Elapsed.Nanoseconds())/float64(rep.Requests), "ns/op")
				b.ReportMetric(rep.EventsPerSec, "events/s")
				b.ReportMetric(float64(rep.P99.Microseconds())/1000, "p99-ms")
				if !on {
					off = rep.EventsPerSec
				} else if off > 0 {
					b.ReportMetric(rep.EventsPerSec/off, "on/off")
				}
			})
		}
	}
}

// waitTrained waits until every outcome of the key's organization has a
// checkpointed model and the trainer has learned every ended session (the
// first model's session count stops moving), read through the API.
func waitTrained(b *testing.B, srv *Server, key string) {
	b.Helper()
	get := func(path string, out any) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
	}
	var outcomes struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	get("/api/v1/outcomes", &outcomes)
	type model struct {
		Version  int64 `json:"version"`
		Sessions int64 `json:"sessions"`
	}
	deadline := time.Now().Add(90 * time.Second)
	for _, o := range outcomes.Data {
		if !testwait.Poll(time.Until(deadline), func() bool {
			var m model
			get("/api/v1/outcomes/"+o.ID+"/model", &m)
			return m.Version > 0
		}) {
			b.Fatalf("outcome %s has no model after the warm-up", o.ID)
		}
	}
	var last model
	for stable := 0; stable < 3; {
		var m model
		get("/api/v1/outcomes/"+outcomes.Data[0].ID+"/model", &m)
		if m.Sessions == last.Sessions {
			stable++
		} else {
			stable = 0
		}
		last = m
		if time.Now().After(deadline) {
			b.Fatalf("the trainer is still learning warm-up sessions (%d so far)", m.Sessions)
		}
		// "Stopped moving" means unchanged over some time: this pacing is
		// the measurement, not a wait for a condition.
		time.Sleep(time.Second)
	}
	b.Logf("warm-up: %d sessions learned, model version %d", last.Sessions, last.Version)
}
