package predict

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// uciPath finds the data file: walking up from the package directory to a
// directory holding shared/data, else $PRESAGE_UCI_DATA.
func uciPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err == nil {
		for {
			p := filepath.Join(dir, "shared", "data", "online_shoppers_intention.csv")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if p := os.Getenv("PRESAGE_UCI_DATA"); p != "" {
		return p
	}
	t.Skip("UCI data not found: no shared/data/online_shoppers_intention.csv above the package and PRESAGE_UCI_DATA unset")
	return ""
}

func readUCIFile(t testing.TB) []byte {
	b, err := os.ReadFile(uciPath(t))
	if err != nil {
		t.Fatalf("read UCI data: %v", err)
	}
	return b
}

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
	thr, f1 := BestF1Threshold(scores, labels)
	if thr != 0.5 || !near(f1, 0.8) {
		t.Errorf("best F1 threshold %v F1 %v, want 0.5 and 0.8", thr, f1)
	}
	if f, a := F1Accuracy(scores, labels, 0.8); !near(f, 2.0/3) || !near(a, 0.75) {
		t.Errorf("F1/accuracy at 0.8 = %v/%v, want 2/3 and 0.75", f, a)
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
	if before, after := Summarize(scores, labels).LogLoss, Summarize(cal, labels).LogLoss; after >= before {
		t.Fatalf("Platt log-loss %v, not below %v", after, before)
	}
	if math.Abs(c.A-1.0/3) > 0.05 {
		t.Errorf("A = %v, want ≈ 1/3", c.A)
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

// TestFeaturesNoLeakage checks that the features at the time of each event
// depend only on the events up to it: a session fed the prefix, and the same
// prefix followed by other futures, agree at every step, and the label of a
// UCI row reaches no feature.
func TestFeaturesNoLeakage(t *testing.T) {
	cfg := UCIFeatureConfig(true)
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
				Attributes: map[string]any{AttrPageValue: max(0, rng.Float64()*50-20), AttrRegion: rng.IntN(3)},
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
	row, err := ParseUCIRow("2,64,0,0,5,120.5,0.01,0.03,12.5,0,Nov,2,2,1,3,Returning_Visitor,FALSE,TRUE")
	if err != nil {
		t.Fatal(err)
	}
	neg := row
	neg.Revenue = false
	if !reflect.DeepEqual(JourneyFeatures(&cfg, row.Journey(), nil), JourneyFeatures(&cfg, neg.Journey(), nil)) {
		t.Fatal("the Revenue label changes the features")
	}
}

// TestGateCopiesFeatures checks AttrSpec.Gate: no gated copies while the
// attribute is missing, then one copy of every non-cross feature whose
// index depends on the side of the gate.
func TestGateCopiesFeatures(t *testing.T) {
	cfg := UCIFeatureConfig(true)
	plain := UCIFeatureConfig(true)
	for i := range plain.Attrs {
		plain.Attrs[i].Gate = false
	}
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	feats := func(c *FeatureConfig, attrs map[string]any) []Feature {
		s := NewSessionFeatures(c, History{Kind: VisitorNew})
		s.Add(FeatureEvent{Type: presage.EventPageview, Path: "/product/1", OccurredAt: at, Attributes: attrs})
		return s.Features(at, nil)
	}
	none := map[string]any{AttrExitRate: 0.02}
	if a, b := feats(&cfg, none), feats(&plain, none); !reflect.DeepEqual(a, b) {
		t.Fatalf("missing gate attribute: %d features, want the %d ungated ones", len(a), len(b))
	}
	zero, pos := map[string]any{AttrPageValue: 0.0}, map[string]any{AttrPageValue: 12.0}
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
	cfg := UCIFeatureConfig(true)
	s := NewSessionFeatures(&cfg, History{Kind: VisitorNew})
	e := FeatureEvent{Type: presage.EventPageview, Path: "/product/12", OccurredAt: time.Unix(1e9, 0),
		Attributes: map[string]any{AttrPageValue: 3.0}}
	buf := make([]Feature, 0, 512)
	s.Add(e)
	if n := testing.AllocsPerRun(100, func() { s.Add(e); buf = s.Features(e.OccurredAt, buf[:0]) }); n > 0 {
		t.Fatalf("%v allocations per Add+Features", n)
	}
}

func TestUCIRoundTripEveryRow(t *testing.T) {
	data := readUCIFile(t)
	rows, err := ReadUCI(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12330 {
		t.Fatalf("%d rows, want 12330", len(rows))
	}
	lines := strings.Split(string(data), "\n")[1:]
	pos := 0
	for i, r := range rows {
		if r.Revenue {
			pos++
		}
		back, err := UCIRowFromJourney(r.Journey())
		if err != nil {
			t.Fatalf("row %d: %v", i+2, err)
		}
		back.Revenue = r.Revenue
		if back != r {
			t.Fatalf("row %d: rebuilt\n%+v\nwant\n%+v", i+2, back, r)
		}
		again, err := ParseUCIRow(FormatUCIRow(back))
		if err != nil || again != r {
			t.Fatalf("row %d: text round trip %+v, %v", i+2, again, err)
		}
		if direct, err := ParseUCIRow(lines[i]); err != nil || direct != r {
			t.Fatalf("row %d: ParseUCIRow disagrees with the CSV reader: %v", i+2, err)
		}
	}
	if pos != 1908 {
		t.Fatalf("%d purchases, want 1908", pos)
	}
}

func TestUCIQuirks(t *testing.T) {
	r, err := ParseUCIRow(",,,,,,,,0,0,Mar,2,2,2,1,Returning_Visitor,FALSE,FALSE")
	if err != nil || r.Administrative != 0 || r.ProductRelatedDuration != 0 {
		t.Fatalf("blank row: %+v, %v", r, err)
	}
	r, err = ParseUCIRow("0,-1,0,-1,1,-1,0.2,0.2,0,0,June,4,1,9,3,Other,TRUE,FALSE")
	if err != nil || r.AdministrativeDuration != 0 || r.Month != time.June || r.VisitorType != "Other" {
		t.Fatalf("-1 durations: %+v, %v", r, err)
	}
	for _, bad := range []string{"", "1,2,3", "x,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE",
		"0,0,0,0,1,0,0.2,0.2,0,0,Foo,1,1,1,1,Returning_Visitor,FALSE,FALSE",
		"0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,maybe"} {
		if _, err := ParseUCIRow(bad); err == nil {
			t.Errorf("ParseUCIRow(%q) accepted", bad)
		}
	}
}

// TestEvalUCIOneFold is a reduced but real check: one of ten stratified
// folds of the real data, with the evaluation code of `presage eval`.
func TestEvalUCIOneFold(t *testing.T) {
	data := readUCIFile(t)
	rep, err := EvalUCI(bytes.NewReader(data), EvalOptions{Seed: 1, OnlyFolds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CV.AUC < 0.90 {
		t.Fatalf("one-fold ROC-AUC %.3f, want ≥ 0.90", rep.CV.AUC)
	}
	if !strings.Contains(rep.String(), "ROC-AUC 0.") {
		t.Fatalf("report lacks the ROC-AUC line:\n%s", rep)
	}
	t.Logf("one fold: ROC-AUC %.3f AP %.3f F1 %.3f accuracy %.3f", rep.CV.AUC, rep.CV.AP, rep.CV.F1, rep.CV.Accuracy)
}

func TestEvalUCIRejectsUnknownLearner(t *testing.T) {
	if _, err := EvalUCI(strings.NewReader(""), EvalOptions{Learner: "svm"}); err == nil {
		t.Fatal("unknown learner accepted")
	}
}

func TestRunEvalCLIRequiresFile(t *testing.T) {
	var out, errb bytes.Buffer
	if err := RunEvalCLI(nil, &out, &errb); err == nil {
		t.Fatal("no --uci accepted")
	}
}

func FuzzParseUCIRow(f *testing.F) {
	f.Add("0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE")
	f.Add(",,,,,,,,0,0,Mar,2,2,2,1,Returning_Visitor,FALSE,FALSE")
	f.Add("0,-1,0,-1,1,-1,0.2,0.2,0,0,June,4,1,9,3,Other,TRUE,TRUE")
	f.Add("3,142.5,1,14,40,1200.3333333,0.004,0.02,37.1,0.4,Nov,2,2,3,2,New_Visitor,TRUE,TRUE")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseUCIRow(line)
		if err != nil {
			return
		}
		again, err := ParseUCIRow(FormatUCIRow(r))
		if err != nil || again != r {
			t.Fatalf("format/parse round trip of %q: %+v, %v", line, again, err)
		}
		if r.ProductRelated+r.Administrative+r.Informational > 3000 {
			return // keep journeys small
		}
		back, err := UCIRowFromJourney(r.Journey())
		if err != nil {
			t.Fatalf("journey of %q: %v", line, err)
		}
		back.Revenue = r.Revenue
		if back.Administrative != r.Administrative || back.ProductRelated != r.ProductRelated || back.Month != r.Month {
			t.Fatalf("journey round trip of %q: %+v", line, back)
		}
		cfg := UCIFeatureConfig(true)
		for _, f := range JourneyFeatures(&cfg, r.Journey(), nil) {
			if math.IsNaN(float64(f.Value)) || math.IsInf(float64(f.Value), 0) {
				t.Fatalf("non-finite feature from %q", line)
			}
		}
	})
}
