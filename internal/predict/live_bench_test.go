package predict

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// BenchmarkLiveScore10Outcomes is the collector's scoring work per accepted
// event as it runs in the server (Scorer.apply): the stored event reduced
// for prediction, the session's feature state updated, ten outcome
// conditions checked and ten models of the default size (2^18 weights,
// 20 MiB together, so lookups miss the cache) scored, with the predictions and their history
// handed to the write. Session loading is a store read, measured end to end
// by BenchmarkIngestPrediction instead.
func BenchmarkLiveScore10Outcomes(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	cfg := DefaultFeatureConfig()
	snap := &orgModels{features: &cfg}
	for k := 0; k < 10; k++ {
		m, _ := NewFTRL(DefaultFTRLParams())
		for i := range m.zn {
			m.zn[i] = float32(rng.NormFloat64() * 0.1)
		}
		o := presage.Outcome{ID: fmt.Sprintf("out_%d", k), Condition: presage.Condition{Kind: presage.ConditionEvent,
			EventName: fmt.Sprintf("never_%d", k), Attributes: []presage.AttrCondition{{Name: "v", Op: presage.OpGt, Value: json.RawMessage(`1`)}}}}
		matcher, err := outcome.Compile(o)
		if err != nil {
			b.Fatal(err)
		}
		ref := NewReference()
		for i := 0; i < ReferenceSize; i++ {
			ref.Add(rng.Float64())
		}
		snap.outcomes = append(snap.outcomes, &liveModel{id: o.ID, matcher: matcher, model: m, version: 1, reference: ref.Sorted()})
	}
	s := NewScorer(nil, ScorerOptions{})
	urls := []string{"https://shop.example/", "https://shop.example/products/tent-2p", "https://shop.example/cart",
		"https://shop.example/search?q=tent", "https://shop.example/products/stove", "https://shop.example/checkout"}
	ctx := presage.Enrichment{Device: "desktop", Browser: "Firefox", OS: "Linux", ReferrerClass: "search"}
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	var ls *liveSession
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%50 == 0 { // a new session every 50 events
			ls = &liveSession{loaded: true, state: NewSessionFeatures(snap.features, History{Kind: VisitorNew}),
				seen: map[string]struct{}{}, preds: map[string]*presage.Prediction{}, achieved: map[string]bool{}}
		}
		at = at.Add(7 * time.Second)
		w := collect.Write{OrgID: "org_1", Session: presage.Session{ID: "ses_1", VisitorID: "vis_1"},
			Events: []presage.Event{{ID: fmt.Sprint(i), Type: presage.EventPageview, URL: urls[i%len(urls)],
				OccurredAt: at, Attributes: json.RawMessage(`{}`), Context: ctx}}}
		s.apply(ls, &w, snap)
		if len(w.Predictions) != 10 {
			b.Fatalf("%d predictions", len(w.Predictions))
		}
	}
}
