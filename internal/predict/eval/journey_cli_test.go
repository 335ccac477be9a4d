package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

func TestRunJourneyCLI(t *testing.T) {
	var out, errb bytes.Buffer
	err := RunJourneyCLI([]string{"--journeys", fixture(t, "journeys_small.ndjson"), "--outcome-file",
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
	if err := RunJourneyCLI([]string{"--simulate", "300", "--seed", "2", "--scores", scores}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(scores)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 301 || !strings.HasPrefix(lines[1], "purchase,s") {
		t.Errorf("scores file: %d lines, %q", len(lines), lines[:min(2, len(lines))])
	}
	for _, args := range [][]string{nil, {"--journeys", "x", "--simulate", "3"}, {"--journeys", "-", "--holdout", "0.2"},
		{"--simulate", "3", "--truth", "x"}, {"--journeys", filepath.Join(t.TempDir(), "missing")}, {"--simulate", "3", "extra"}} {
		if err := RunJourneyCLI(args, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if !IsJourneyArgs([]string{"--seed", "1", "--simulate=5"}) || !IsJourneyArgs([]string{"-journeys", "f"}) ||
		IsJourneyArgs([]string{"--uci", "f"}) || IsJourneyArgs([]string{"--", "--simulate"}) {
		t.Error("IsJourneyArgs")
	}
}
