package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bayesLine is the report's line about the Bayes-optimal AUC over all sessions.
var bayesLine = regexp.MustCompile(`Bayes-optimal AUC all: .*`)

func TestSimulateThenEval(t *testing.T) {
	dir := t.TempDir()
	inline := filepath.Join(dir, "journeys.ndjson")
	code, _, errOut := runCLI(t, "simulate", "--sessions", "400", "--seed", "3", "--out", inline)
	if code != 0 || !strings.Contains(errOut, "simulated 400 sessions") || !strings.Contains(errOut, "Bayes-optimal AUC") {
		t.Fatalf("simulate: %d %q", code, errOut)
	}
	code, out, errOut := runCLI(t, "eval", "--journeys", inline)
	if code != 0 {
		t.Fatalf("eval --journeys: %d %s", code, errOut)
	}
	for _, want := range []string{"journeys: 400 sessions", "outcome purchase: 400 sessions", "progressive validation, all sessions",
		"truth: 400 sessions", "calibration", "throughput:"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval --journeys output lacks %q:\n%s", want, out)
		}
	}
	inlineBayes := bayesLine.FindString(out)

	// The same journeys with the truth in a separate file, read from
	// standard input as in `presage simulate | presage eval --journeys -`.
	code, stdout, errOut := runCLI(t, "simulate", "--sessions", "400", "--seed", "3", "--truth", filepath.Join(dir, "truth.ndjson"))
	if code != 0 || strings.Contains(stdout, `"truth"`) {
		t.Fatalf("simulate --truth: %d %s", code, errOut)
	}
	pipe := filepath.Join(dir, "stdin.ndjson")
	if err := os.WriteFile(pipe, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	stdin, err := os.Open(pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	saved := os.Stdin
	os.Stdin = stdin
	code, out, errOut = runCLI(t, "eval", "--journeys", "-", "--truth", filepath.Join(dir, "truth.ndjson"))
	os.Stdin = saved
	if code != 0 || inlineBayes == "" || bayesLine.FindString(out) != inlineBayes {
		t.Errorf("eval of standard input with --truth: %d %s\n%q vs %q", code, errOut, bayesLine.FindString(out), inlineBayes)
	}

	code, out, errOut = runCLI(t, "eval", "--simulate", "400", "--seed", "3")
	if code != 0 || bayesLine.FindString(out) != inlineBayes {
		t.Errorf("eval --simulate: %d %s\n%s", code, errOut, out)
	}
	code, out, _ = runCLI(t, "eval", "--simulate", "600", "--holdout", "0.25", "--epochs", "2")
	if code != 0 || !strings.Contains(out, "holdout, final model") {
		t.Errorf("eval --holdout: %d\n%s", code, out)
	}
}

func TestSimulateAndEvalErrors(t *testing.T) {
	if code, _, _ := runCLI(t, "simulate", "--no-such-flag"); code != 2 {
		t.Errorf("bad flag: %d", code)
	}
	if code, _, errOut := runCLI(t, "simulate", "--sessions", "0"); code != 1 || !strings.Contains(errOut, "--sessions") {
		t.Errorf("no sessions: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "simulate", "--help"); code != 0 || !strings.Contains(errOut, "-truth string") {
		t.Errorf("simulate --help: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "eval", "--journeys", filepath.Join(t.TempDir(), "missing.ndjson")); code != 1 ||
		!strings.Contains(errOut, "missing.ndjson") {
		t.Errorf("missing file: %d %q", code, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.ndjson")
	if err := os.WriteFile(bad, []byte(`{"sessionId":"s1","type":"pageview","ts":1}`+"\n"+`{"sessionId":"s1","type":"oops","ts":2}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "eval", "--journeys", bad); code != 1 || !strings.Contains(errOut, "line 2") {
		t.Errorf("malformed file: %d %q", code, errOut)
	}
	// Without a source, eval's usage names all three: --journeys, --simulate, --uci.
	if code, _, errOut := runCLI(t, "eval"); code != 1 || !strings.Contains(errOut, "--simulate N") ||
		!strings.Contains(errOut, "--uci FILE") {
		t.Errorf("eval without a source: %d %q", code, errOut)
	}
}
