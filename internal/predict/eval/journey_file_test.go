package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/simulate"
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
	sims := simulateSessions(t, simulate.Config{Sessions: 400, Seed: 5})
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
		_ = predict.FromStored(l.Event)
	})
}
