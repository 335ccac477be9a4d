package eval

import (
	"math/rand/v2"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// EventWorkload replays UCI-shaped page views through one session's feature
// state, a new session every 50 events: the server's per-event work, which
// the benchmarks of live scoring (predict) and of offline learners (here)
// both time.
type EventWorkload struct {
	cfg   predict.FeatureConfig
	s     *predict.SessionFeatures
	buf   []predict.Feature
	at    time.Time
	i     int
	attrs map[string]any
	ctx   presage.Enrichment
}

var workloadPaths = []string{"/", "/product/12", "/cart", "/blog/how-to", "/product/99", "/checkout"}

// NewEventWorkload returns a workload at its first event.
func NewEventWorkload() *EventWorkload {
	w := &EventWorkload{cfg: UCIFeatureConfig(true), buf: make([]predict.Feature, 0, 512),
		at:    time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC),
		attrs: map[string]any{AttrPageValue: 12.5, AttrBounceRate: 0.01, AttrExitRate: 0.03, AttrRegion: 3},
		ctx:   presage.Enrichment{Device: "desktop", Browser: "Firefox", OS: "Linux", ReferrerClass: "search"}}
	w.s = predict.NewSessionFeatures(&w.cfg, workloadHistory())
	return w
}

func workloadHistory() predict.History {
	return predict.History{Kind: predict.VisitorReturning, PastSessions: 2, Location: time.UTC}
}

// Next adds the next page view and returns the session's features after it
// (valid until the next call).
func (w *EventWorkload) Next() []predict.Feature {
	if w.i%50 == 0 {
		w.s.Reset(workloadHistory())
	}
	w.at = w.at.Add(7 * time.Second)
	w.s.Add(predict.FeatureEvent{Type: presage.EventPageview, Path: workloadPaths[w.i%len(workloadPaths)], OccurredAt: w.at,
		Attributes: w.attrs, Context: w.ctx})
	w.i++
	w.buf = w.s.Features(w.at, w.buf[:0])
	return w.buf
}

// Run scores n events (score is given each event's features) and returns
// the mean number of features per event: a benchmark's timed loop.
func (w *EventWorkload) Run(n int, score func([]predict.Feature) float64) (meanFeatures float64) {
	var sink float64
	nf := 0
	for range n {
		x := w.Next()
		nf += len(x)
		sink += score(x)
	}
	_ = sink
	return float64(nf) / float64(max(n, 1))
}

// RandomUCIRow draws a UCI-like session, for benchmarks.
func RandomUCIRow(rng *rand.Rand) UCIRow {
	return UCIRow{Administrative: rng.IntN(5), ProductRelated: 1 + rng.IntN(60), ProductRelatedDuration: rng.Float64() * 2000,
		BounceRates: rng.Float64() * 0.05, ExitRates: rng.Float64() * 0.1, PageValues: rng.Float64() * 30,
		Month: time.Month(2 + rng.IntN(11)), Browser: 1 + rng.IntN(5), OperatingSystems: 1 + rng.IntN(4),
		Region: 1 + rng.IntN(9), TrafficType: 1 + rng.IntN(20), VisitorType: "Returning_Visitor"}
}

// UCIExamples draws n UCI-like sessions and their feature vectors, labelled
// by label, for benchmarks of learners.
func UCIExamples(rng *rand.Rand, n int, label func(UCIRow) bool) ([][]predict.Feature, []bool) {
	cfg := UCIFeatureConfig(true)
	xs, ys := make([][]predict.Feature, 0, n), make([]bool, 0, n)
	for range n {
		r := RandomUCIRow(rng)
		xs = append(xs, JourneyFeatures(&cfg, r.Journey(), nil))
		ys = append(ys, label(r))
	}
	return xs, ys
}
