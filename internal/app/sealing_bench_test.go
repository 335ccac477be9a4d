package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// BenchmarkCollectSealing measures the collector's throughput with
// encryption at rest on and off: the path of POST /v1/events from the
// decoded body to the acknowledged group commit (decode, site key, consent
// gate, enrichment, scoring, committer), 16 concurrent clients. "sealed" is
// the node's collector, over the sealing engine and the real key store
// beside the database; "clear" is the same collector over the engine
// without the decorator, which no node runs. Each has a fresh database.
//
//	go test -run '^$' -bench BenchmarkCollectSealing -benchtime 1x ./internal/app/
//
// Traffic, each shape as single events (1 per request) and batches (50):
//   - returning: 1,000 visitors, each request a visitor's next page view
//     in its session; each visitor's data key is made on its first request
//     and cached after, as on a node serving a site;
//   - sessions: each visitor sends 4 requests, its first visit's session,
//     then is not seen again: a quarter of the requests come from a visitor
//     never seen (the share of a site whose visits average 4 page views,
//     every visitor new);
//   - new: every request from a visitor never seen before (the worst case
//     for keys: each takes one from the node's pool, refilled by key-store
//     writes of up to 4,096 keys, and records it in its commit).
//
// Each case runs the load for 8 rounds of 750 ms, alternately sealed and
// clear (which goes first alternates too), so the machine's load (shared
// with other test runs) weighs on both alike, whatever b.N is. It reports
// events/s of each and sealed/clear, the ratio of their times per event
// (1.10 is 10 % slower).
func BenchmarkCollectSealing(b *testing.B) {
	type engine struct {
		name string
		cfg  func(testing.TB) Config
	}
	for _, e := range []engine{
		{"sqlite", func(t testing.TB) Config { return Config{DataDir: t.TempDir()} }},
		{"postgres", func(t testing.TB) Config { return Config{DataDir: t.TempDir(), DatabaseURL: storetest.PostgresURL(t)} }},
	} {
		for _, shape := range []string{"returning", "sessions", "new"} {
			for _, perRequest := range []int{1, 50} {
				b.Run(fmt.Sprintf("%s/%s/events=%d", e.name, shape, perRequest), func(b *testing.B) {
					sealedLoad := newSealingLoad(b, e.cfg(b), true, shape, perRequest)
					clearLoad := newSealingLoad(b, e.cfg(b), false, shape, perRequest)
					loads := []*sealingLoad{sealedLoad, clearLoad}
					for range b.N {
						for round := range 8 {
							for i := range loads {
								loads[(i+round)%2].run(b, 750*time.Millisecond)
							}
						}
					}
					s, c := sealedLoad.rate(), clearLoad.rate()
					b.ReportMetric(s, "sealed-events/s")
					b.ReportMetric(c, "clear-events/s")
					b.ReportMetric(c/s, "sealed/clear")
				})
			}
		}
	}
}

// sealingLoad is one collector of BenchmarkCollectSealing and what it
// acknowledged.
type sealingLoad struct {
	svc     *collect.Service
	body    func() []byte
	events  int64
	elapsed time.Duration
}

func newSealingLoad(b *testing.B, cfg Config, sealedOn bool, shape string, perRequest int) *sealingLoad {
	a := openBenchApp(b, cfg)
	org := benchOrganization(b, a)
	trackUnderLegitimateInterest(b, a, org.ID)
	l := &sealingLoad{svc: a.Collector}
	if !sealedOn {
		committer := collect.NewCommitter(a.Storage.raw, collect.CommitterOptions{Workers: commitWorkers(cfg, a.Storage.raw.Engine())})
		b.Cleanup(func() { committer.Close(context.Background()) })
		l.svc = collect.NewService(a.Tenants, committer, collect.ServiceOptions{Gate: consentGate{consents: a.Consents,
			tombstones: privacy.NewTombstones(a.Storage.raw, time.Now)}, Scorer: a.Scorer, Logger: a.log})
	}
	const visitors = 1000
	var seq atomic.Int64
	l.body = func() []byte {
		n := seq.Add(1)
		var visitor string
		switch shape {
		case "returning":
			visitor = fmt.Sprintf("visitor-%04d", n%visitors)
		case "sessions":
			visitor = fmt.Sprintf("visitor-%09d", n/4)
		default:
			visitor = fmt.Sprintf("visitor-%09d", n)
		}
		now := time.Now()
		events := make([]map[string]any, perRequest)
		for i := range events {
			events[i] = map[string]any{"id": fmt.Sprintf("evt-%09d-%02d", n, i), "type": "pageview",
				"ts": now.UnixMilli(), "url": fmt.Sprintf("https://bench.example/products/category-%d/item-%d?utm_source=news&utm_medium=email", n%7, i),
				"title": fmt.Sprintf("Item %d — Shop Example, the finest goods", i), "referrer": "https://www.google.com/"}
		}
		raw, _ := json.Marshal(map[string]any{"siteKey": org.SiteKey, "visitorId": visitor,
			"sessionId": "session-" + visitor, "sentAt": now.UnixMilli(), "events": events})
		return raw
	}
	return l
}

// run sends requests from 16 clients for d and adds what was acknowledged.
func (l *sealingLoad) run(b *testing.B, d time.Duration) {
	const clients = 16 // as in the HTTP benchmark, on 2 cores
	ip := netip.MustParseAddr("203.0.113.9")
	start := time.Now()
	deadline := start.Add(d)
	var events atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				out, err := l.svc.CollectFromSite(context.Background(), collect.SiteInput{Body: l.body(), Origin: "https://bench.example",
					UserAgent: chromeUA, IP: ip})
				if err != nil {
					b.Error(err)
					return
				}
				events.Add(int64(out.Stored))
			}
		})
	}
	wg.Wait()
	l.events += events.Load()
	l.elapsed += time.Since(start)
}

func (l *sealingLoad) rate() float64 { return float64(l.events) / l.elapsed.Seconds() }
