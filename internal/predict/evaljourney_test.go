package predict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

func TestParseJourneyLine(t *testing.T) {
	l, err := ParseJourneyLine([]byte(`{"sessionId":"s1","visitorId":"v1","id":"e1","type":"custom","name":"add_to_cart",
		"ts":"2026-03-02T10:00:00.123456+01:00","url":"https://shop.example/p?x=1","referrer":"https://www.google.com/",
		"attributes":{"price":9.5},"context":{"device":"mobile","browser":"Safari","os":"iOS","referrerClass":"search",
		"utm":{"source":"google","medium":"cpc"}},"timeZone":"Europe/Paris","seq":12}`))
	if err != nil {
		t.Fatal(err)
	}
	want := presage.Event{ID: "e1", SessionID: "s1", VisitorID: "v1", Type: presage.EventCustom, Name: "add_to_cart",
		OccurredAt: time.Date(2026, 3, 2, 9, 0, 0, 123e6, time.UTC), URL: "https://shop.example/p?x=1",
		Referrer: "https://www.google.com/", Attributes: json.RawMessage(`{"price":9.5}`),
		Context: presage.Enrichment{Device: "mobile", Browser: "Safari", OS: "iOS", ReferrerClass: "search",
			UTM: presage.UTM{Source: "google", Medium: "cpc"}}}
	want.ReceivedAt = want.OccurredAt
	if !reflect.DeepEqual(l.Event, want) || l.TimeZone != "Europe/Paris" || l.Truth != nil {
		t.Errorf("parsed %+v", l)
	}
	l, err = ParseJourneyLine([]byte(`{"sessionId":"s1","type":"pageview","ts":1772442600000,"attributes":null}`))
	if err != nil || !l.Event.OccurredAt.Equal(time.Date(2026, 3, 2, 9, 10, 0, 0, time.UTC)) || l.Event.Attributes != nil {
		t.Errorf("Unix milliseconds: %+v %v", l, err)
	}
	l, err = ParseJourneyLine([]byte(`{"truth":{"sessionId":"s1","outcome":"purchase","p":0.25}}`))
	if err != nil || l.Truth == nil || *l.Truth != (JourneyTruth{SessionID: "s1", Outcome: "purchase", P: 0.25}) {
		t.Errorf("truth: %+v %v", l, err)
	}
	for line, want := range map[string]string{
		`{"type":"pageview","ts":1}`:                                        "sessionId is required",
		`{"sessionId":"s","type":"click","ts":1}`:                           `unknown event type "click"`,
		`{"sessionId":"s","type":"pageview"}`:                               "ts: required",
		`{"sessionId":"s","type":"pageview","ts":"yesterday"}`:              "ts: parsing time",
		`{"sessionId":"s","type":"pageview","ts":1.5}`:                      "neither an RFC 3339 string nor integer",
		`{"sessionId":"s","type":"pageview","ts":99999999999999999}`:        "out of range",
		`{"sessionId":"s","type":"pageview","ts":"0000-01-01T00:00:00Z"}`:   "out of range",
		`{"sessionId":"s","type":"pageview","ts":1,"attributes":[1]}`:       "attributes must be a JSON object",
		`{"sessionId":"s","type":"pageview","ts":1,"attributes":"x"}`:       "attributes must be a JSON object",
		`{"truth":{"sessionId":"s","p":1.5}}`:                               "not within [0, 1]",
		`{"truth":{"p":0.5}}`:                                               "truth: sessionId is required",
		`{"truth":{"sessionId":"s","p":0.5},"sessionId":"s","type":"chat"}`: "cannot also be an event",
		`{"sessionId":"s",`:                                                 "unexpected end of JSON input",
		`[1]`:                                                               "cannot unmarshal array",
	} {
		if _, err := ParseJourneyLine([]byte(line)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", line, err, want)
		}
	}
}

func readAllSessions(t *testing.T, r JourneySource) []*JourneySession {
	t.Helper()
	var out []*JourneySession
	for {
		s, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
}

// TestJourneyFileRoundTrip writes simulated sessions as NDJSON and reads
// them back: the same stored events, time zones and truth.
func TestJourneyFileRoundTrip(t *testing.T) {
	sims := simulate(t, SimConfig{Sessions: 400, Seed: 5})
	var buf []byte
	var err error
	for _, s := range sims {
		if buf, err = AppendSimSession(buf, s, true); err != nil {
			t.Fatal(err)
		}
	}
	r := NewJourneyReader(bytes.NewReader(buf))
	got := readAllSessions(t, r)
	if len(got) != len(sims) || r.PendingTruth() != 0 {
		t.Fatalf("read %d of %d sessions, %d truth records unmatched", len(got), len(sims), r.PendingTruth())
	}
	for i, s := range sims {
		g := got[i]
		if g.ID != s.ID || g.VisitorID != s.VisitorID || g.TimeZone != s.TimeZone || len(g.Events) != len(s.Events) ||
			len(g.Truth) != 1 || g.Truth[0].P != s.P || !g.Start.Equal(s.Events[0].OccurredAt) ||
			!g.End.Equal(s.Events[len(s.Events)-1].OccurredAt) {
			t.Fatalf("session %d: %+v", i, g)
		}
		for j, e := range s.Events {
			e.Seq = 0 // the store's, not the file's
			if !reflect.DeepEqual(g.Events[j], e) {
				t.Fatalf("session %d event %d:\n got %+v\nwant %+v", i, j, g.Events[j], e)
			}
		}
	}
}

// TestEvalJourneysFileEqualsSimulator: evaluating the NDJSON of simulated
// sessions gives exactly what evaluating the simulator directly gives.
func TestEvalJourneysFileEqualsSimulator(t *testing.T) {
	cfg := SimConfig{Sessions: 1500, Seed: 9}
	var buf []byte
	for _, s := range simulate(t, cfg) {
		buf, _ = AppendSimSession(buf, s, true)
	}
	direct, err := EvalJourneys(simOpen(cfg), JourneyEvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := EvalJourneys(func() (JourneySource, error) { return NewJourneyReader(bytes.NewReader(buf)), nil },
		JourneyEvalOptions{})
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
	cfg := DefaultFeatureConfig()
	opt := JourneyEvalOptions{Outcomes: outs, Features: &cfg}
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
	evs := func(s *JourneySession) []FeatureEvent {
		out := make([]FeatureEvent, len(s.Events))
		for i, e := range s.Events {
			out[i] = FromStored(e)
		}
		return out
	}
	s1, s2, s3 := sessions[0], sessions[1], sessions[2]
	newHist := HistoryOf(VisitorHistory{}, "Europe/Paris")
	checks := []struct {
		ps      *pendingSession
		y       bool
		key     time.Time
		moments [][]Feature
		truth   float64
	}{
		{prepared[0][0], true, s1.End.Add(EvalSessionTimeout), Moments(&cfg, newHist, evs(s1), 4), 0.6},
		{prepared[0][1], false, s1.End.Add(EvalSessionTimeout), Moments(&cfg, newHist, evs(s1), 5), math.NaN()},
		// s2's truth names no outcome: it is the first one's.
		{prepared[1][0], false, s2.End.Add(EvalSessionTimeout), Moments(&cfg, HistoryOf(VisitorHistory{}, "America/New_York"), evs(s2), 3), 0.02},
		{prepared[1][1], true, s2.End.Add(EvalSessionTimeout), Moments(&cfg, HistoryOf(VisitorHistory{}, "America/New_York"), evs(s2), 2), math.NaN()},
		// s3: v1's second session; s1 achieved the purchase.
		{prepared[2][0], false, s3.End.Add(EvalSessionTimeout), Moments(&cfg, HistoryOf(VisitorHistory{PastSessions: 1,
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
	if reflect.DeepEqual(prepared[2][0].moments, Moments(&cfg, newHist, evs(s3), 3)) {
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

// TestEvalJourneysLearnsInTrainerOrder: every session is learned 30 minutes
// after its last event, positive or not, whatever order the sessions
// started in.
func TestEvalJourneysLearnsInTrainerOrder(t *testing.T) {
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
	rep, err := EvalJourneys(func() (JourneySource, error) { return &listSource{cloneSessions(sessions)}, nil },
		JourneyEvalOptions{Observe: func(s JourneyScore) { order = append(order, s.SessionID) }})
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

func TestJourneyReaderErrors(t *testing.T) {
	ev := func(session, ts string) string {
		return `{"sessionId":"` + session + `","type":"pageview","ts":"` + ts + `"}`
	}
	for name, c := range map[string]struct {
		in   string
		want string
	}{
		"malformed":      {ev("a", "2026-01-01T00:00:00Z") + "\n\n" + `{"sessionId":"a","type":"pageview","ts":}`, "line 3: invalid character"},
		"bad type":       {ev("a", "2026-01-01T00:00:00Z") + "\n" + `{"sessionId":"a","type":"tap","ts":1}`, `line 2: unknown event type "tap"`},
		"not contiguous": {ev("a", "2026-01-01T00:00:00Z") + "\n" + ev("b", "2026-01-01T00:01:00Z") + "\n" + ev("a", "2026-01-01T00:02:00Z"), "line 3: session a continues after other sessions"},
		"out of order":   {ev("a", "2026-01-01T00:05:00Z") + "\n" + ev("b", "2026-01-01T00:01:00Z") + "\n" + ev("c", "2026-01-01T00:06:00Z"), "line 2: session b starts at 2026-01-01T00:01:00Z, before session a of line 1"},
		"too long":       {ev("a", "2026-01-01T00:00:00Z") + "\n" + `{"sessionId":"a","pad":"` + strings.Repeat("x", MaxJourneyLine) + `"}`, "line 2: longer than"},
	} {
		r := NewJourneyReader(strings.NewReader(c.in))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err == io.EOF || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if _, again := r.Next(); !errors.Is(again, err) && again.Error() != err.Error() {
			t.Errorf("%s: error not sticky: %v", name, again)
		}
	}
	// A truth record for no session is counted, not an error.
	r := NewJourneyReader(strings.NewReader(ev("a", "2026-01-01T00:00:00Z") + "\n" + `{"truth":{"sessionId":"zz","p":0.5}}`))
	if got := readAllSessions(t, r); len(got) != 1 || r.PendingTruth() != 1 {
		t.Errorf("%d sessions, %d pending truth", len(got), r.PendingTruth())
	}
}

func TestEvalJourneysOptions(t *testing.T) {
	open := simOpen(SimConfig{Sessions: 10, Seed: 1})
	for _, opt := range []JourneyEvalOptions{{Holdout: 1}, {Holdout: -0.1}, {Epochs: 2}, {Epochs: -1},
		{Params: FTRLParams{Alpha: 1, Bits: 3}}, {Outcomes: []presage.Outcome{{Name: "x", Condition: presage.Condition{Kind: "nope"}}}}} {
		if _, err := EvalJourneys(open, opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
	// Train then test on a file read several times: every session is learned
	// or held out, the holdout scored once.
	var buf bytes.Buffer
	for _, s := range simulate(t, SimConfig{Sessions: 600, Seed: 4}) {
		b, _ := AppendSimSession(nil, s, false)
		buf.Write(b)
	}
	opens := 0
	var held int
	rep, err := EvalJourneys(func() (JourneySource, error) {
		opens++
		return NewJourneyReader(bytes.NewReader(buf.Bytes())), nil
	}, JourneyEvalOptions{Holdout: 0.25, Epochs: 3, Observe: func(s JourneyScore) {
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

func TestReadOutcomeFile(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "o.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	outs, err := readOutcomeFile(write(`{"name":"signup","direction":"maximize","condition":{"kind":"page","urlPattern":"/welcome"}}`))
	if err != nil || len(outs) != 1 || outs[0].ID != "signup" || outs[0].Condition.URLPattern != "/welcome" {
		t.Errorf("%+v %v", outs, err)
	}
	for body, want := range map[string]string{
		`[]`: "no outcome",
		`{"name":"x","direction":"maximize","condition":{"kind":"event"}}`:      "eventName",
		`{"name":"x","direction":"sideways","condition":{"kind":"form"}}`:       "direction",
		`{"name":"x","direction":"maximize","condition":{"kind":"form"},"z":1}`: "z",
		`{"id":5,"name":"x"}`: "id must be a string",
		`[{]`:                 "invalid character",
	} {
		if _, err := readOutcomeFile(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

func TestRunJourneyEvalCLI(t *testing.T) {
	var out, errb bytes.Buffer
	err := RunJourneyEvalCLI([]string{"--journeys", fixture(t, "journeys_small.ndjson"), "--outcome-file",
		fixture(t, "journeys_outcomes.json")}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, want := range []string{"journeys: 3 sessions, 11 events, 2 visitors (1 returning sessions)",
		"outcome purchase: 3 sessions, 1 achieved", "outcome newsletter: 3 sessions, 1 achieved", "truth: 2 sessions",
		"throughput:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	scores := filepath.Join(t.TempDir(), "scores.csv")
	out.Reset()
	if err := RunJourneyEvalCLI([]string{"--simulate", "300", "--seed", "2", "--scores", scores}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(scores)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 301 || !strings.HasPrefix(lines[1], "purchase,s") {
		t.Errorf("scores file: %d lines, %q", len(lines), lines[:min(2, len(lines))])
	}
	for _, args := range [][]string{nil, {"--journeys", "x", "--simulate", "3"}, {"--journeys", "-", "--holdout", "0.2"},
		{"--simulate", "3", "--truth", "x"}, {"--journeys", filepath.Join(t.TempDir(), "missing")}, {"--simulate", "3", "extra"}} {
		if err := RunJourneyEvalCLI(args, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if !IsJourneyEvalArgs([]string{"--seed", "1", "--simulate=5"}) || !IsJourneyEvalArgs([]string{"-journeys", "f"}) ||
		IsJourneyEvalArgs([]string{"--uci", "f"}) || IsJourneyEvalArgs([]string{"--", "--simulate"}) {
		t.Error("IsJourneyEvalArgs")
	}
}

func FuzzParseJourneyLine(f *testing.F) {
	for _, s := range []string{
		`{"sessionId":"s1","visitorId":"v1","id":"e1","type":"pageview","ts":"2026-03-02T09:00:00Z","url":"https://shop.example/","context":{"device":"desktop","browser":"Chrome","os":"Windows","referrerClass":"direct","utm":{}},"timeZone":"Europe/Paris"}`,
		`{"sessionId":"s","type":"custom","name":"purchase","ts":1772442600000,"attributes":{"amount":{"dataType":"number","value":"12.5"}}}`,
		`{"truth":{"sessionId":"s1","outcome":"purchase","p":0.25}}`,
		`{"sessionId":"s","type":"search","ts":"2026-03-02T09:00:00.123456789-05:00","attributes":{"query":"a\u0000<b>"}}`,
		`{"sessionId":"s","type":"pageview","ts":"9999-12-31T23:59:59.999Z"}`,
		`{"sessionId":"\xff","type":"chat","ts":-62135596800000}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := ParseJourneyLine(line)
		if err != nil {
			return
		}
		var out []byte
		if l.Truth != nil {
			out, err = AppendJourneyTruth(nil, *l.Truth)
		} else {
			out, err = AppendJourneyEvent(nil, l.Event, l.TimeZone)
		}
		if err != nil {
			t.Fatalf("cannot write what was read from %q: %v", line, err)
		}
		again, err := ParseJourneyLine(bytes.TrimSpace(out))
		if err != nil {
			t.Fatalf("cannot read %q (from %q): %v", out, line, err)
		}
		if l.Truth != nil {
			if again.Truth == nil || *again.Truth != *l.Truth {
				t.Fatalf("truth round trip: %+v, %+v", l.Truth, again.Truth)
			}
			return
		}
		a, b := l.Event, again.Event
		var va, vb any
		if (a.Attributes == nil) != (b.Attributes == nil) ||
			a.Attributes != nil && (json.Unmarshal(a.Attributes, &va) != nil || json.Unmarshal(b.Attributes, &vb) != nil || !reflect.DeepEqual(va, vb)) {
			t.Fatalf("attributes round trip: %s → %s", a.Attributes, b.Attributes)
		}
		a.Attributes, b.Attributes = nil, nil
		if !reflect.DeepEqual(a, b) || l.TimeZone != again.TimeZone {
			t.Fatalf("round trip of %q:\n%+v\n%+v", line, a, b)
		}
		// What the evaluator does with it must not panic either.
		_ = FromStored(l.Event)
	})
}

// BenchmarkEvalJourneysFile measures the whole file evaluation: reading
// NDJSON, the visitor history, Moments and Learner.Learn.
func BenchmarkEvalJourneysFile(b *testing.B) {
	var buf []byte
	sims := simulate(b, SimConfig{Sessions: 2000, Seed: 1})
	events := 0
	for _, s := range sims {
		buf, _ = AppendSimSession(buf, s, true)
		events += len(s.Events)
	}
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		if _, err := EvalJourneys(func() (JourneySource, error) { return NewJourneyReader(bytes.NewReader(buf)), nil },
			JourneyEvalOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(sims)*b.N)/b.Elapsed().Seconds(), "sessions/s")
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
}
