package eval

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/simulate"
	"github.com/presage-dev/presage/internal/presage"
)

// TestJourneysFileEqualsSimulator: evaluating the NDJSON of simulated
// sessions gives exactly what evaluating the simulator directly gives.
func TestJourneysFileEqualsSimulator(t *testing.T) {
	cfg := simulate.Config{Sessions: 1500, Seed: 9}
	var buf []byte
	for _, s := range simulateSessions(t, cfg) {
		buf, _ = AppendSimSession(buf, s, true)
	}
	direct, err := Journeys(simOpen(cfg), JourneyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := Journeys(func() (JourneySource, error) { return NewJourneyReader(bytes.NewReader(buf)), nil },
		JourneyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, f := direct.Outcomes[0], file.Outcomes[0]
	if d.All.AUC != f.All.AUC || d.All.LogLoss != f.All.LogLoss || d.BayesAll.AUC != f.BayesAll.AUC ||
		d.Examples != f.Examples || d.Truths != 1500 || f.Truths != 1500 || direct.Returning != file.Returning ||
		direct.Events != file.Events || direct.Visitors != file.Visitors {
		t.Errorf("direct %+v\nfile %+v", d, f)
	}
	if !strings.Contains(file.String(), "Bayes-optimal AUC all") {
		t.Errorf("report:\n%s", file.String())
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func fixtureSessions(t *testing.T) []*JourneySession {
	t.Helper()
	f, err := os.Open(fixture(t, "journeys_small.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAllSessions(t, NewJourneyReader(f))
}

// TestPrepareSessionHistoryAndLabels checks, on the fixture, the inputs the
// trainer would use: labels, the moments before the achievement, and the
// visitor history the store would return (earlier sessions of the visitor).
func TestPrepareSessionHistoryAndLabels(t *testing.T) {
	outs, err := readOutcomeFile(fixture(t, "journeys_outcomes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].ID != "out_purchase" || outs[1].ID != "newsletter" || outs[0].ValueField != "amount" {
		t.Fatalf("outcomes %+v", outs)
	}
	cfg := predict.DefaultFeatureConfig()
	opt := JourneyOptions{Outcomes: outs, Features: &cfg}
	matchers := make([]*outcome.Matcher, len(outs))
	for k, o := range outs {
		matchers[k], _ = outcome.Compile(o)
	}
	sessions := fixtureSessions(t)
	if len(sessions) != 3 || len(sessions[0].Truth) != 1 || len(sessions[1].Truth) != 1 || len(sessions[2].Truth) != 0 {
		t.Fatalf("fixture read as %d sessions", len(sessions))
	}
	visitors := map[string]*visitorState{}
	var prepared [][]*pendingSession
	for _, s := range sessions {
		ps, _ := prepareSession(s, visitors, opt, matchers)
		prepared = append(prepared, ps)
	}
	evs := func(s *JourneySession) []predict.FeatureEvent {
		out := make([]predict.FeatureEvent, len(s.Events))
		for i, e := range s.Events {
			out[i] = predict.FromStored(e)
		}
		return out
	}
	s1, s2, s3 := sessions[0], sessions[1], sessions[2]
	newHist := predict.HistoryOf(predict.VisitorHistory{}, "Europe/Paris")
	checks := []struct {
		ps      *pendingSession
		y       bool
		key     time.Time
		moments [][]predict.Feature
		truth   float64
	}{
		{prepared[0][0], true, s1.End.Add(SessionTimeout), predict.Moments(&cfg, newHist, evs(s1), 4), 0.6},
		{prepared[0][1], false, s1.End.Add(SessionTimeout), predict.Moments(&cfg, newHist, evs(s1), 5), math.NaN()},
		// s2's truth names no outcome: it is the first one's.
		{prepared[1][0], false, s2.End.Add(SessionTimeout), predict.Moments(&cfg, predict.HistoryOf(predict.VisitorHistory{}, "America/New_York"), evs(s2), 3), 0.02},
		{prepared[1][1], true, s2.End.Add(SessionTimeout), predict.Moments(&cfg, predict.HistoryOf(predict.VisitorHistory{}, "America/New_York"), evs(s2), 2), math.NaN()},
		// s3: v1's second session; s1 achieved the purchase.
		{prepared[2][0], false, s3.End.Add(SessionTimeout), predict.Moments(&cfg, predict.HistoryOf(predict.VisitorHistory{PastSessions: 1,
			LastVisit: s1.End, Achieved: []string{"out_purchase"}}, "Europe/Paris"), evs(s3), 3), math.NaN()},
	}
	for i, c := range checks {
		if c.ps.y != c.y || !c.ps.key.Equal(c.key) || !reflect.DeepEqual(c.ps.moments, c.moments) ||
			!(c.ps.truth == c.truth || math.IsNaN(c.ps.truth) && math.IsNaN(c.truth)) {
			t.Errorf("check %d: label %v key %v truth %v, %d moments; want %v %v %v, %d", i, c.ps.y, c.ps.key, c.ps.truth,
				len(c.ps.moments), c.y, c.key, c.truth, len(c.moments))
		}
	}
	// The returning session's history differs from a new visitor's.
	if reflect.DeepEqual(prepared[2][0].moments, predict.Moments(&cfg, newHist, evs(s3), 3)) {
		t.Error("history did not reach the features")
	}
	if !s3.Start.Equal(time.Date(2026, 3, 3, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("time zone offset: start %v", s3.Start)
	}
}

// listSource yields fixed sessions.
type listSource struct{ s []*JourneySession }

func (l *listSource) Next() (*JourneySession, error) {
	if len(l.s) == 0 {
		return nil, io.EOF
	}
	s := l.s[0]
	l.s = l.s[1:]
	return s, nil
}

// TestJourneysLearnsInTrainerOrder: every session is learned 30 minutes
// after its last event, positive or not, whatever order the sessions
// started in.
func TestJourneysLearnsInTrainerOrder(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	mk := func(id string, start time.Duration, steps []time.Duration, purchaseAt time.Duration) *JourneySession {
		s := &JourneySession{ID: id, VisitorID: "v" + id}
		at := t0.Add(start)
		s.Events = append(s.Events, presage.Event{SessionID: id, Type: presage.EventPageview, URL: "https://x.example/", OccurredAt: at})
		for _, d := range steps {
			s.Events = append(s.Events, presage.Event{SessionID: id, Type: presage.EventPageview,
				URL: "https://x.example/product/a", OccurredAt: at.Add(d)})
		}
		if purchaseAt > 0 {
			s.Events = append(s.Events, presage.Event{SessionID: id, Type: presage.EventCustom, Name: "purchase",
				OccurredAt: at.Add(purchaseAt)})
		}
		s.Start, s.End = s.Events[0].OccurredAt, s.Events[len(s.Events)-1].OccurredAt
		return s
	}
	sessions := []*JourneySession{
		mk("a", 0, []time.Duration{20 * time.Minute}, 0),                       // learned at 10:50
		mk("b", 5*time.Minute, []time.Duration{30 * time.Second}, time.Minute), // at 10:36
		mk("c", 30*time.Minute, []time.Duration{time.Minute}, 0),               // at 11:01
		mk("d", 90*time.Minute, nil, time.Minute),                              // at 12:01
		mk("e", 0, []time.Duration{10 * time.Minute}, 55*time.Minute),          // at 11:25: a late purchase waits for the end
	}
	var order []string
	rep, err := Journeys(func() (JourneySource, error) { return &listSource{cloneSessions(sessions)}, nil },
		JourneyOptions{Observe: func(s JourneyScore) { order = append(order, s.SessionID) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, "") != "baced" {
		t.Errorf("learned in order %v, want b a c e d", order)
	}
	if e := rep.Outcomes[0]; e.Achieved != 3 || e.Sessions != 5 || e.All.N != 5 || e.Examples != 2+2+2+1+2 {
		t.Errorf("%+v", e)
	}
}

func cloneSessions(s []*JourneySession) []*JourneySession {
	return append([]*JourneySession(nil), s...)
}

func TestJourneysOptions(t *testing.T) {
	open := simOpen(simulate.Config{Sessions: 10, Seed: 1})
	for _, opt := range []JourneyOptions{{Holdout: 1}, {Holdout: -0.1}, {Epochs: 2}, {Epochs: -1},
		{Params: predict.FTRLParams{Alpha: 1, Bits: 3}}, {Outcomes: []presage.Outcome{{Name: "x", Condition: presage.Condition{Kind: "nope"}}}}} {
		if _, err := Journeys(open, opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
	// Train then test on a file read several times: every session is learned
	// or held out, the holdout scored once.
	var buf bytes.Buffer
	for _, s := range simulateSessions(t, simulate.Config{Sessions: 600, Seed: 4}) {
		b, _ := AppendSimSession(nil, s, false)
		buf.Write(b)
	}
	opens := 0
	var held int
	rep, err := Journeys(func() (JourneySource, error) {
		opens++
		return NewJourneyReader(bytes.NewReader(buf.Bytes())), nil
	}, JourneyOptions{Holdout: 0.25, Epochs: 3, Observe: func(s JourneyScore) {
		if s.Holdout {
			held++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Outcomes[0]
	if opens != 4 || held != 150 || e.Holdout.N != 150 || e.All.N != 450 || e.Sessions != 600 || e.Truths != 0 ||
		!strings.Contains(rep.String(), "holdout, final model") {
		t.Errorf("opens %d, held %d, %+v\n%s", opens, held, e, rep.String())
	}
}

// BenchmarkJourneysFile measures the whole file evaluation: reading
// NDJSON, the visitor history, Moments and Learner.Learn.
func BenchmarkJourneysFile(b *testing.B) {
	var buf []byte
	sims := simulateSessions(b, simulate.Config{Sessions: 2000, Seed: 1})
	events := 0
	for _, s := range sims {
		buf, _ = AppendSimSession(buf, s, true)
		events += len(s.Events)
	}
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		if _, err := Journeys(func() (JourneySource, error) { return NewJourneyReader(bytes.NewReader(buf)), nil },
			JourneyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(sims)*b.N)/b.Elapsed().Seconds(), "sessions/s")
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
}
