package eval

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/predict"
)

// UCIOptions configure the UCI evaluation.
type UCIOptions struct {
	Folds  int    // stratified cross-validation folds (default 10)
	Seed   uint64 // fold assignment and training order
	Epochs int    // passes over the training data (default 4)
	Params predict.FTRLParams
	// Learner is "ftrl" (the default, what the server runs), "gbt"
	// (gradient-boosted trees on the same feature vectors) or "blend" (the
	// mean of both log-odds).
	Learner string
	GBT     GBTParams
	// OnlyFolds, when positive, evaluates only the first OnlyFolds folds of
	// the main variant and skips the others (for quick tests).
	OnlyFolds int
}

func (o *UCIOptions) defaults() {
	if o.Folds == 0 {
		o.Folds = 10
	}
	if o.Epochs == 0 {
		o.Epochs = 4
	}
	if o.Params == (predict.FTRLParams{}) {
		o.Params = predict.DefaultFTRLParams()
	}
	if o.Learner == "" {
		o.Learner = "ftrl"
	}
	if o.GBT == (GBTParams{}) {
		o.GBT = DefaultGBTParams()
	}
}

// scorer is a trained model.
type scorer interface {
	Predict(x []predict.Feature) float64
}

type blend struct {
	a *predict.FTRL
	b *GBT
}

func (m blend) Predict(x []predict.Feature) float64 {
	return sigmoid((m.a.Logit(x) + m.b.Logit(x)) / 2)
}

// UCIResult is the evaluation of one variant.
type UCIResult struct {
	Name string
	// Means and standard deviations over folds (a time split has one fold).
	AUC, AUCStd, AP, APStd, F1, F1Std, Accuracy, AccuracyStd float64
	// Pooled over every held-out prediction, raw and Platt-calibrated.
	Pooled, Calibrated predict.Summary
	Folds              int
}

// UCIReport is the outcome of UCI.
type UCIReport struct {
	Rows, Positives int
	Options         UCIOptions
	CV              UCIResult // all features, stratified cross-validation
	NoPageValues    UCIResult // the same without the page-value metric
	TimeSplit       UCIResult // train Feb–Oct, test Nov–Dec
	TimeSplitNoPV   UCIResult
	TrainPerSecond  float64 // training examples per second (FTRL updates; examples per GBT fit)
	Elapsed         time.Duration
}

type dataset struct {
	x      [][]predict.Feature
	y      []bool
	months []time.Month
}

func buildDataset(rows []UCIRow, withPV bool) *dataset {
	cfg := UCIFeatureConfig(withPV)
	d := &dataset{x: make([][]predict.Feature, len(rows)), y: make([]bool, len(rows)), months: make([]time.Month, len(rows))}
	var buf []predict.Feature
	for i, r := range rows {
		start := len(buf)
		buf = JourneyFeatures(&cfg, r.Journey(), buf)
		d.x[i] = buf[start:len(buf):len(buf)]
		d.y[i], d.months[i] = r.Revenue, r.Month
	}
	return d
}

type evaluator struct {
	opt     UCIOptions
	updates int64
	busy    time.Duration
}

func (ev *evaluator) train(d *dataset, idx []int, rng *rand.Rand) scorer {
	t0 := time.Now()
	defer func() { ev.busy += time.Since(t0) }()
	var f *predict.FTRL
	if ev.opt.Learner != "gbt" {
		f, _ = predict.NewFTRL(ev.opt.Params)
		order := append([]int(nil), idx...)
		for range ev.opt.Epochs {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, i := range order {
				f.Update(d.x[i], d.y[i])
			}
		}
		ev.updates += int64(ev.opt.Epochs * len(order))
		if ev.opt.Learner == "ftrl" {
			return f
		}
	}
	xs, ys := make([][]predict.Feature, len(idx)), make([]bool, len(idx))
	for j, i := range idx {
		xs[j], ys[j] = d.x[i], d.y[i]
	}
	p := ev.opt.GBT
	p.Seed = rng.Uint64()
	g, err := TrainGBT(xs, ys, p)
	if err != nil {
		panic(err) // parameters were validated
	}
	ev.updates += int64(len(idx))
	if f == nil {
		return g
	}
	return blend{f, g}
}

// stratified assigns each index to one of k folds, keeping the outcome rate.
func stratified(idx []int, y []bool, k int, rng *rand.Rand) [][]int {
	var pos, neg []int
	for _, i := range idx {
		if y[i] {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	folds := make([][]int, k)
	n := 0
	for _, part := range [][]int{pos, neg} {
		rng.Shuffle(len(part), func(i, j int) { part[i], part[j] = part[j], part[i] })
		for _, i := range part {
			folds[n%k] = append(folds[n%k], i)
			n++
		}
	}
	return folds
}

func without(folds [][]int, skip int) []int {
	var out []int
	for f, idx := range folds {
		if f != skip {
			out = append(out, idx...)
		}
	}
	return out
}

// fold trains on train and scores test. The decision threshold (best F1)
// and the Platt calibration are fitted on out-of-fold predictions of an
// inner 3-fold split of the training data, never on test.
func (ev *evaluator) fold(d *dataset, train, test []int, rng *rand.Rand) (raw, cal []float64, thr float64) {
	inner := stratified(train, d.y, 3, rng)
	var oofS []float64
	var oofY []bool
	for k := range inner {
		m := ev.train(d, without(inner, k), rng)
		for _, i := range inner[k] {
			oofS = append(oofS, m.Predict(d.x[i]))
			oofY = append(oofY, d.y[i])
		}
	}
	platt := FitPlatt(oofS, oofY)
	thr, _ = BestF1Threshold(oofS, oofY)
	m := ev.train(d, train, rng)
	for _, i := range test {
		p := m.Predict(d.x[i])
		raw = append(raw, p)
		cal = append(cal, platt.Apply(p))
	}
	return raw, cal, thr
}

func (ev *evaluator) run(name string, d *dataset, splits [][2][]int, rng *rand.Rand) UCIResult {
	res := UCIResult{Name: name, Folds: len(splits)}
	var auc, ap, f1, acc []float64
	var allRaw, allCal []float64
	var allY []bool
	for _, sp := range splits {
		raw, cal, thr := ev.fold(d, sp[0], sp[1], rng)
		ys := make([]bool, len(sp[1]))
		for j, i := range sp[1] {
			ys[j] = d.y[i]
		}
		s := predict.Summarize(raw, ys)
		f, a := F1Accuracy(raw, ys, thr)
		auc, ap, f1, acc = append(auc, s.AUC), append(ap, s.AP), append(f1, f), append(acc, a)
		allRaw, allCal, allY = append(allRaw, raw...), append(allCal, cal...), append(allY, ys...)
	}
	res.AUC, res.AUCStd = meanStd(auc)
	res.AP, res.APStd = meanStd(ap)
	res.F1, res.F1Std = meanStd(f1)
	res.Accuracy, res.AccuracyStd = meanStd(acc)
	res.Pooled, res.Calibrated = predict.Summarize(allRaw, allY), predict.Summarize(allCal, allY)
	return res
}

func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) > 1 {
		for _, x := range v {
			std += (x - mean) * (x - mean)
		}
		std = math.Sqrt(std / float64(len(v)-1))
	}
	return mean, std
}

// UCI reads the UCI data set and evaluates FTRL on it with the feature
// code the server uses: stratified cross-validation with and without page
// values, and a time split.
func UCI(r io.Reader, opt UCIOptions) (UCIReport, error) {
	opt.defaults()
	if err := opt.Params.Validate(); err != nil {
		return UCIReport{}, err
	}
	if err := opt.GBT.validate(); err != nil {
		return UCIReport{}, err
	}
	switch opt.Learner {
	case "ftrl", "gbt", "blend":
	default:
		return UCIReport{}, fmt.Errorf("unknown learner %q (ftrl, gbt or blend)", opt.Learner)
	}
	if opt.Folds < 2 || opt.Epochs < 1 {
		return UCIReport{}, fmt.Errorf("need at least 2 folds and 1 epoch")
	}
	t0 := time.Now()
	rows, err := ReadUCI(r)
	if err != nil {
		return UCIReport{}, err
	}
	rep := UCIReport{Rows: len(rows), Options: opt}
	for _, r := range rows {
		if r.Revenue {
			rep.Positives++
		}
	}
	ev := &evaluator{opt: opt}
	all := make([]int, len(rows))
	for i := range all {
		all[i] = i
	}
	variant := func(name string, withPV bool, onlyFolds int) (UCIResult, UCIResult) {
		d := buildDataset(rows, withPV)
		rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
		folds := stratified(all, d.y, opt.Folds, rng)
		var splits [][2][]int
		for k := range folds {
			if onlyFolds > 0 && k >= onlyFolds {
				break
			}
			splits = append(splits, [2][]int{without(folds, k), folds[k]})
		}
		cv := ev.run(name, d, splits, rng)
		if onlyFolds > 0 {
			return cv, UCIResult{}
		}
		var train, test []int
		for i, m := range d.months {
			if m >= time.November {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		return cv, ev.run(name+", time split", d, [][2][]int{{train, test}}, rng)
	}
	rep.CV, rep.TimeSplit = variant("all features", true, opt.OnlyFolds)
	if opt.OnlyFolds == 0 {
		rep.NoPageValues, rep.TimeSplitNoPV = variant("without PageValues", false, 0)
	}
	if ev.busy > 0 {
		rep.TrainPerSecond = float64(ev.updates) / ev.busy.Seconds()
	}
	rep.Elapsed = time.Since(t0)
	return rep, nil
}

// String renders the report as a readable table. Its line "ROC-AUC 0.xxx"
// is the main cross-validated figure.
func (r UCIReport) String() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "UCI Online Shoppers Purchasing Intention: %d sessions, %d purchases (%.2f%%)\n",
		r.Rows, r.Positives, 100*float64(r.Positives)/float64(max(r.Rows, 1)))
	g := o.GBT
	gbt := fmt.Sprintf("gradient-boosted trees, %d trees of depth %d, learning rate %g, lambda %g, subsample %g, colsample %g",
		g.Trees, g.Depth, g.LearningRate, g.Lambda, g.Subsample, g.ColSample)
	ftrl := fmt.Sprintf("FTRL-Proximal LR, alpha=%g beta=%g L1=%g L2=%g, 2^%d weights, %d epochs",
		o.Params.Alpha, o.Params.Beta, o.Params.L1, o.Params.L2, o.Params.Bits, o.Epochs)
	switch o.Learner {
	case "gbt":
		fmt.Fprintf(&b, "learner gbt: %s, seed %d\n", gbt, o.Seed)
	case "blend":
		fmt.Fprintf(&b, "learner blend (mean log-odds): %s; %s, seed %d\n", ftrl, gbt, o.Seed)
	default:
		fmt.Fprintf(&b, "learner ftrl: %s, seed %d\n", ftrl, o.Seed)
	}
	fmt.Fprintf(&b, "ROC-AUC %.3f\n", r.CV.AUC)
	fmt.Fprintf(&b, "\n%-34s %-15s %-15s %-15s %-15s %8s %8s %8s %8s\n", "variant", "ROC-AUC", "AP", "F1", "accuracy",
		"logloss", "Brier", "ECE", "ECE/Platt")
	for _, res := range []UCIResult{r.CV, r.NoPageValues, r.TimeSplit, r.TimeSplitNoPV} {
		if res.Folds == 0 {
			continue
		}
		name := res.Name
		if !strings.Contains(name, "time split") {
			name += fmt.Sprintf(", %d-fold CV", res.Folds)
		}
		pm := func(m, s float64) string {
			if res.Folds == 1 {
				return fmt.Sprintf("%.3f", m)
			}
			return fmt.Sprintf("%.3f ± %.3f", m, s)
		}
		fmt.Fprintf(&b, "%-34s %-15s %-15s %-15s %-15s %8.4f %8.4f %8.4f %8.4f\n", name, pm(res.AUC, res.AUCStd),
			pm(res.AP, res.APStd), pm(res.F1, res.F1Std), pm(res.Accuracy, res.AccuracyStd),
			res.Pooled.LogLoss, res.Pooled.Brier, res.Pooled.ECE, res.Calibrated.ECE)
	}
	fmt.Fprintf(&b, "\nanchors: XGBoost ROC-AUC 0.937, AP 0.754 (PMC10121810); plain FTRL LR on raw columns ≈ 0.917; goal ≥ 0.937\n")
	fmt.Fprintf(&b, "F1 and accuracy at the best-F1 threshold of inner out-of-fold training predictions\n")
	if cal := r.CV.Pooled.Calibration; len(cal) > 0 {
		fmt.Fprintf(&b, "\ncalibration (all features, pooled CV predictions)\n%-11s %7s %9s %9s\n", "bin", "count", "mean pred", "observed")
		for _, c := range cal {
			if c.Count > 0 {
				fmt.Fprintf(&b, "[%.1f, %.1f) %7d %9.3f %9.3f\n", c.Lo, c.Hi, c.Count, c.MeanPred, c.Observed)
			}
		}
	}
	fmt.Fprintf(&b, "\ntraining %.0f examples/s, total %s\n", r.TrainPerSecond, r.Elapsed.Round(time.Millisecond))
	return b.String()
}
