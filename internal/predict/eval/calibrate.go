package eval

import "math"

// Platt maps a model's probability p to sigmoid(A·logit(p) + B) (Platt
// scaling), fitted on progressive-validation or out-of-fold predictions.
// The identity is A=1, B=0.
type Platt struct{ A, B float64 }

// Apply returns the calibrated probability.
func (c Platt) Apply(p float64) float64 {
	q := math.Max(1e-15, math.Min(1-1e-15, p))
	return sigmoid(c.A*math.Log(q/(1-q)) + c.B)
}

// FitPlatt fits A and B by Newton's method on the log-loss, with Platt's
// smoothed targets (positives (P+1)/(P+2), negatives 1/(N+2)).
func FitPlatt(scores []float64, labels []bool) Platt {
	var P, N float64
	for _, y := range labels {
		if y {
			P++
		} else {
			N++
		}
	}
	if P == 0 || N == 0 {
		return Platt{A: 1}
	}
	tPos, tNeg := (P+1)/(P+2), 1/(N+2)
	x := make([]float64, len(scores))
	for i, p := range scores {
		q := math.Max(1e-15, math.Min(1-1e-15, p))
		x[i] = math.Log(q / (1 - q))
	}
	loss := func(c Platt) float64 {
		var l float64
		for i, xi := range x {
			t := tNeg
			if labels[i] {
				t = tPos
			}
			z := c.A*xi + c.B
			// log(1+e^z) - t·z, computed stably
			l += math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - t*z
		}
		return l
	}
	c := Platt{A: 1}
	cur := loss(c)
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i, xi := range x {
			t := tNeg
			if labels[i] {
				t = tPos
			}
			p := sigmoid(c.A*xi + c.B)
			d := p - t
			w := math.Max(p*(1-p), 1e-12)
			ga += d * xi
			gb += d
			haa += w * xi * xi
			hab += w * xi
			hbb += w
		}
		haa += 1e-9
		hbb += 1e-9
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		step := 1.0
		for ; step > 1e-6; step /= 2 { // backtracking keeps every step a descent
			next := Platt{A: c.A - step*da, B: c.B - step*db}
			if l := loss(next); l <= cur {
				c, cur = next, l
				break
			}
		}
		if step <= 1e-6 || math.Abs(step*da)+math.Abs(step*db) < 1e-10 {
			break
		}
	}
	return c
}

// sigmoid is the logistic link of predict's models (FTRL.Predict), copied
// so that the offline learners and the calibration report probabilities on
// the same scale as the server's.
func sigmoid(x float64) float64 {
	x = math.Max(-35, math.Min(35, x))
	return 1 / (1 + math.Exp(-x))
}
