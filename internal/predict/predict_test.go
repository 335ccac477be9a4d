package predict

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func TestFTRLLearnsSeparable(t *testing.T) {
	m, err := NewFTRL(FTRLParams{Alpha: 0.1, Beta: 1, L1: 0.1, L2: 0.1, Bits: 16})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	example := func() ([]Feature, bool) {
		a, b := rng.IntN(10), rng.IntN(10)
		x := []Feature{{Index: 1, Value: 1}, {Index: uint32(100 + a), Value: 1}, {Index: uint32(200 + b), Value: 1}}
		return x, a >= 5 // label depends on a only
	}
	for range 5000 {
		x, y := example()
		m.Update(x, y)
	}
	var scores []float64
	var labels []bool
	for range 1000 {
		x, y := example()
		p := m.Predict(x)
		if (p > 0.5) != y {
			t.Fatalf("misclassified %v (label %v): p=%.3f", x, y, p)
		}
		scores, labels = append(scores, p), append(labels, y)
	}
	if s := Summarize(scores, labels); s.AUC != 1 || s.LogLoss > 0.15 {
		t.Fatalf("AUC %.3f log-loss %.3f, want 1 and < 0.15", s.AUC, s.LogLoss)
	}
}

func TestFTRLMarshalRoundTrip(t *testing.T) {
	m, _ := NewFTRL(DefaultFTRLParams())
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([][]Feature, 200)
	for i := range xs {
		for range 20 {
			xs[i] = append(xs[i], Feature{Index: rng.Uint32(), Value: float32(rng.Float64())})
		}
		m.Update(xs[i], rng.IntN(3) == 0)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m2 FTRL
	if err := m2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if m2.Params() != m.Params() || m2.Examples() != m.Examples() {
		t.Fatalf("params %+v/%d, want %+v/%d", m2.Params(), m2.Examples(), m.Params(), m.Examples())
	}
	for _, x := range xs {
		if a, b := m.Predict(x), m2.Predict(x); a != b {
			t.Fatalf("prediction %v after round trip, want %v", b, a)
		}
	}
	if err := m2.UnmarshalBinary(b[:len(b)-1]); err == nil {
		t.Fatal("truncated checkpoint accepted")
	}
}

func TestFTRLPredictAllocFree(t *testing.T) {
	m, _ := NewFTRL(DefaultFTRLParams())
	x := []Feature{{1, 1}, {2, 0.5}}
	if n := testing.AllocsPerRun(100, func() { m.Update(x, true); m.Predict(x) }); n != 0 {
		t.Fatalf("%v allocations per Update+Predict", n)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMetricsHandComputed(t *testing.T) {
	// Scores with a tie between a positive and a negative at 0.5.
	scores := []float64{0.1, 0.5, 0.5, 0.8}
	labels := []bool{false, false, true, true}
	s := Summarize(scores, labels)
	// Pairs (pos, neg): (0.5,0.1)=1 (0.5,0.5)=0.5 (0.8,0.1)=1 (0.8,0.5)=1 → 3.5/4.
	if !near(s.AUC, 0.875) {
		t.Errorf("AUC %v, want 0.875", s.AUC)
	}
	// Thresholds 0.8: P=1 R=0.5; 0.5: P=2/3 R=1 → AP = 0.5·1 + 0.5·2/3.
	if !near(s.AP, 0.5+1.0/3) {
		t.Errorf("AP %v, want %v", s.AP, 0.5+1.0/3)
	}
	wantLL := -(math.Log(0.9) + math.Log(0.5) + math.Log(0.5) + math.Log(0.8)) / 4
	if !near(s.LogLoss, wantLL) {
		t.Errorf("log-loss %v, want %v", s.LogLoss, wantLL)
	}
	wantBrier := (0.01 + 0.25 + 0.25 + 0.04) / 4
	if !near(s.Brier, wantBrier) {
		t.Errorf("Brier %v, want %v", s.Brier, wantBrier)
	}
	// Bins: [0.1,0.2): 0.1 vs 0 → 0.1; [0.5,0.6): mean 0.5 vs 0.5 → 0; [0.8,0.9): 0.8 vs 1 → 0.2.
	wantECE := 0.25*0.1 + 0.5*0 + 0.25*0.2
	if !near(s.ECE, wantECE) {
		t.Errorf("ECE %v, want %v", s.ECE, wantECE)
	}
	if c := s.Calibration[5]; c.Count != 2 || c.Positives != 1 || !near(c.MeanPred, 0.5) {
		t.Errorf("calibration bin 5 = %+v", c)
	}
}

func TestMonitorMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	mon := NewMonitor(100)
	var scores []float64
	var labels []bool
	for range 3000 {
		y := rng.IntN(4) == 0
		p := sigmoid(rng.NormFloat64() + map[bool]float64{true: 1.5, false: -1}[y])
		mon.Observe(p, y)
		scores, labels = append(scores, p), append(labels, y)
	}
	exact, tot := Summarize(scores, labels), mon.Total()
	if math.Abs(exact.AUC-tot.AUC) > 1e-3 || math.Abs(exact.AP-tot.AP) > 2e-3 || !near(exact.LogLoss, tot.LogLoss) {
		t.Errorf("histogram AUC/AP/LL %v/%v/%v, exact %v/%v/%v", tot.AUC, tot.AP, tot.LogLoss, exact.AUC, exact.AP, exact.LogLoss)
	}
	if w, want := mon.Window(), Summarize(scores[2900:], labels[2900:]); w.N != 100 || !near(w.AUC, want.AUC) {
		t.Errorf("window AUC %v (n=%d), want %v", w.AUC, w.N, want.AUC)
	}
}

func TestPathTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/Products/1234?x=1": "/products/:id", "/a/b/c/d": "/a/b/c",
		"/blog/how-to-x": "/blog/how-to-x", "/p/0f3e9a7c-5b1d-4c2e-9f7a-1b2c3d4e5f60": "/p/:id",
	} {
		if got := PathTemplate(in); got != want {
			t.Errorf("PathTemplate(%q) = %q, want %q", in, got, want)
		}
		if th, _ := pathHashes(in); th != hashString(PageType(want)) {
			t.Errorf("pathHashes(%q) type hash differs from PageType %q", in, PageType(want))
		}
	}
}

// Attributes of pageMetricsConfig.
const (
	attrExitRate  = "exit_rate"
	attrRegion    = "region"
	attrPageValue = "page_value"
)

// pageMetricsConfig is the feature configuration of a site whose events
// carry page metrics: a numeric mean that joins the crosses, a categorical
// attribute, and a page value that gates the model. It is shaped like the
// UCI evaluation's (eval.UCIFeatureConfig) but defined here, so the tests of
// the live feature code do not depend on the offline package.
func pageMetricsConfig() FeatureConfig {
	cfg := DefaultFeatureConfig()
	cfg.Attrs = []AttrSpec{
		{Name: attrExitRate, Edges: []float64{0.01, 0.02, 0.05, 0.1}, Mean: true, Cross: true},
		{Name: attrRegion},
		{Name: attrPageValue, Edges: []float64{0, 5, 20, 50}, Mean: true, Cross: true, Gate: true},
	}
	return cfg
}

// TestFeaturesNoLeakage checks that the features at the time of each event
// depend only on the events up to it: a session fed the prefix, and the same
// prefix followed by other futures, agree at every step. (That a UCI row's
// label reaches no feature is eval's TestUCILabelReachesNoFeature.)
func TestFeaturesNoLeakage(t *testing.T) {
	cfg := pageMetricsConfig()
	rng := rand.New(rand.NewPCG(9, 10))
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	randomEvents := func(n int, start time.Time) []FeatureEvent {
		var ev []FeatureEvent
		at := start
		types := []presage.EventType{presage.EventPageview, presage.EventSearch, presage.EventCustom,
			presage.EventFormStart, presage.EventFormSubmit, presage.EventChat}
		for range n {
			at = at.Add(time.Duration(rng.IntN(120)) * time.Second)
			ev = append(ev, FeatureEvent{Type: types[rng.IntN(len(types))], Name: []string{"a", "b"}[rng.IntN(2)],
				Path: []string{"/", "/product/1", "/cart", "/blog/x"}[rng.IntN(4)], OccurredAt: at,
				// Page values of 0 and above: the page-value gate flips within a session.
				Attributes: map[string]any{attrPageValue: max(0, rng.Float64()*50-20), attrRegion: rng.IntN(3)},
				Context:    presage.Enrichment{Browser: "Firefox", Device: "desktop"}})
		}
		return ev
	}
	for trial := range 50 {
		prefix := randomEvents(1+rng.IntN(10), t0)
		futureA := randomEvents(1+rng.IntN(10), prefix[len(prefix)-1].OccurredAt)
		futureB := randomEvents(1+rng.IntN(10), prefix[len(prefix)-1].OccurredAt)
		h := History{Kind: VisitorReturning, PastSessions: 3}
		a, b, ref := NewSessionFeatures(&cfg, h), NewSessionFeatures(&cfg, h), NewSessionFeatures(&cfg, h)
		for i, e := range prefix {
			a.Add(e)
			b.Add(e)
			fa := a.Features(e.OccurredAt, nil)
			fb := b.Features(e.OccurredAt, nil)
			ref.Reset(h)
			for _, p := range prefix[:i+1] {
				ref.Add(p)
			}
			fr := ref.Features(e.OccurredAt, nil)
			if !reflect.DeepEqual(fa, fb) || !reflect.DeepEqual(fa, fr) {
				t.Fatalf("trial %d event %d: features differ between identical prefixes", trial, i)
			}
		}
		at := prefix[len(prefix)-1].OccurredAt
		before := a.Features(at, nil)
		for _, e := range futureA {
			a.Add(e)
		}
		for _, e := range futureB {
			b.Add(e)
		}
		// Features describe the state at the latest event: a session that saw
		// the futures must not be scored "at" the prefix time as if it had not.
		if reflect.DeepEqual(a.Features(at, nil), before) && len(futureA) > 0 && futureA[0].Type == presage.EventPageview {
			t.Fatalf("trial %d: future page view not reflected after being added", trial)
		}
	}
}

// TestGateCopiesFeatures checks AttrSpec.Gate: no gated copies while the
// attribute is missing, then one copy of every non-cross feature whose
// index depends on the side of the gate.
func TestGateCopiesFeatures(t *testing.T) {
	cfg := pageMetricsConfig()
	plain := pageMetricsConfig()
	for i := range plain.Attrs {
		plain.Attrs[i].Gate = false
	}
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	feats := func(c *FeatureConfig, attrs map[string]any) []Feature {
		s := NewSessionFeatures(c, History{Kind: VisitorNew})
		s.Add(FeatureEvent{Type: presage.EventPageview, Path: "/product/1", OccurredAt: at, Attributes: attrs})
		return s.Features(at, nil)
	}
	none := map[string]any{attrExitRate: 0.02}
	if a, b := feats(&cfg, none), feats(&plain, none); !reflect.DeepEqual(a, b) {
		t.Fatalf("missing gate attribute: %d features, want the %d ungated ones", len(a), len(b))
	}
	zero, pos := map[string]any{attrPageValue: 0.0}, map[string]any{attrPageValue: 12.0}
	fz, fp, pz := feats(&cfg, zero), feats(&cfg, pos), feats(&plain, zero)
	if len(fz) != len(fp) || len(fz) <= len(pz) || len(fz) >= 2*len(pz) {
		t.Fatalf("gated %d/%d features, ungated %d", len(fz), len(fp), len(pz))
	}
	in := func(fs []Feature, idx uint32) bool {
		for _, f := range fs {
			if f.Index == idx {
				return true
			}
		}
		return false
	}
	gated, shared := 0, 0
	for _, f := range fz {
		if !in(pz, f.Index) {
			gated++
			if in(fp, f.Index) {
				shared++
			}
		}
	}
	if gated != len(fz)-len(pz) || shared != 0 {
		t.Fatalf("%d gated features (want %d), %d of them the same on both sides of the gate", gated, len(fz)-len(pz), shared)
	}
}

func TestSessionAllocFree(t *testing.T) {
	cfg := pageMetricsConfig()
	s := NewSessionFeatures(&cfg, History{Kind: VisitorNew})
	e := FeatureEvent{Type: presage.EventPageview, Path: "/product/12", OccurredAt: time.Unix(1e9, 0),
		Attributes: map[string]any{attrPageValue: 3.0}}
	buf := make([]Feature, 0, 512)
	s.Add(e)
	if n := testing.AllocsPerRun(100, func() { s.Add(e); buf = s.Features(e.OccurredAt, buf[:0]) }); n > 0 {
		t.Fatalf("%v allocations per Add+Features", n)
	}
}
