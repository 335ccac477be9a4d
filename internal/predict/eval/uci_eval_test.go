package eval

import (
	"bytes"
	"strings"
	"testing"
)

// TestUCIOneFold is a reduced but real check: one of ten stratified
// folds of the real data, with the evaluation code of `presage eval`.
func TestUCIOneFold(t *testing.T) {
	data := readUCIFile(t)
	rep, err := UCI(bytes.NewReader(data), UCIOptions{Seed: 1, OnlyFolds: 1})
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

func TestUCIRejectsUnknownLearner(t *testing.T) {
	if _, err := UCI(strings.NewReader(""), UCIOptions{Learner: "svm"}); err == nil {
		t.Fatal("unknown learner accepted")
	}
}

func TestRunUCICLIRequiresFile(t *testing.T) {
	var out, errb bytes.Buffer
	if err := RunUCICLI(nil, &out, &errb); err == nil {
		t.Fatal("no --uci accepted")
	}
}
