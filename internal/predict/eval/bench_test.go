package eval

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// benchScoreEvents times, per b.N, one page view added to a UCI-configured
// session (a new session every 50 events), its features, and score on
// them; it returns the mean number of features. It is the loop of predict's
// BenchmarkScore10Outcomes (internal/predict/bench_test.go), repeated here
// so that an offline learner is timed on exactly the server's per-event work.
func benchScoreEvents(b *testing.B, score func([]predict.Feature) float64) float64 {
	cfg := UCIFeatureConfig(true)
	paths := []string{"/", "/product/12", "/cart", "/blog/how-to", "/product/99", "/checkout"}
	s := predict.NewSessionFeatures(&cfg, predict.History{Kind: predict.VisitorReturning, PastSessions: 2, Location: time.UTC})
	buf := make([]predict.Feature, 0, 512)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	attrs := map[string]any{AttrPageValue: 12.5, AttrBounceRate: 0.01, AttrExitRate: 0.03, AttrRegion: 3}
	ctx := presage.Enrichment{Device: "desktop", Browser: "Firefox", OS: "Linux", ReferrerClass: "search"}
	var sink float64
	nf := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%50 == 0 {
			s.Reset(predict.History{Kind: predict.VisitorReturning, PastSessions: 2, Location: time.UTC})
		}
		at = at.Add(7 * time.Second)
		s.Add(predict.FeatureEvent{Type: presage.EventPageview, Path: paths[i%len(paths)], OccurredAt: at, Attributes: attrs, Context: ctx})
		buf = s.Features(at, buf[:0])
		nf += len(buf)
		sink += score(buf)
	}
	_ = sink
	return float64(nf) / float64(b.N)
}

// randomUCIRow draws a UCI-like session for benchmarks (as predict's
// benchmarks do).
func randomUCIRow(rng *rand.Rand) UCIRow {
	return UCIRow{Administrative: rng.IntN(5), ProductRelated: 1 + rng.IntN(60), ProductRelatedDuration: rng.Float64() * 2000,
		BounceRates: rng.Float64() * 0.05, ExitRates: rng.Float64() * 0.1, PageValues: rng.Float64() * 30,
		Month: time.Month(2 + rng.IntN(11)), Browser: 1 + rng.IntN(5), OperatingSystems: 1 + rng.IntN(4),
		Region: 1 + rng.IntN(9), TrafficType: 1 + rng.IntN(20), VisitorType: "Returning_Visitor"}
}

// uciBenchExamples draws n UCI-like sessions and their feature vectors,
// labelled by label.
func uciBenchExamples(rng *rand.Rand, n int, label func(UCIRow) bool) ([][]predict.Feature, []bool) {
	cfg := UCIFeatureConfig(true)
	xs, ys := make([][]predict.Feature, 0, n), make([]bool, 0, n)
	for range n {
		r := randomUCIRow(rng)
		xs = append(xs, JourneyFeatures(&cfg, r.Journey(), nil))
		ys = append(ys, label(r))
	}
	return xs, ys
}
