package eval

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
)

func TestGBTLearnsInteraction(t *testing.T) {
	// The label is an XOR of two indicators plus a threshold on a value: no
	// linear model of these features separates it, two-level trees do.
	rng := rand.New(rand.NewPCG(11, 12))
	example := func() ([]predict.Feature, bool) {
		a, b := rng.IntN(2) == 1, rng.IntN(2) == 1
		v := rng.Float64()
		x := []predict.Feature{{Index: 7, Value: float32(v)}}
		if a {
			x = append(x, predict.Feature{Index: 100, Value: 1})
		}
		if b {
			x = append(x, predict.Feature{Index: 200, Value: 1})
		}
		return x, (a != b) == (v > 0.3)
	}
	var xs [][]predict.Feature
	var ys []bool
	for range 4000 {
		x, y := example()
		xs, ys = append(xs, x), append(ys, y)
	}
	p := DefaultGBTParams()
	p.MinCount = 1
	m, err := TrainGBT(xs, ys, p)
	if err != nil {
		t.Fatal(err)
	}
	var scores []float64
	var labels []bool
	for range 1000 {
		x, y := example()
		scores, labels = append(scores, m.Predict(x)), append(labels, y)
	}
	if s := predict.Summarize(scores, labels); s.AUC < 0.99 {
		t.Fatalf("AUC %.3f, want ≥ 0.99", s.AUC)
	}
	if m.NumColumns() != 3 || m.NumTrees() != p.Trees {
		t.Fatalf("%d columns %d trees, want 3 and %d", m.NumColumns(), m.NumTrees(), p.Trees)
	}
}

func TestGBTParamsValidated(t *testing.T) {
	x := [][]predict.Feature{{{Index: 1, Value: 1}}}
	for _, mod := range []func(*GBTParams){
		func(p *GBTParams) { p.Trees = 0 }, func(p *GBTParams) { p.Depth = 0 },
		func(p *GBTParams) { p.LearningRate = 0 }, func(p *GBTParams) { p.Bins = 1 },
		func(p *GBTParams) { p.Subsample = 2 },
	} {
		p := DefaultGBTParams()
		mod(&p)
		if _, err := TrainGBT(x, []bool{true}, p); err == nil {
			t.Errorf("params %+v accepted", p)
		}
	}
	if _, err := TrainGBT(x, nil, DefaultGBTParams()); err == nil {
		t.Error("mismatched labels accepted")
	}
}

func TestGBTPredictAllocFree(t *testing.T) {
	cfg := UCIFeatureConfig(true)
	rows := []UCIRow{
		{ProductRelated: 3, ProductRelatedDuration: 60, ExitRates: 0.05, PageValues: 0, Month: time.May, VisitorType: "New_Visitor"},
		{ProductRelated: 30, ProductRelatedDuration: 900, ExitRates: 0.01, PageValues: 25, Month: time.November, VisitorType: "Returning_Visitor"},
	}
	var xs [][]predict.Feature
	var ys []bool
	for i := range 200 {
		xs, ys = append(xs, JourneyFeatures(&cfg, rows[i%2].Journey(), nil)), append(ys, i%2 == 1)
	}
	p := DefaultGBTParams()
	p.Trees = 20
	m, err := TrainGBT(xs, ys, p)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := m.Predict(xs[0]), m.Predict(xs[1]); !(a < 0.5 && b > 0.5) {
		t.Fatalf("predictions %.3f, %.3f", a, b)
	}
	if n := testing.AllocsPerRun(100, func() { m.Predict(xs[1]) }); n != 0 {
		t.Fatalf("%v allocations per Predict", n)
	}
}

// BenchmarkGBTScore10Outcomes is BenchmarkScore10Outcomes with 10 GBT
// models (DefaultGBTParams, trained on UCI-like sessions) instead of FTRL.
func BenchmarkGBTScore10Outcomes(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3)) // the FTRL view, as presage eval --learner gbt
	xs, ys := UCIExamples(rng, 2000, func(r UCIRow) bool { return rng.Float64() < r.PageValues/40+r.ExitRates })
	models := make([]*GBT, 10)
	for k := range models {
		p := DefaultGBTParams()
		p.Seed = uint64(k + 1)
		models[k], _ = TrainGBT(xs, ys, p)
	}
	benchScoreEvents(b, func(x []predict.Feature) (sink float64) {
		for _, m := range models {
			sink += m.Predict(x)
		}
		return sink
	})
	b.ReportMetric(float64(models[0].MemoryBytes())/1024, "KiB/model")
	b.ReportMetric(float64(models[0].NumColumns()), "columns")
}

// BenchmarkGBTTrain measures training one DefaultGBTParams model on 11,000
// UCI-like sessions (about one cross-validation training fold).
func BenchmarkGBTTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	xs, ys := UCIExamples(rng, 11000, func(r UCIRow) bool { return rng.Float64() < r.PageValues/40+r.ExitRates })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := TrainGBT(xs, ys, DefaultGBTParams()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(xs)*b.N)/b.Elapsed().Seconds(), "examples/s")
}
