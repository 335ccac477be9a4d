package predict

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// Journey files (NDJSON): one JSON object per line, either an event in the
// field names of the collector protocol and the stored event, or a truth
// record. docs/prediction.md ("Simulator") documents the format.

// JourneyTruth is a truth record: the true probability that a session
// achieves an outcome. It is never an event attribute, so it cannot reach
// the features.
type JourneyTruth struct {
	SessionID string  `json:"sessionId"`
	Outcome   string  `json:"outcome,omitempty"` // outcome id or name; "" means the first outcome evaluated
	P         float64 `json:"p"`
}

// journeyEventJSON is an event line as written.
type journeyEventJSON struct {
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId,omitempty"`
	ID         string             `json:"id,omitempty"`
	Type       presage.EventType  `json:"type"`
	Name       string             `json:"name,omitempty"`
	TS         time.Time          `json:"ts"`
	URL        string             `json:"url,omitempty"`
	Title      string             `json:"title,omitempty"`
	Referrer   string             `json:"referrer,omitempty"`
	Attributes json.RawMessage    `json:"attributes,omitempty"`
	Context    presage.Enrichment `json:"context"`
	TimeZone   string             `json:"timeZone,omitempty"`
}

// journeyLineJSON is any line as read: ts may be an RFC 3339 string or Unix
// milliseconds.
type journeyLineJSON struct {
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId"`
	ID         string             `json:"id"`
	Type       presage.EventType  `json:"type"`
	Name       string             `json:"name"`
	TS         json.RawMessage    `json:"ts"`
	URL        string             `json:"url"`
	Title      string             `json:"title"`
	Referrer   string             `json:"referrer"`
	Attributes json.RawMessage    `json:"attributes"`
	Context    presage.Enrichment `json:"context"`
	TimeZone   string             `json:"timeZone"`
	Truth      *JourneyTruth      `json:"truth"`
}

// JourneyLine is one parsed line: an event (with the session's time zone)
// or, when Truth is set, a truth record.
type JourneyLine struct {
	Event    presage.Event
	TimeZone string
	Truth    *JourneyTruth
}

// MaxJourneyLine is the longest line a journey file may hold.
const MaxJourneyLine = 4 << 20

// ParseJourneyLine parses one line of a journey file. An event needs
// sessionId, a known type and ts; attributes, when present, must be a JSON
// object. Its time is cut to milliseconds, as the store keeps it.
func ParseJourneyLine(line []byte) (JourneyLine, error) {
	var l journeyLineJSON
	if err := json.Unmarshal(line, &l); err != nil {
		return JourneyLine{}, err
	}
	if l.Truth != nil {
		t := *l.Truth
		switch {
		case l.SessionID != "" || l.Type != "" || len(l.TS) > 0:
			return JourneyLine{}, errors.New("a truth record cannot also be an event")
		case t.SessionID == "":
			return JourneyLine{}, errors.New("truth: sessionId is required")
		case !(t.P >= 0 && t.P <= 1):
			return JourneyLine{}, fmt.Errorf("truth: p %v is not within [0, 1]", t.P)
		}
		return JourneyLine{Truth: &t}, nil
	}
	if l.SessionID == "" {
		return JourneyLine{}, errors.New("sessionId is required")
	}
	if !slices.Contains(presage.EventTypes, l.Type) {
		return JourneyLine{}, fmt.Errorf("unknown event type %q", l.Type)
	}
	ts, err := parseJourneyTime(l.TS)
	if err != nil {
		return JourneyLine{}, fmt.Errorf("ts: %w", err)
	}
	attrs := bytes.TrimSpace(l.Attributes)
	switch {
	case len(attrs) == 0 || string(attrs) == "null":
		attrs = nil
	case attrs[0] != '{':
		return JourneyLine{}, errors.New("attributes must be a JSON object")
	default:
		attrs = slices.Clone(attrs)
	}
	return JourneyLine{TimeZone: l.TimeZone, Event: presage.Event{ID: l.ID, SessionID: l.SessionID,
		VisitorID: l.VisitorID, Type: l.Type, Name: l.Name, OccurredAt: ts, ReceivedAt: ts, URL: l.URL,
		Title: l.Title, Referrer: l.Referrer, Attributes: attrs, Context: l.Context}}, nil
}

// parseJourneyTime reads an RFC 3339 string or Unix milliseconds.
func parseJourneyTime(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, errors.New("required")
	}
	var t time.Time
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return t, err
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return t, err
		}
	} else {
		ms, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return t, fmt.Errorf("%s is neither an RFC 3339 string nor integer Unix milliseconds", raw)
		}
		if ms < -62135596800000 || ms > 253402300799999 {
			return t, fmt.Errorf("%d is out of range", ms)
		}
		t = time.UnixMilli(ms)
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Year() < 1 || t.Year() > 9999 {
		return t, fmt.Errorf("%s is out of range", raw)
	}
	return t, nil
}

// AppendJourneyEvent appends e as one NDJSON line (with its newline).
func AppendJourneyEvent(dst []byte, e presage.Event, timeZone string) ([]byte, error) {
	line := journeyEventJSON{SessionID: e.SessionID, VisitorID: e.VisitorID, ID: e.ID, Type: e.Type, Name: e.Name,
		TS: e.OccurredAt.UTC(), URL: e.URL, Title: e.Title, Referrer: e.Referrer, Attributes: e.Attributes,
		Context: e.Context, TimeZone: timeZone}
	if len(bytes.TrimSpace(line.Attributes)) == 0 {
		line.Attributes = nil
	}
	b, err := json.Marshal(line)
	if err != nil {
		return dst, err
	}
	return append(append(dst, b...), '\n'), nil
}

// AppendJourneyTruth appends a truth record as one NDJSON line.
func AppendJourneyTruth(dst []byte, t JourneyTruth) ([]byte, error) {
	b, err := json.Marshal(struct {
		Truth JourneyTruth `json:"truth"`
	}{t})
	if err != nil {
		return dst, err
	}
	return append(append(dst, b...), '\n'), nil
}

// AppendSimSession appends the events of a simulated session and, when
// withTruth, its truth record for PurchaseOutcome.
func AppendSimSession(dst []byte, s SimSession, withTruth bool) ([]byte, error) {
	var err error
	for _, e := range s.Events {
		if dst, err = AppendJourneyEvent(dst, e, s.TimeZone); err != nil {
			return dst, err
		}
	}
	if withTruth {
		dst, err = AppendJourneyTruth(dst, JourneyTruth{SessionID: s.ID, Outcome: PurchaseOutcome().ID, P: s.P})
	}
	return dst, err
}

// JourneySession is one session of a journey file: its events in file
// order (the store's order) and the truth records about it.
type JourneySession struct {
	ID, VisitorID, TimeZone string
	Events                  []presage.Event
	Truth                   []JourneyTruth
	Start, End              time.Time // earliest and latest event time
	line                    int       // of its first event in the file
}

// JourneySource yields sessions in order of start time; io.EOF ends it.
type JourneySource interface {
	Next() (*JourneySession, error)
}

// JourneyReader reads a journey file whose events are grouped by session
// (a session's lines are contiguous, in the order they happened) and whose
// sessions are in order of start time (their earliest event). A truth
// record must come before the first event of the session after its own
// (anywhere before, or right after its session's events); a separate truth
// file can be read with ReadJourneyTruth and given to AddTruth.
type JourneyReader struct {
	sc    *bufio.Scanner
	line  int
	cur   *JourneySession
	done  map[string]struct{}
	truth map[string][]JourneyTruth
	prev  *JourneySession
	err   error
}

// NewJourneyReader reads journeys from r.
func NewJourneyReader(r io.Reader) *JourneyReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxJourneyLine)
	return &JourneyReader{sc: sc, done: map[string]struct{}{}, truth: map[string][]JourneyTruth{}}
}

// AddTruth registers truth records read elsewhere.
func (r *JourneyReader) AddTruth(ts []JourneyTruth) {
	for _, t := range ts {
		r.truth[t.SessionID] = append(r.truth[t.SessionID], t)
	}
}

// PendingTruth returns how many truth records matched no session so far.
func (r *JourneyReader) PendingTruth() int {
	n := 0
	for _, ts := range r.truth {
		n += len(ts)
	}
	return n
}

// Next returns the next complete session, io.EOF after the last one, or an
// error naming the offending line.
func (r *JourneyReader) Next() (*JourneySession, error) {
	if r.err != nil {
		return nil, r.err
	}
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		l, err := ParseJourneyLine(b)
		if err != nil {
			r.err = fmt.Errorf("line %d: %w", r.line, err)
			return nil, r.err
		}
		if l.Truth != nil {
			r.truth[l.Truth.SessionID] = append(r.truth[l.Truth.SessionID], *l.Truth)
			continue
		}
		e := l.Event
		if r.cur != nil && e.SessionID == r.cur.ID {
			r.cur.Events = append(r.cur.Events, e)
			r.cur.Start = minTime(r.cur.Start, e.OccurredAt)
			r.cur.End = maxTime(r.cur.End, e.OccurredAt)
			continue
		}
		if _, seen := r.done[e.SessionID]; seen {
			r.err = fmt.Errorf("line %d: session %s continues after other sessions: a journey file must keep each session's events together", r.line, e.SessionID)
			return nil, r.err
		}
		complete := r.cur
		r.cur = &JourneySession{ID: e.SessionID, VisitorID: e.VisitorID, TimeZone: l.TimeZone,
			Events: []presage.Event{e}, Start: e.OccurredAt, End: e.OccurredAt, line: r.line}
		if complete != nil {
			if err := r.finish(complete); err != nil {
				return nil, err
			}
			return complete, nil
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d: longer than %d bytes", r.line+1, MaxJourneyLine)
		}
		r.err = err
		return nil, err
	}
	if r.cur != nil {
		complete := r.cur
		r.cur = nil
		if err := r.finish(complete); err != nil {
			return nil, err
		}
		return complete, nil
	}
	r.err = io.EOF
	return nil, io.EOF
}

// finish checks a complete session's order and attaches its truth.
func (r *JourneyReader) finish(s *JourneySession) error {
	if r.prev != nil && s.Start.Before(r.prev.Start) {
		r.err = fmt.Errorf("line %d: session %s starts at %s, before session %s of line %d (%s): sessions must be in order of start time",
			s.line, s.ID, s.Start.Format(time.RFC3339Nano), r.prev.ID, r.prev.line, r.prev.Start.Format(time.RFC3339Nano))
		return r.err
	}
	r.done[s.ID] = struct{}{}
	if ts, ok := r.truth[s.ID]; ok {
		s.Truth = ts
		delete(r.truth, s.ID)
	}
	r.prev = &JourneySession{ID: s.ID, Start: s.Start, line: s.line}
	return nil
}

// ReadJourneyTruth reads a file of truth records (one per line, as written
// by presage simulate --truth).
func ReadJourneyTruth(rd io.Reader) ([]JourneyTruth, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), MaxJourneyLine)
	var out []JourneyTruth
	for n := 1; sc.Scan(); n++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		l, err := ParseJourneyLine(b)
		if err != nil {
			return nil, fmt.Errorf("truth line %d: %w", n, err)
		}
		if l.Truth == nil {
			return nil, fmt.Errorf("truth line %d: not a truth record", n)
		}
		out = append(out, *l.Truth)
	}
	return out, sc.Err()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// SimSource adapts a simulator to a JourneySource.
type SimSource struct{ Sim *Simulator }

// Len is the number of sessions the simulator generates.
func (s SimSource) Len() int { return s.Sim.Config().Sessions }

// Next returns the next simulated session.
func (s SimSource) Next() (*JourneySession, error) {
	ss, ok := s.Sim.Next()
	if !ok {
		return nil, io.EOF
	}
	return &JourneySession{ID: ss.ID, VisitorID: ss.VisitorID, TimeZone: ss.TimeZone, Events: ss.Events,
		Truth: []JourneyTruth{{SessionID: ss.ID, Outcome: PurchaseOutcome().ID, P: ss.P}},
		Start: ss.Events[0].OccurredAt, End: ss.Events[len(ss.Events)-1].OccurredAt}, nil
}

// JourneyEvalOptions configure EvalJourneys.
type JourneyEvalOptions struct {
	Outcomes []presage.Outcome // default: PurchaseOutcome
	Params   FTRLParams        // default: DefaultFTRLParams
	Features *FeatureConfig    // default: DefaultFeatureConfig
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
	All, Late Summary // every scored session; the latest half
	Window    Summary // the learner's monitor window (latest MonitorWindow sessions)
	Holdout   Summary // sessions held out, scored by the final model
	// With truth records: the same figures for the true probabilities over
	// the same sessions, and the expected AUC of the true probabilities.
	Truths                                  int
	BayesAll, BayesLate, BayesHold          Summary
	ModelAll, ModelLate, ModelHold          Summary // the model over the sessions that have truth
	ExpectedAll, ExpectedLate, ExpectedHold float64
}

// JourneyReport is the outcome of EvalJourneys.
type JourneyReport struct {
	Sessions, Events, Visitors, Returning int
	Outcomes                              []OutcomeEval
	Options                               JourneyEvalOptions
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
func (v *visitorState) history(start time.Time) VisitorHistory {
	vh := VisitorHistory{PastSessions: v.sessions, LastVisit: v.last}
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
	moments [][]Feature
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

// EvalSessionTimeout is the idle time after which the trainer takes a
// session as ended and learns it (its default).
const EvalSessionTimeout = 30 * time.Minute

// EvalJourneys replays sessions through the server's training protocol:
// FromStored, the visitor history the store would return (earlier sessions
// of the same visitor), FirstAchievement, Moments and Learner.Learn. Each
// outcome learns its sessions when the trainer would: once the session has
// ended, EvalSessionTimeout after its last event, in that order (ties by
// session id), as a positive if it achieved the outcome and a negative if not, so every session is scored by the model as it
// stood just before — progressive validation. open returns a fresh source
// each time it is called: once per epoch, and once more to count sessions
// when Holdout > 0.
func EvalJourneys(open func() (JourneySource, error), opt JourneyEvalOptions) (JourneyReport, error) {
	t0 := time.Now()
	if len(opt.Outcomes) == 0 {
		opt.Outcomes = []presage.Outcome{PurchaseOutcome()}
	}
	opt.Outcomes = slices.Clone(opt.Outcomes)
	if opt.Params == (FTRLParams{}) {
		opt.Params = DefaultFTRLParams()
	}
	if opt.Features == nil {
		cfg := DefaultFeatureConfig()
		opt.Features = &cfg
	}
	if opt.Epochs == 0 {
		opt.Epochs = 1
	}
	switch {
	case !(opt.Holdout >= 0 && opt.Holdout < 1):
		return JourneyReport{}, errors.New("predict: holdout must be within [0, 1)")
	case opt.Epochs < 1:
		return JourneyReport{}, errors.New("predict: epochs must be at least 1")
	case opt.Epochs > 1 && opt.Holdout == 0:
		return JourneyReport{}, errors.New("predict: more than one epoch needs a holdout (progressive validation is one pass)")
	}
	if err := opt.Params.Validate(); err != nil {
		return JourneyReport{}, err
	}
	nOut := len(opt.Outcomes)
	matchers := make([]*outcome.Matcher, nOut)
	learners := make([]*Learner, nOut)
	for k := range opt.Outcomes {
		if opt.Outcomes[k].ID == "" {
			opt.Outcomes[k].ID = opt.Outcomes[k].Name
		}
		m, err := outcome.Compile(opt.Outcomes[k])
		if err != nil {
			return JourneyReport{}, err
		}
		matchers[k] = m
		if learners[k], err = NewLearner(opt.Params); err != nil {
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
		e.All = Summarize(p.p, p.y)
		half := len(p.p) / 2
		e.Late = Summarize(p.p[half:], p.y[half:])
		if opt.Holdout == 0 {
			e.Window = l.Monitor.Window()
		}
		e.Holdout = Summarize(hold[k].p, hold[k].y)
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
func truthSummaries(p, truth []float64, y []bool, from int) (n int, model, bayes Summary, expected float64) {
	var mp, tp []float64
	var ys []bool
	for i := from; i < len(p); i++ {
		if !math.IsNaN(truth[i]) {
			mp, tp, ys = append(mp, p[i]), append(tp, truth[i]), append(ys, y[i])
		}
	}
	if len(tp) == 0 {
		return 0, Summary{AUC: math.NaN()}, Summary{AUC: math.NaN()}, math.NaN()
	}
	return len(tp), Summarize(mp, ys), Summarize(tp, ys), ExpectedAUC(tp)
}

// prepareSession computes, for each outcome, the session's label, the
// moments it teaches and when the trainer learns it, with the history of
// the visitor's earlier sessions; then it records the session in that
// history. It reports whether the visitor had earlier sessions.
func prepareSession(js *JourneySession, visitors map[string]*visitorState, opt JourneyEvalOptions,
	matchers []*outcome.Matcher) ([]*pendingSession, bool) {
	events := make([]FeatureEvent, len(js.Events))
	for i, e := range js.Events {
		events[i] = FromStored(e)
	}
	var vh VisitorHistory
	v := visitors[js.VisitorID]
	if v != nil {
		vh = v.history(js.Start)
	}
	returning := v != nil && v.sessions > 0
	h := HistoryOf(vh, js.TimeZone)
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
		ps := &pendingSession{id: js.ID, truth: math.NaN(), key: js.End.Add(EvalSessionTimeout)}
		idx, _ := FirstAchievement(m, events)
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
		ps.moments = Moments(opt.Features, h, events, upto)
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

// ExpectedAUC is the AUC the scores p achieve in expectation when each
// session's outcome is drawn with probability p itself: the sum over pairs
// of p_i·(1−p_j) for p_i > p_j (ties half) over the sum of p_i·(1−p_j) for
// i ≠ j. Computed in O(n log n).
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

// String renders the report.
func (r JourneyReport) String() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "journeys: %d sessions, %d events, %d visitors (%d returning sessions)\n", r.Sessions, r.Events,
		r.Visitors, r.Returning)
	fmt.Fprintf(&b, "FTRL-Proximal LR, alpha=%g beta=%g L1=%g L2=%g, 2^%d weights; learner protocol: Moments (≤ %d per session), Learner.Learn\n",
		o.Params.Alpha, o.Params.Beta, o.Params.L1, o.Params.L2, o.Params.Bits, MaxMoments)
	if o.Holdout > 0 {
		fmt.Fprintf(&b, "holdout: latest %.0f%% of sessions (by end) scored by the final model, %d epoch(s) over the rest\n",
			100*o.Holdout, o.Epochs)
	}
	for _, e := range r.Outcomes {
		fmt.Fprintf(&b, "\noutcome %s: %d sessions, %d achieved (%.2f%%), %d achieved at their first event (not scored); %d training examples\n",
			e.Outcome.Name, e.Sessions, e.Achieved, 100*float64(e.Achieved)/float64(max(e.Sessions, 1)), e.NoMoments, e.Examples)
		fmt.Fprintf(&b, "%-44s %7s %8s %7s %8s %7s %7s\n", "", "n", "ROC-AUC", "AP", "logloss", "Brier", "ECE")
		row := func(name string, s Summary) {
			if s.N == 0 {
				return
			}
			fmt.Fprintf(&b, "%-44s %7d %8.4f %7.4f %8.4f %7.4f %7.4f\n", name, s.N, s.AUC, s.AP, s.LogLoss, s.Brier, s.ECE)
		}
		row("progressive validation, all sessions", e.All)
		row("progressive validation, latest half", e.Late)
		row(fmt.Sprintf("monitor window (latest %d)", MonitorWindow), e.Window)
		row("holdout, final model", e.Holdout)
		if e.Truths > 0 {
			fmt.Fprintf(&b, "truth: %d sessions have the true probability\n", e.Truths)
			row("  true probability, all sessions", e.BayesAll)
			row("  true probability, latest half", e.BayesLate)
			row("  true probability, holdout", e.BayesHold)
			gap := func(name string, bayes, model Summary, exp float64) {
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
