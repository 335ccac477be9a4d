package predict_test

// These benchmarks measure live scoring and training on UCI-shaped
// sessions, the workload docs/benchmarks.md and docs/prediction.md report.
// The UCI data and its feature configuration belong to the offline package
// eval, which predict's own (internal) tests cannot import; an external
// test package can.

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/eval"
	"github.com/presage-dev/presage/internal/presage"
)

// BenchmarkScore10Outcomes is the server's work per event: one session
// update, its features, and predictions of 10 outcome models (2^18 weights
// each, 20 MiB together, so lookups miss the cache as in production).
func BenchmarkScore10Outcomes(b *testing.B) {
	models := make([]*predict.FTRL, 10)
	rng := rand.New(rand.NewPCG(1, 1))
	for k := range models {
		models[k], _ = predict.NewFTRL(predict.DefaultFTRLParams())
		// trained-looking weights everywhere
		predict.FillWeights(models[k], func() float32 { return float32(rng.NormFloat64()) })
	}
	nf := benchScoreEvents(b, func(x []predict.Feature) (sink float64) {
		for _, m := range models {
			sink += m.Predict(x)
		}
		return sink
	})
	b.ReportMetric(nf, "features/op")
}

// benchScoreEvents times, per b.N, one page view added to a UCI-configured
// session (a new session every 50 events), its features, and score on
// them; it returns the mean number of features.
func benchScoreEvents(b *testing.B, score func([]predict.Feature) float64) float64 {
	cfg := eval.UCIFeatureConfig(true)
	paths := []string{"/", "/product/12", "/cart", "/blog/how-to", "/product/99", "/checkout"}
	s := predict.NewSessionFeatures(&cfg, predict.History{Kind: predict.VisitorReturning, PastSessions: 2, Location: time.UTC})
	buf := make([]predict.Feature, 0, 512)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	attrs := map[string]any{eval.AttrPageValue: 12.5, eval.AttrBounceRate: 0.01, eval.AttrExitRate: 0.03, eval.AttrRegion: 3}
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

// randomUCIRow draws a UCI-like session for benchmarks.
func randomUCIRow(rng *rand.Rand) eval.UCIRow {
	return eval.UCIRow{Administrative: rng.IntN(5), ProductRelated: 1 + rng.IntN(60), ProductRelatedDuration: rng.Float64() * 2000,
		BounceRates: rng.Float64() * 0.05, ExitRates: rng.Float64() * 0.1, PageValues: rng.Float64() * 30,
		Month: time.Month(2 + rng.IntN(11)), Browser: 1 + rng.IntN(5), OperatingSystems: 1 + rng.IntN(4),
		Region: 1 + rng.IntN(9), TrafficType: 1 + rng.IntN(20), VisitorType: "Returning_Visitor"}
}

// uciBenchExamples draws n UCI-like sessions and their feature vectors,
// labelled by label.
func uciBenchExamples(rng *rand.Rand, n int, label func(eval.UCIRow) bool) ([][]predict.Feature, []bool) {
	cfg := eval.UCIFeatureConfig(true)
	xs, ys := make([][]predict.Feature, 0, n), make([]bool, 0, n)
	for range n {
		r := randomUCIRow(rng)
		xs = append(xs, eval.JourneyFeatures(&cfg, r.Journey(), nil))
		ys = append(ys, label(r))
	}
	return xs, ys
}

// BenchmarkTrain measures FTRL updates on precomputed UCI-like feature
// vectors (the offline and online training loop).
func BenchmarkTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	xs, ys := uciBenchExamples(rng, 1000, func(eval.UCIRow) bool { return rng.IntN(6) == 0 })
	m, _ := predict.NewFTRL(predict.DefaultFTRLParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(xs[i%len(xs)], ys[i%len(ys)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "examples/s")
	b.ReportMetric(float64(len(xs[0])), "features/example")
}

// BenchmarkModelMemory reports the in-memory size of one model.
func BenchmarkModelMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		m, _ := predict.NewFTRL(predict.DefaultFTRLParams())
		b.ReportMetric(float64(m.MemoryBytes())/(1<<20), "MiB/model")
	}
}

func TestModelMemoryWithinBudget(t *testing.T) {
	m, _ := predict.NewFTRL(predict.DefaultFTRLParams())
	if got := m.MemoryBytes(); got > 8<<20 {
		t.Fatalf("model weights take %d bytes, want ≤ 8 MiB", got)
	}
}
