package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// BenchmarkCollectSealing measures the collector's throughput with
// encryption at rest on and off: the path of POST /v1/events from the
// decoded body to the acknowledged group commit (decode, site key, consent
// gate, enrichment, scoring, committer), 16 concurrent clients on a fresh
// database per case. "sealed" is the node's collector, over the sealing
// engine and the real key store beside the database; "clear" is the same
// collector over the engine without the decorator, which no node runs.
//
//	go test -run '^$' -bench BenchmarkCollectSealing -benchtime 4s -count 3 ./internal/app/
//
// Traffic, each shape as single events (1 per request) and batches (50):
//   - returning: 1,000 visitors, each request a visitor's next page view
//     in its session; each visitor's data key is created on its first
//     request and cached after, as on a node serving a site;
//   - new: every request from a visitor never seen before, whose data key
//     is created, durably, before its events commit (the worst case).
//
// -count interleaves the cases (sealed, clear, sealed, …), so that the
// machine's load weighs on both alike; compare events/s of one engine,
// shape and batch size.
func BenchmarkCollectSealing(b *testing.B) {
	type engine struct {
		name string
		cfg  func(testing.TB) Config
	}
	for _, e := range []engine{
		{"sqlite", func(t testing.TB) Config { return Config{DataDir: t.TempDir()} }},
		{"postgres", func(t testing.TB) Config { return Config{DataDir: t.TempDir(), DatabaseURL: storetest.PostgresURL(t)} }},
	} {
		for _, shape := range []string{"returning", "new"} {
			for _, perRequest := range []int{1, 50} {
				for _, sealedOn := range []bool{true, false} {
					mode := "clear"
					if sealedOn {
						mode = "sealed"
					}
					b.Run(fmt.Sprintf("%s/%s/events=%d/%s", e.name, shape, perRequest, mode), func(b *testing.B) {
						benchmarkCollectSealing(b, e.cfg(b), sealedOn, shape == "new", perRequest)
					})
				}
			}
		}
	}
}

func benchmarkCollectSealing(b *testing.B, cfg Config, sealedOn, newVisitors bool, perRequest int) {
	ctx := context.Background()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close(context.Background()) })
	org, err := a.Tenants.CreateOrganization(presage.AsOperator(ctx, ""), "Bench", []string{"https://bench.example"})
	if err != nil {
		b.Fatal(err)
	}
	admin := presage.WithPrincipal(ctx, presage.Principal{OrgID: org.ID, Scopes: presage.AllScopes})
	if _, err := a.Consents.SetPurposes(admin, consent.PurposesInput{Purposes: []consent.PurposeInput{{Name: consent.PurposeAnalytics,
		Basis: consent.BasisLegitimateInterest, Description: "Understanding how the shop is used."}}}); err != nil {
		b.Fatal(err)
	}
	svc := a.Collector
	if !sealedOn {
		committer := collect.NewCommitter(a.Storage.raw, collect.CommitterOptions{Workers: commitWorkers(cfg, a.Storage.raw.Engine())})
		b.Cleanup(func() { committer.Close(context.Background()) })
		svc = collect.NewService(a.Tenants, committer, collect.ServiceOptions{Gate: consentGate{consents: a.Consents,
			tombstones: privacy.NewTombstones(a.Storage.raw, time.Now)}, Scorer: a.Scorer, Logger: cfg.Logger})
	}
	const visitors = 1000
	run := presage.RandomToken(4) // visitor ids of this case only
	var seq atomic.Int64
	body := func() []byte {
		n := seq.Add(1)
		visitor := fmt.Sprintf("visitor-%s-%04d", run, n%visitors)
		if newVisitors {
			visitor = fmt.Sprintf("visitor-%s-%09d", run, n)
		}
		now := time.Now()
		events := make([]map[string]any, perRequest)
		for i := range events {
			events[i] = map[string]any{"id": fmt.Sprintf("evt-%s-%09d-%02d", run, n, i), "type": "pageview",
				"ts": now.UnixMilli(), "url": fmt.Sprintf("https://bench.example/products/category-%d/item-%d?utm_source=news&utm_medium=email", n%7, i),
				"title": fmt.Sprintf("Item %d — Shop Example, the finest goods", i), "referrer": "https://www.google.com/"}
		}
		raw, _ := json.Marshal(map[string]any{"siteKey": org.SiteKey, "visitorId": visitor,
			"sessionId": "session-" + visitor, "sentAt": now.UnixMilli(), "events": events})
		return raw
	}
	ip := netip.MustParseAddr("203.0.113.9")
	b.SetParallelism(8) // 16 concurrent clients on 2 cores, as in the HTTP benchmark
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.CollectFromSite(ctx, collect.SiteInput{Body: body(), Origin: "https://bench.example",
				UserAgent: chromeUA, IP: ip}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*perRequest)/time.Since(start).Seconds(), "events/s")
}
