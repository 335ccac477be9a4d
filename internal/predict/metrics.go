package predict

import (
	"math"
	"slices"
)

// CalibrationBin is one row of a calibration table: predictions within
// [Lo, Hi), their mean and the observed rate of the outcome.
type CalibrationBin struct {
	Lo, Hi    float64
	Count     int
	MeanPred  float64
	Observed  float64
	Positives int
}

// Summary is the quality of a set of predictions.
type Summary struct {
	N, Positives int
	AUC          float64 // ROC-AUC, ties counted half
	AP           float64 // average precision (area under the precision–recall steps)
	LogLoss      float64
	Brier        float64
	ECE          float64 // expected calibration error over 10 equal-width bins
	Calibration  []CalibrationBin
}

// group is a run of predictions sharing a score (or a histogram bin).
type group struct{ pos, neg float64 }

// rankMetrics computes ROC-AUC and average precision from groups sorted by
// ascending score.
func rankMetrics(groups []group) (auc, ap float64) {
	var P, N float64
	for _, g := range groups {
		P += g.pos
		N += g.neg
	}
	if P == 0 || N == 0 {
		return math.NaN(), math.NaN()
	}
	var negBelow float64
	for _, g := range groups {
		auc += g.pos * (negBelow + 0.5*g.neg)
		negBelow += g.neg
	}
	auc /= P * N
	var tp, fp, prevRecall float64
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if g.pos == 0 && g.neg == 0 {
			continue
		}
		tp += g.pos
		fp += g.neg
		recall := tp / P
		ap += (recall - prevRecall) * tp / (tp + fp)
		prevRecall = recall
	}
	return auc, ap
}

// calibration accumulates the probability-based figures.
type calibration struct {
	n, pos  int
	logLoss float64
	brier   float64
	bins    [10]struct {
		n, pos int
		sum    float64
	}
}

func (c *calibration) add(p float64, y bool) {
	c.n++
	q := math.Max(1e-15, math.Min(1-1e-15, p))
	yy := 0.0
	if y {
		c.pos++
		yy = 1
		c.logLoss -= math.Log(q)
	} else {
		c.logLoss -= math.Log(1 - q)
	}
	c.brier += (p - yy) * (p - yy)
	b := min(int(p*10), 9)
	c.bins[b].n++
	c.bins[b].sum += p
	if y {
		c.bins[b].pos++
	}
}

func (c *calibration) fill(s *Summary) {
	s.N, s.Positives = c.n, c.pos
	if c.n == 0 {
		s.AUC, s.AP, s.LogLoss, s.Brier, s.ECE = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return
	}
	s.LogLoss = c.logLoss / float64(c.n)
	s.Brier = c.brier / float64(c.n)
	s.ECE = 0
	s.Calibration = make([]CalibrationBin, len(c.bins))
	for i, b := range c.bins {
		cb := CalibrationBin{Lo: float64(i) / 10, Hi: float64(i+1) / 10, Count: b.n, Positives: b.pos}
		if b.n > 0 {
			cb.MeanPred = b.sum / float64(b.n)
			cb.Observed = float64(b.pos) / float64(b.n)
			s.ECE += float64(b.n) / float64(c.n) * math.Abs(cb.MeanPred-cb.Observed)
		}
		s.Calibration[i] = cb
	}
}

// Summarize computes every figure exactly from stored predictions.
func Summarize(scores []float64, labels []bool) Summary {
	var c calibration
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
		c.add(scores[i], labels[i])
	}
	var s Summary
	c.fill(&s)
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	groups := make([]group, 0, len(scores))
	for i := 0; i < len(idx); {
		var g group
		j := i
		for ; j < len(idx) && scores[idx[j]] == scores[idx[i]]; j++ {
			if labels[idx[j]] {
				g.pos++
			} else {
				g.neg++
			}
		}
		groups = append(groups, g)
		i = j
	}
	s.AUC, s.AP = rankMetrics(groups)
	return s
}

// Monitor tracks progressive-validation quality of one model: exactly over
// a sliding window of the latest predictions, and since creation from a
// fine histogram of log-odds (4,000 bins over [-10, 10]), so its memory is
// fixed. Not safe for concurrent use.
type Monitor struct {
	window      []float64 // scores, ring
	wlabels     []bool
	next, count int
	hist        []group
	total       calibration
}

const (
	histBins  = 4000
	histRange = 10.0
)

// NewMonitor keeps the latest window predictions for the window figures.
func NewMonitor(window int) *Monitor {
	return &Monitor{window: make([]float64, window), wlabels: make([]bool, window), hist: make([]group, histBins)}
}

// Observe records a prediction made before the outcome was known, and the outcome.
func (m *Monitor) Observe(p float64, y bool) {
	if len(m.window) > 0 {
		m.window[m.next], m.wlabels[m.next] = p, y
		m.next = (m.next + 1) % len(m.window)
		m.count = min(m.count+1, len(m.window))
	}
	q := math.Max(1e-15, math.Min(1-1e-15, p))
	l := math.Log(q / (1 - q))
	b := int((l + histRange) / (2 * histRange) * histBins)
	b = max(0, min(histBins-1, b))
	if y {
		m.hist[b].pos++
	} else {
		m.hist[b].neg++
	}
	m.total.add(p, y)
}

// Window summarizes the latest predictions exactly.
func (m *Monitor) Window() Summary { return Summarize(m.window[:m.count], m.wlabels[:m.count]) }

// Total summarizes every prediction since creation (ranks from the histogram).
func (m *Monitor) Total() Summary {
	var s Summary
	m.total.fill(&s)
	if s.N > 0 {
		s.AUC, s.AP = rankMetrics(m.hist)
	}
	return s
}
