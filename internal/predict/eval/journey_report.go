package eval

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/predict"
)

// String renders the report: per outcome the progressive, holdout and
// truth figures, the calibration table, then the throughput.
func (r JourneyReport) String() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "journeys: %d sessions, %d events, %d visitors (%d returning sessions)\n", r.Sessions, r.Events,
		r.Visitors, r.Returning)
	fmt.Fprintf(&b, "FTRL-Proximal LR, alpha=%g beta=%g L1=%g L2=%g, 2^%d weights; learner protocol: Moments (≤ %d per session), Learner.Learn\n",
		o.Params.Alpha, o.Params.Beta, o.Params.L1, o.Params.L2, o.Params.Bits, predict.MaxMoments)
	if o.Holdout > 0 {
		fmt.Fprintf(&b, "holdout: latest %.0f%% of sessions (by end) scored by the final model, %d epoch(s) over the rest\n",
			100*o.Holdout, o.Epochs)
	}
	for _, e := range r.Outcomes {
		fmt.Fprintf(&b, "\noutcome %s: %d sessions, %d achieved (%.2f%%), %d achieved at their first event (not scored); %d training examples\n",
			e.Outcome.Name, e.Sessions, e.Achieved, 100*float64(e.Achieved)/float64(max(e.Sessions, 1)), e.NoMoments, e.Examples)
		fmt.Fprintf(&b, "%-44s %7s %8s %7s %8s %7s %7s\n", "", "n", "ROC-AUC", "AP", "logloss", "Brier", "ECE")
		row := func(name string, s predict.Summary) {
			if s.N == 0 {
				return
			}
			fmt.Fprintf(&b, "%-44s %7d %8.4f %7.4f %8.4f %7.4f %7.4f\n", name, s.N, s.AUC, s.AP, s.LogLoss, s.Brier, s.ECE)
		}
		row("progressive validation, all sessions", e.All)
		row("progressive validation, latest half", e.Late)
		row(fmt.Sprintf("monitor window (latest %d)", predict.MonitorWindow), e.Window)
		row("holdout, final model", e.Holdout)
		if e.Truths > 0 {
			fmt.Fprintf(&b, "truth: %d sessions have the true probability\n", e.Truths)
			row("  true probability, all sessions", e.BayesAll)
			row("  true probability, latest half", e.BayesLate)
			row("  true probability, holdout", e.BayesHold)
			gap := func(name string, bayes, model predict.Summary, exp float64) {
				if bayes.N == 0 {
					return
				}
				fmt.Fprintf(&b, "Bayes-optimal AUC %s: %.4f (expected %.4f), model %.4f, gap %.4f\n", name, bayes.AUC, exp,
					model.AUC, bayes.AUC-model.AUC)
			}
			gap("all", e.BayesAll, e.ModelAll, e.ExpectedAll)
			gap("latest half", e.BayesLate, e.ModelLate, e.ExpectedLate)
			gap("holdout", e.BayesHold, e.ModelHold, e.ExpectedHold)
		}
		cal, name := e.All.Calibration, "progressive validation, all sessions"
		if e.Holdout.N > 0 {
			cal, name = e.Holdout.Calibration, "holdout"
		}
		if len(cal) > 0 {
			fmt.Fprintf(&b, "calibration (%s)\n%-11s %7s %9s %9s\n", name, "bin", "count", "mean pred", "observed")
			for _, c := range cal {
				if c.Count > 0 {
					fmt.Fprintf(&b, "[%.1f, %.1f) %7d %9.4f %9.4f\n", c.Lo, c.Hi, c.Count, c.MeanPred, c.Observed)
				}
			}
		}
		if e.Window.N > 0 && len(e.Window.Calibration) > 0 {
			fmt.Fprintf(&b, "calibration (monitor window)\n")
			for _, c := range e.Window.Calibration {
				if c.Count > 0 {
					fmt.Fprintf(&b, "[%.1f, %.1f) %7d %9.4f %9.4f\n", c.Lo, c.Hi, c.Count, c.MeanPred, c.Observed)
				}
			}
		}
	}
	if r.UnmatchedTruth > 0 {
		fmt.Fprintf(&b, "\nwarning: %d truth records matched no session\n", r.UnmatchedTruth)
	}
	var examples int64
	for _, e := range r.Outcomes {
		examples += e.Examples
	}
	sec := math.Max(r.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(&b, "\nthroughput: %s in total: %.0f sessions/s, %.0f events/s, %.0f examples/s end to end (reading, features, learning); Learner.Learn alone %.0f examples/s\n",
		r.Elapsed.Round(time.Millisecond), r.SessionsPerSecond(), float64(r.Events*o.Epochs)/sec,
		float64(examples*int64(o.Epochs))/sec, float64(examples*int64(o.Epochs))/math.Max(r.LearnTime.Seconds(), 1e-9))
	return b.String()
}
