package eval

import (
	"container/heap"
	"errors"
	"io"
	"math"
	"slices"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/simulate"
	"github.com/presage-dev/presage/internal/presage"
)

// JourneyOptions configure Journeys.
type JourneyOptions struct {
	Outcomes []presage.Outcome      // default: simulate.PurchaseOutcome
	Params   predict.FTRLParams     // default: predict.DefaultFTRLParams
	Features *predict.FeatureConfig // default: predict.DefaultFeatureConfig
	// Holdout, within [0, 1), is the share of the latest sessions (in the
	// order they end) that the final model scores without learning from
	// them; 0 evaluates by progressive validation only.
	Holdout float64
	// Epochs is how many passes the model makes over the other sessions
	// when Holdout > 0 (default 1). Progressive figures come from the first.
	Epochs int
	// Observe, when set, receives every score: progressive ones (first
	// epoch) in the order sessions are learned, then the holdout's.
	Observe func(JourneyScore)
}

// JourneyScore is one scored session.
type JourneyScore struct {
	Outcome, SessionID string
	P                  float64 // the model's probability
	Truth              float64 // the true probability; NaN when unknown
	Label, Holdout     bool
}

// OutcomeEval is the evaluation of one outcome.
type OutcomeEval struct {
	Outcome   presage.Outcome
	Sessions  int // labelled sessions learned (or held out)
	Achieved  int
	NoMoments int   // sessions achieving it at their first event: nothing to score
	Examples  int64 // training examples (moments) learned
	// Progressive validation: each session scored by the model as it stood
	// just before it learned from it, in the order sessions end.
	All, Late predict.Summary // every scored session; the latest half
	Window    predict.Summary // the learner's monitor window (latest predict.MonitorWindow sessions)
	Holdout   predict.Summary // sessions held out, scored by the final model
	// With truth records: the same figures for the true probabilities over
	// the same sessions, and the expected AUC of the true probabilities.
	Truths                                  int
	BayesAll, BayesLate, BayesHold          predict.Summary
	ModelAll, ModelLate, ModelHold          predict.Summary // the model over the sessions that have truth
	ExpectedAll, ExpectedLate, ExpectedHold float64
}

// JourneyReport is the outcome of Journeys.
type JourneyReport struct {
	Sessions, Events, Visitors, Returning int
	Outcomes                              []OutcomeEval
	Options                               JourneyOptions
	Elapsed                               time.Duration // whole evaluation, reading included
	LearnTime                             time.Duration // in Learner.Learn
	UnmatchedTruth                        int
}

// SessionsPerSecond is the end-to-end throughput.
func (r JourneyReport) SessionsPerSecond() float64 {
	return float64(r.Sessions*max(r.Options.Epochs, 1)) / math.Max(r.Elapsed.Seconds(), 1e-9)
}

// visitorState is what the store would know of a visitor's past sessions.
type visitorState struct {
	sessions int
	last     time.Time
	achieved map[string]time.Time // outcome id → first achievement
}

// history is what the store's VisitorHistory returns for a session starting
// at start: LastVisit at most start, only achievements made before it.
func (v *visitorState) history(start time.Time) predict.VisitorHistory {
	vh := predict.VisitorHistory{PastSessions: v.sessions, LastVisit: v.last}
	if vh.LastVisit.After(start) {
		vh.LastVisit = start
	}
	for id, at := range v.achieved {
		if at.Before(start) {
			vh.Achieved = append(vh.Achieved, id)
		}
	}
	slices.Sort(vh.Achieved)
	return vh
}

// pendingSession is one labelled session of one outcome, waiting for the
// moment the trainer would learn it.
type pendingSession struct {
	key     time.Time // when the trainer learns it
	id      string
	moments [][]predict.Feature
	y       bool
	truth   float64 // NaN when unknown
}

type pendingHeap []*pendingSession

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if c := h[i].key.Compare(h[j].key); c != 0 {
		return c < 0
	}
	return h[i].id < h[j].id
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(*pendingSession)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// scored collects the predictions of one outcome in the order learned.
type scored struct {
	p, truth []float64
	y        []bool
}

func (s *scored) add(p, truth float64, y bool) {
	s.p, s.truth, s.y = append(s.p, p), append(s.truth, truth), append(s.y, y)
}

// SessionTimeout is the idle time after which the trainer takes a session
// as ended and learns it, by default: the tracker's session timeout.
const SessionTimeout = presage.DefaultSessionTimeout

// Journeys replays sessions through the server's training protocol, with
// predict's own code: FromStored, the visitor history the store would
// return (earlier sessions of the same visitor), FirstAchievement, Moments
// and Learner.Learn. Each outcome learns its sessions when the trainer
// would: once the session has ended, SessionTimeout after its last event,
// in that order (ties by session id), as a positive if it achieved the
// outcome and a negative if not, so every session is scored by the model
// as it stood just before — progressive validation. open returns a fresh
// source each time it is called: once per epoch, and once more to count
// sessions when Holdout > 0.
func Journeys(open func() (JourneySource, error), opt JourneyOptions) (JourneyReport, error) {
	t0 := time.Now()
	if len(opt.Outcomes) == 0 {
		opt.Outcomes = []presage.Outcome{simulate.PurchaseOutcome()}
	}
	opt.Outcomes = slices.Clone(opt.Outcomes)
	if opt.Params == (predict.FTRLParams{}) {
		opt.Params = predict.DefaultFTRLParams()
	}
	if opt.Features == nil {
		cfg := predict.DefaultFeatureConfig()
		opt.Features = &cfg
	}
	if opt.Epochs == 0 {
		opt.Epochs = 1
	}
	switch {
	case !(opt.Holdout >= 0 && opt.Holdout < 1):
		return JourneyReport{}, errors.New("holdout must be within [0, 1)")
	case opt.Epochs < 1:
		return JourneyReport{}, errors.New("epochs must be at least 1")
	case opt.Epochs > 1 && opt.Holdout == 0:
		return JourneyReport{}, errors.New("more than one epoch needs a holdout (progressive validation is one pass)")
	}
	if err := opt.Params.Validate(); err != nil {
		return JourneyReport{}, err
	}
	nOut := len(opt.Outcomes)
	matchers := make([]*outcome.Matcher, nOut)
	learners := make([]*predict.Learner, nOut)
	for k := range opt.Outcomes {
		if opt.Outcomes[k].ID == "" {
			opt.Outcomes[k].ID = opt.Outcomes[k].Name
		}
		m, err := outcome.Compile(opt.Outcomes[k])
		if err != nil {
			return JourneyReport{}, err
		}
		matchers[k] = m
		if learners[k], err = predict.NewLearner(opt.Params); err != nil {
			return JourneyReport{}, err
		}
	}
	rep := JourneyReport{Options: opt}
	total := -1 // sessions, when a holdout needs them counted
	if opt.Holdout > 0 {
		var err error
		if total, err = countSessions(open); err != nil {
			return rep, err
		}
	}
	nTrain := total - int(math.Round(opt.Holdout*float64(total)))
	prog := make([]scored, nOut)
	hold := make([]scored, nOut)
	evals := make([]OutcomeEval, nOut)
	for k := range evals {
		evals[k].Outcome = opt.Outcomes[k]
	}
	for epoch := 1; epoch <= opt.Epochs; epoch++ {
		src, err := open()
		if err != nil {
			return rep, err
		}
		first, last := epoch == 1, epoch == opt.Epochs
		visitors := map[string]*visitorState{}
		pending := make([]pendingHeap, nOut)
		released := make([]int, nOut)
		release := func(k int, ps *pendingSession) {
			train := total < 0 || released[k] < nTrain
			released[k]++
			if !train {
				if last && len(ps.moments) > 0 {
					p := learners[k].Model.Predict(ps.moments[len(ps.moments)-1])
					hold[k].add(p, ps.truth, ps.y)
					if opt.Observe != nil {
						opt.Observe(JourneyScore{Outcome: opt.Outcomes[k].ID, SessionID: ps.id, P: p, Truth: ps.truth,
							Label: ps.y, Holdout: true})
					}
				}
				return
			}
			t := time.Now()
			p := learners[k].Learn(ps.moments, ps.y)
			rep.LearnTime += time.Since(t)
			if first && p >= 0 {
				prog[k].add(p, ps.truth, ps.y)
				if opt.Observe != nil {
					opt.Observe(JourneyScore{Outcome: opt.Outcomes[k].ID, SessionID: ps.id, P: p, Truth: ps.truth, Label: ps.y})
				}
			}
		}
		// Sessions come in order of start and none is learned before it
		// starts, so every pending session due before the latest start
		// can go.
		releaseBefore := func(t time.Time, all bool) {
			for k := range pending {
				for len(pending[k]) > 0 && (all || pending[k][0].key.Before(t)) {
					release(k, heap.Pop(&pending[k]).(*pendingSession))
				}
			}
		}
		for {
			js, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return rep, err
			}
			releaseBefore(js.Start, false)
			pss, returning := prepareSession(js, visitors, opt, matchers)
			for k, ps := range pss {
				heap.Push(&pending[k], ps)
			}
			if !first {
				continue
			}
			rep.Sessions++
			rep.Events += len(js.Events)
			if returning {
				rep.Returning++
			}
			for k, ps := range pss {
				if ps.y {
					evals[k].Achieved++
					if len(ps.moments) == 0 {
						evals[k].NoMoments++
					}
				}
			}
		}
		releaseBefore(time.Time{}, true)
		if first {
			rep.Visitors = len(visitors)
			if r, ok := src.(interface{ PendingTruth() int }); ok {
				rep.UnmatchedTruth = r.PendingTruth()
			}
		}
	}
	for k := range evals {
		e := &evals[k]
		l := learners[k]
		e.Examples, e.Sessions = l.Examples/int64(opt.Epochs), int(l.Sessions)/opt.Epochs+len(hold[k].p)
		p := prog[k]
		e.All = predict.Summarize(p.p, p.y)
		half := len(p.p) / 2
		e.Late = predict.Summarize(p.p[half:], p.y[half:])
		if opt.Holdout == 0 {
			e.Window = l.Monitor.Window()
		}
		e.Holdout = predict.Summarize(hold[k].p, hold[k].y)
		e.Truths, e.ModelAll, e.BayesAll, e.ExpectedAll = truthSummaries(p.p, p.truth, p.y, 0)
		_, e.ModelLate, e.BayesLate, e.ExpectedLate = truthSummaries(p.p, p.truth, p.y, half)
		var nHold int
		nHold, e.ModelHold, e.BayesHold, e.ExpectedHold = truthSummaries(hold[k].p, hold[k].truth, hold[k].y, 0)
		e.Truths += nHold
	}
	rep.Outcomes = evals
	rep.Elapsed = time.Since(t0)
	return rep, nil
}

// countSessions counts the sessions of a source, without reading it when
// it knows (a simulator).
func countSessions(open func() (JourneySource, error)) (int, error) {
	src, err := open()
	if err != nil {
		return 0, err
	}
	if l, ok := src.(interface{ Len() int }); ok {
		return l.Len(), nil
	}
	n := 0
	for {
		if _, err := src.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

// truthSummaries summarizes, over predictions from index from on that
// have a true probability, the model and the truth.
func truthSummaries(p, truth []float64, y []bool, from int) (n int, model, bayes predict.Summary, expected float64) {
	var mp, tp []float64
	var ys []bool
	for i := from; i < len(p); i++ {
		if !math.IsNaN(truth[i]) {
			mp, tp, ys = append(mp, p[i]), append(tp, truth[i]), append(ys, y[i])
		}
	}
	if len(tp) == 0 {
		return 0, predict.Summary{AUC: math.NaN()}, predict.Summary{AUC: math.NaN()}, math.NaN()
	}
	return len(tp), predict.Summarize(mp, ys), predict.Summarize(tp, ys), simulate.ExpectedAUC(tp)
}

// prepareSession computes, for each outcome, the session's label, the
// moments it teaches and when the trainer learns it, with the history of
// the visitor's earlier sessions; then it records the session in that
// history. It reports whether the visitor had earlier sessions.
func prepareSession(js *JourneySession, visitors map[string]*visitorState, opt JourneyOptions,
	matchers []*outcome.Matcher) ([]*pendingSession, bool) {
	events := make([]predict.FeatureEvent, len(js.Events))
	for i, e := range js.Events {
		events[i] = predict.FromStored(e)
	}
	var vh predict.VisitorHistory
	v := visitors[js.VisitorID]
	if v != nil {
		vh = v.history(js.Start)
	}
	returning := v != nil && v.sessions > 0
	h := predict.HistoryOf(vh, js.TimeZone)
	if js.VisitorID != "" {
		if v == nil {
			v = &visitorState{achieved: map[string]time.Time{}}
			visitors[js.VisitorID] = v
		}
		v.sessions++
		v.last = maxTime(v.last, js.End)
	}
	out := make([]*pendingSession, len(matchers))
	for k, m := range matchers {
		ps := &pendingSession{id: js.ID, truth: math.NaN(), key: js.End.Add(SessionTimeout)}
		idx, _ := predict.FirstAchievement(m, events)
		upto := len(events)
		if idx >= 0 {
			upto, ps.y = idx, true
			if v != nil {
				id := opt.Outcomes[k].ID
				if at, seen := v.achieved[id]; !seen || events[idx].OccurredAt.Before(at) {
					v.achieved[id] = events[idx].OccurredAt
				}
			}
		}
		ps.moments = predict.Moments(opt.Features, h, events, upto)
		for _, t := range js.Truth {
			o := opt.Outcomes[k]
			if t.Outcome == "" && k == 0 || t.Outcome != "" && (t.Outcome == o.ID || t.Outcome == o.Name) {
				ps.truth = t.P
			}
		}
		out[k] = ps
	}
	return out, returning
}
