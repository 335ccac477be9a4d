package eval

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestThresholdHandComputed(t *testing.T) {
	// Scores with a tie between a positive and a negative at 0.5.
	scores := []float64{0.1, 0.5, 0.5, 0.8}
	labels := []bool{false, false, true, true}
	thr, f1 := BestF1Threshold(scores, labels)
	if thr != 0.5 || !near(f1, 0.8) {
		t.Errorf("best F1 threshold %v F1 %v, want 0.5 and 0.8", thr, f1)
	}
	if f, a := F1Accuracy(scores, labels, 0.8); !near(f, 2.0/3) || !near(a, 0.75) {
		t.Errorf("F1/accuracy at 0.8 = %v/%v, want 2/3 and 0.75", f, a)
	}
}
