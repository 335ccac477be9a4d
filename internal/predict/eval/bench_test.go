package eval

import (
	"testing"

	"github.com/presage-dev/presage/internal/predict"
)

// benchScoreEvents times, per b.N, one event of EventWorkload and score on
// its features, as predict's BenchmarkScore10Outcomes does, so that an
// offline learner is timed on exactly the server's per-event work; it
// returns the mean number of features.
func benchScoreEvents(b *testing.B, score func([]predict.Feature) float64) float64 {
	w := NewEventWorkload()
	b.ResetTimer()
	return w.Run(b.N, score)
}
