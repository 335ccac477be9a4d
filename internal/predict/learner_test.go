package predict

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

func TestMonitorCheckpointRoundTrip(t *testing.T) {
	for _, n := range []int{0, 3, 10, 25} { // empty, partial, full, wrapped window
		m := NewMonitor(10)
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		for i := 0; i < n; i++ {
			p := rng.Float64()
			m.Observe(p, rng.Float64() < p)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Monitor
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !reflect.DeepEqual(summaryBits(got.Window()), summaryBits(m.Window())) ||
			!reflect.DeepEqual(summaryBits(got.Total()), summaryBits(m.Total())) {
			t.Errorf("n=%d: summaries differ after round trip:\n%+v\n%+v", n, got.Total(), m.Total())
		}
		// Observing after the round trip continues the same ring.
		m.Observe(0.3, true)
		got.Observe(0.3, true)
		if !reflect.DeepEqual(summaryBits(got.Window()), summaryBits(m.Window())) {
			t.Errorf("n=%d: window diverges after a further observation", n)
		}
		if err := got.UnmarshalBinary(b[:len(b)-1]); err == nil {
			t.Errorf("n=%d: truncated checkpoint accepted", n)
		}
	}
}

// summaryBits makes NaN comparable and rounds away the last bits that the
// order of summation changes (the window is stored oldest first).
func summaryBits(s Summary) Summary {
	round := func(f *float64) {
		if math.IsNaN(*f) {
			*f = -1
		}
		*f = math.Round(*f*1e9) / 1e9
	}
	for _, f := range []*float64{&s.AUC, &s.AP, &s.LogLoss, &s.Brier, &s.ECE} {
		round(f)
	}
	for i := range s.Calibration {
		round(&s.Calibration[i].MeanPred)
		round(&s.Calibration[i].Observed)
	}
	return s
}

func TestReferencePercentile(t *testing.T) {
	r := NewReference()
	if got := r.Percentile(0.4); got != 50 {
		t.Errorf("empty reference: %v, want 50", got)
	}
	for i := 0; i < 100; i++ {
		r.Add(float64(i) / 100)
	}
	cases := []struct{ p, want float64 }{{-1, 0}, {0.995, 100}, {0.5, 50.5}, {0.505, 51}}
	for _, c := range cases {
		if got := r.Percentile(c.p); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	for i := 0; i < 2*ReferenceSize; i++ { // the oldest scores leave
		r.Add(0.9)
	}
	if got := r.Percentile(0.5); got != 0 {
		t.Errorf("after overflow, Percentile(0.5) = %v, want 0", got)
	}
	b, _ := r.MarshalBinary()
	var back Reference
	if err := back.UnmarshalBinary(b); err != nil || back.Len() != ReferenceSize || back.Percentile(0.9) != 50 {
		t.Errorf("round trip: err %v, len %d, pct %v", err, back.Len(), back.Percentile(0.9))
	}
}

func journeyEvents(t0 time.Time, paths ...string) []FeatureEvent {
	out := make([]FeatureEvent, len(paths))
	for i, p := range paths {
		out[i] = FeatureEvent{Type: presage.EventPageview, Path: p, OccurredAt: t0.Add(time.Duration(i) * 20 * time.Second)}
	}
	return out
}

func TestMomentsSubsampleAndNoLookahead(t *testing.T) {
	cfg := DefaultFeatureConfig()
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	var paths []string
	for i := 0; i < 20; i++ {
		paths = append(paths, "/product/"+string(rune('a'+i)))
	}
	events := journeyEvents(t0, paths...)
	m := Moments(&cfg, History{Kind: VisitorNew}, events, 20)
	if len(m) != MaxMoments {
		t.Fatalf("moments: %d, want %d", len(m), MaxMoments)
	}
	// The last moment is the state after the last event, exactly as a fresh
	// session sees it.
	s := NewSessionFeatures(&cfg, History{Kind: VisitorNew})
	for _, e := range events {
		s.Add(e)
	}
	want := s.Features(events[19].OccurredAt, nil)
	if !reflect.DeepEqual(m[len(m)-1], want) {
		t.Error("last moment differs from the features after the last event")
	}
	// Moments up to k never depend on later events.
	changed := append([]FeatureEvent(nil), events...)
	changed[10] = FeatureEvent{Type: presage.EventCustom, Name: "purchase", OccurredAt: changed[10].OccurredAt}
	a := Moments(&cfg, History{Kind: VisitorNew}, events, 10)
	b := Moments(&cfg, History{Kind: VisitorNew}, changed, 10)
	if !reflect.DeepEqual(a, b) {
		t.Error("moments before event 10 depend on event 10")
	}
	if got := Moments(&cfg, History{}, events, 0); got != nil {
		t.Errorf("no events before the label: %d moments, want none", len(got))
	}
	if got := Moments(&cfg, History{}, events[:3], 3); len(got) != 3 {
		t.Errorf("3 events: %d moments, want 3", len(got))
	}
}

func TestFirstAchievementAndFromStored(t *testing.T) {
	purchase, err := outcome.Compile(presage.Outcome{ID: "out_1", Condition: presage.Condition{
		Kind: presage.ConditionEvent, EventName: "purchase",
		Attributes: []presage.AttrCondition{{Name: "amount", Op: presage.OpGt, Value: json.RawMessage(`10`)}},
	}, ValueField: "amount"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	stored := []presage.Event{
		{Type: presage.EventPageview, URL: "https://shop.example/cart?x=1", OccurredAt: t0},
		{Type: presage.EventCustom, Name: "purchase", Attributes: json.RawMessage(`{"amount":5}`), OccurredAt: t0},
		{Type: presage.EventCustom, Name: "purchase", Attributes: json.RawMessage(`{"amount":{"dataType":"number","value":"42.5"}}`), OccurredAt: t0},
	}
	events := make([]FeatureEvent, len(stored))
	for i, e := range stored {
		events[i] = FromStored(e)
	}
	if events[0].Path != "/cart" {
		t.Errorf("path %q, want /cart", events[0].Path)
	}
	k, v := FirstAchievement(purchase, events)
	if k != 2 || v == nil || *v != 42.5 {
		t.Errorf("FirstAchievement = %d, %v; want 2, 42.5", k, v)
	}
	if k, _ := FirstAchievement(purchase, events[:2]); k != -1 {
		t.Errorf("no achieving event: %d, want -1", k)
	}
}

func TestLearnerProgressiveValidation(t *testing.T) {
	l, err := NewLearner(FTRLParams{Alpha: 0.1, Beta: 1, L1: 0, L2: 1, Bits: 16})
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Learn(nil, true); p != -1 || l.Sessions != 0 {
		t.Errorf("empty session: p %v, sessions %d", p, l.Sessions)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	good := []Feature{{Index: 1, Value: 1}, {Index: 2, Value: 1}}
	bad := []Feature{{Index: 1, Value: 1}, {Index: 3, Value: 1}}
	for i := 0; i < 2000; i++ {
		y := rng.IntN(2) == 0
		x := bad
		if y {
			x = good
		}
		first := l.Model.Predict(x)
		if p := l.Learn([][]Feature{bad, x}, y); p != first {
			t.Fatalf("Learn scored %v, the model before learning says %v", p, first)
		}
	}
	if l.Sessions != 2000 || l.Examples != 4000 {
		t.Errorf("counts: %d sessions, %d examples", l.Sessions, l.Examples)
	}
	if auc := l.Monitor.Window().AUC; auc < 0.99 {
		t.Errorf("window AUC %v on a separable problem", auc)
	}
	ck, err := l.Checkpoint("org_1", "out_1", 3, presage.Cursor{ID: "ses_1"}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	back, err := LearnerFromCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	if back.Model.Predict(good) != l.Model.Predict(good) || back.Sessions != l.Sessions ||
		back.Reference.Percentile(0.5) != l.Reference.Percentile(0.5) {
		t.Error("learner differs after a checkpoint round trip")
	}
}

func TestBrokerDropsForSlowSubscriber(t *testing.T) {
	b := NewBroker()
	fast, slow := b.Subscribe(10), b.Subscribe(1)
	b.Publish([]Change{{SessionID: "a"}, {SessionID: "b"}})
	// Publish delivers before it returns; the bound only turns a lost change
	// into a failure instead of a hang.
	got := testwait.Recv(t, fast.C, testwait.Timeout, "the first change").SessionID
	got += testwait.Recv(t, fast.C, testwait.Timeout, "the second change").SessionID
	if got != "ab" {
		t.Errorf("fast subscriber got %q", got)
	}
	if slow.Dropped() != 1 {
		t.Errorf("slow subscriber dropped %d, want 1", slow.Dropped())
	}
	slow.Close()
	// The buffered change, then the channel is closed.
	testwait.Closed(t, slow.C, testwait.Timeout, "the closed subscription's channel to close")
	b.Publish([]Change{{SessionID: "c"}}) // no panic on a closed subscriber
	fast.Close()
}

// Live scoring decodes attributes only when something reads them; the
// features must equal those of the trainer's replay, which decodes all.
func TestLazyAttributesSameFeatures(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	stored := []presage.Event{
		{Type: presage.EventPageview, URL: "https://s.example/x/1", Attributes: json.RawMessage(`{"page_type":"product"}`), OccurredAt: t0},
		{Type: presage.EventCustom, Name: "product_added", Attributes: json.RawMessage(`{"price":12}`), OccurredAt: t0.Add(time.Second)},
		{Type: presage.EventPageview, URL: "https://s.example/cart", Attributes: json.RawMessage(`{"other":1}`), OccurredAt: t0.Add(2 * time.Second)},
	}
	for _, cfg := range []FeatureConfig{DefaultFeatureConfig(), {NGram: 2, Attrs: []AttrSpec{{Name: "price", Edges: []float64{10, 20}}}}} {
		lazy, full := NewSessionFeatures(&cfg, History{}), NewSessionFeatures(&cfg, History{})
		for i := range stored {
			lazy.Add(fromStored(stored[i], cfg.readsAttributes(&stored[i])))
			full.Add(FromStored(stored[i]))
		}
		if !reflect.DeepEqual(lazy.Features(t0.Add(time.Minute), nil), full.Features(t0.Add(time.Minute), nil)) {
			t.Errorf("attrs %v: features differ with lazy attribute decoding", cfg.Attrs)
		}
	}
}
