package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/presage-dev/presage/internal/predict"
)

func TestPlattImprovesMiscalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var scores []float64
	var labels []bool
	for range 5000 {
		l := rng.NormFloat64() * 2
		labels = append(labels, rng.Float64() < sigmoid(l))
		scores = append(scores, sigmoid(3*l+1)) // overconfident and shifted
	}
	c := FitPlatt(scores, labels)
	cal := make([]float64, len(scores))
	for i, p := range scores {
		cal[i] = c.Apply(p)
	}
	if before, after := predict.Summarize(scores, labels).LogLoss, predict.Summarize(cal, labels).LogLoss; after >= before {
		t.Fatalf("Platt log-loss %v, not below %v", after, before)
	}
	if math.Abs(c.A-1.0/3) > 0.05 {
		t.Errorf("A = %v, want ≈ 1/3", c.A)
	}
}
