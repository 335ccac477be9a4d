package predict_test

// These benchmarks measure live scoring and training on UCI-shaped
// sessions, the workload docs/benchmarks.md and docs/prediction.md report.
// The UCI data and its feature configuration belong to the offline package
// eval, which predict's own (internal) tests cannot import; an external
// test package can.

import (
	"math/rand/v2"
	"testing"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/eval"
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

// benchScoreEvents times, per b.N, one event of eval.EventWorkload and
// score on its features; it returns the mean number of features.
func benchScoreEvents(b *testing.B, score func([]predict.Feature) float64) float64 {
	w := eval.NewEventWorkload()
	b.ResetTimer()
	return w.Run(b.N, score)
}

// BenchmarkTrain measures FTRL updates on precomputed UCI-like feature
// vectors (the offline and online training loop).
func BenchmarkTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	xs, ys := eval.UCIExamples(rng, 1000, func(eval.UCIRow) bool { return rng.IntN(6) == 0 })
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
