package outcomerow

import (
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func TestAchievementCursor(t *testing.T) {
	cases := []struct{ session, outcome string }{
		{"s-1", "out_abc"},
		{"a/b/c", "out_abc"}, // a session id may hold "/"; outcome ids never do
		{"", "out_abc"},
	}
	for _, c := range cases {
		cur := AchievementCursor(presage.Achievement{SessionID: c.session, OutcomeID: c.outcome})
		if s, o := SplitAchievementCursor(cur.ID); s != c.session || o != c.outcome {
			t.Errorf("split %q = %q, %q; want %q, %q", cur.ID, s, o, c.session, c.outcome)
		}
	}
	if s, o := SplitAchievementCursor("no-slash"); s != "no-slash" || o != "" {
		t.Errorf("split without a slash = %q, %q", s, o)
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 29, 11, 0, 0, 987_654_321, time.FixedZone("CET", 3600))
	text, err := EncodeHistory([]presage.ProbabilityPoint{{At: at, Probability: 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	if text != `[[1795946400987,0.25]]` {
		t.Fatalf("encoded %s", text)
	}
	h, err := DecodeHistory(text)
	if err != nil || len(h) != 1 || !h[0].At.Equal(at.Truncate(time.Millisecond)) || h[0].At.Location() != time.UTC {
		t.Fatalf("decoded %+v, %v", h, err)
	}
	if empty, _ := EncodeHistory(nil); empty != "[]" {
		t.Fatalf("empty history %s", empty)
	}
}

func TestCheckLease(t *testing.T) {
	exp := time.Date(2026, 11, 29, 10, 1, 0, 0, time.UTC)
	cases := []struct {
		name   string
		found  bool
		holder string
		at     time.Time
		ok     bool
	}{
		{"held", true, "node-a", exp.Add(-time.Second), true},
		{"at the expiry", true, "node-a", exp.Add(999 * time.Microsecond), true}, // same millisecond
		{"expired", true, "node-a", exp.Add(time.Millisecond), false},
		{"another holder", true, "node-b", exp.Add(-time.Second), false},
		{"no lease", false, "", exp.Add(-time.Second), false},
	}
	for _, c := range cases {
		err := CheckLease(c.found, c.holder, exp, "node-a", c.at)
		if (err == nil) != c.ok || (err != nil && presage.ErrorCode(err) != presage.CodeConflict) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
