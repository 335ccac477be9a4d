package eval

import "slices"

// The decision figures the UCI literature reports beside ROC-AUC: F1 and
// accuracy at a threshold chosen on training predictions. Nothing live
// chooses a threshold from data, so they belong to the offline evaluation.

// BestF1Threshold returns the threshold t maximizing F1 of "score >= t"
// on the given (training) predictions, and that F1.
func BestF1Threshold(scores []float64, labels []bool) (threshold, f1 float64) {
	idx := make([]int, len(scores))
	P := 0
	for i := range idx {
		idx[i] = i
		if labels[i] {
			P++
		}
	}
	slices.SortFunc(idx, func(a, b int) int { // descending
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	threshold = 0.5
	tp, fp := 0, 0
	for i := 0; i < len(idx); {
		j := i
		for ; j < len(idx) && scores[idx[j]] == scores[idx[i]]; j++ {
			if labels[idx[j]] {
				tp++
			} else {
				fp++
			}
		}
		if f := 2 * float64(tp) / float64(tp+fp+P); f > f1 {
			f1, threshold = f, scores[idx[i]]
		}
		i = j
	}
	return threshold, f1
}

// F1Accuracy returns F1 and accuracy of the decision "score >= threshold".
func F1Accuracy(scores []float64, labels []bool, threshold float64) (f1, accuracy float64) {
	var tp, fp, fn, tn int
	for i, s := range scores {
		switch pred := s >= threshold; {
		case pred && labels[i]:
			tp++
		case pred:
			fp++
		case labels[i]:
			fn++
		default:
			tn++
		}
	}
	if tp+fp+fn > 0 {
		f1 = 2 * float64(tp) / float64(2*tp+fp+fn)
	}
	if n := tp + fp + fn + tn; n > 0 {
		accuracy = float64(tp+tn) / float64(n)
	}
	return f1, accuracy
}
