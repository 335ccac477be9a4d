package simulate

import (
	"math"
	"slices"
)

// ExpectedAUC is the AUC the scores p achieve in expectation when each
// session's outcome is drawn with probability p itself: the sum over pairs
// of p_i·(1−p_j) for p_i > p_j (ties half) over the sum of p_i·(1−p_j) for
// i ≠ j. Over true probabilities it is the Bayes-optimal AUC to expect:
// the realized one varies with the outcomes drawn. Computed in O(n log n).
func ExpectedAUC(p []float64) float64 {
	s := slices.Clone(p)
	slices.Sort(s)
	var sumP, sumQ, self float64
	for _, x := range s {
		sumP += x
		sumQ += 1 - x
		self += x * (1 - x)
	}
	den := sumP*sumQ - self
	if !(den > 0) {
		return math.NaN()
	}
	var num, below float64 // below: Σ(1−p_j) over p_j smaller than the current group
	for i := 0; i < len(s); {
		j := i
		var gp, gq float64
		for ; j < len(s) && s[j] == s[i]; j++ {
			gp += s[j]
			gq += 1 - s[j]
		}
		// pairs within the group count half, excluding a session with itself
		var gself float64
		for k := i; k < j; k++ {
			gself += s[k] * (1 - s[k])
		}
		num += gp*below + 0.5*(gp*gq-gself)
		below += gq
		i = j
	}
	return num / den
}
