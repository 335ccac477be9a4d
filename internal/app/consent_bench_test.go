package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
)

// BenchmarkConsentGate measures the collector's batched throughput (50-event
// batches from concurrent clients, group-committed to SQLite) without and
// with the consent gate, in one run on one database:
//
//	go test -run '^$' -bench BenchmarkConsentGate -count 4 ./internal/app/
func BenchmarkConsentGate(b *testing.B) {
	for _, gated := range []bool{false, true} {
		name := "gate=off"
		if gated {
			name = "gate=on"
		}
		b.Run(name, func(b *testing.B) { benchmarkCollect(b, gated) })
	}
}

// benchmarkCollect posts 50-event batches of granted visitors to a fresh
// database, through the collector with or without its consent gate, so both
// cases start from the same state.
func benchmarkCollect(b *testing.B, gated bool) {
	ctx := context.Background()
	a := openBenchApp(b, Config{DataDir: b.TempDir()})
	org := benchOrganization(b, a)
	const visitors = 256
	for v := 0; v < visitors; v++ {
		if _, _, err := a.Consents.Decide(presage.WithSite(ctx, org), consent.DecisionInput{VisitorID: fmt.Sprintf("visitor-bench-%04d", v),
			Action: consent.ActionGrant, Purposes: []string{consent.PurposeAnalytics}, NoticeVersion: 1}); err != nil {
			b.Fatal(err)
		}
	}
	svc := collect.NewService(a.Tenants, a.committer, collect.ServiceOptions{})
	if gated {
		svc = a.Collector
	}
	var seq atomic.Int64
	body := func() []byte {
		n := seq.Add(1)
		v := n % visitors
		events := make([]map[string]any, 50)
		now := time.Now()
		for i := range events {
			events[i] = map[string]any{"id": fmt.Sprintf("evt-bench-%09d-%02d", n, i), "type": "pageview",
				"ts": now.UnixMilli(), "url": fmt.Sprintf("https://bench.example/p/%d?utm_source=news", i), "title": "Product"}
		}
		raw, _ := json.Marshal(map[string]any{"siteKey": org.SiteKey, "visitorId": fmt.Sprintf("visitor-bench-%04d", v),
			"sessionId": fmt.Sprintf("session-bench-%04d", v), "sentAt": now.UnixMilli(), "events": events})
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
	b.ReportMetric(float64(b.N*50)/time.Since(start).Seconds(), "events/s")
}
