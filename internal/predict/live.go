package predict

import (
	"container/list"
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

// ScorerOptions configure live scoring; zero fields take the defaults.
type ScorerOptions struct {
	// Refresh is how long an organization's outcomes, feature settings and
	// model versions are used before being read again: the delay for a new
	// checkpoint trained on another node to reach this one (default 2 s).
	Refresh time.Duration
	// MaxSessions caps the live sessions whose state stays in memory
	// (default 50,000); an evicted session is rebuilt from the store.
	MaxSessions int
	Publisher   Publisher // may be nil
	Now         func() time.Time
}

// Scorer keeps the feature state of live sessions and scores every outcome
// of their organization after each accepted event. It implements
// collect.Scorer, so predictions and achievements commit with their events.
//
// A session's state lives on the node that served its events; a node that
// has not seen the session (another node served it, or it was evicted)
// rebuilds it from the stored events, so any node can serve any request.
type Scorer struct {
	store    Store
	opt      ScorerOptions
	models   *modelCache
	sessions *sessionCache
	// cpu admits at most GOMAXPROCS-1 requests into scoring at once, so
	// scoring never takes every core from the commit path (SQLite's single
	// writer is pure Go and CPU-bound).
	cpu chan struct{}
}

// NewScorer returns a scorer reading outcomes, models and journeys from store.
func NewScorer(store Store, opt ScorerOptions) *Scorer {
	if opt.Refresh <= 0 {
		opt.Refresh = 2 * time.Second
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 50_000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Scorer{store: store, opt: opt, models: newModelCache(store, opt.Refresh, opt.Now),
		sessions: newSessionCache(opt.MaxSessions), cpu: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))}
}

// liveSession is the scoring state of one session.
type liveSession struct {
	mu       sync.Mutex
	key      sessionKey
	visitor  string
	loaded   bool
	features int64 // the feature settings version state was built with
	state    *SessionFeatures
	seen     map[string]struct{} // ids of events applied, so retried batches count once
	events   int
	preds    map[string]*presage.Prediction
	achieved map[string]bool
	buf      []Feature
}

// maxSeen caps the event ids a session remembers.
const maxSeen = 10_000

// Score implements collect.Scorer.
func (s *Scorer) Score(ctx context.Context, w *collect.Write) (func(bool), error) {
	snap, err := s.models.get(ctx, w.OrgID)
	if err != nil {
		return nil, err
	}
	if len(snap.outcomes) == 0 {
		return func(bool) {}, nil
	}
	key := sessionKey{org: w.OrgID, session: w.Session.ID}
	ls := s.sessions.get(key, w.Session.VisitorID)
	ls.mu.Lock()
	release := func(committed bool) {
		if !committed {
			s.sessions.drop(ls) // its state holds events that were not stored
		}
		ls.mu.Unlock()
	}
	if !ls.loaded || ls.features != snap.features.Version {
		// New, or built with feature settings since replaced: (re)built
		// from the store with the settings in force.
		if err := s.load(ctx, ls, w, snap.features); err != nil {
			release(false)
			return nil, err
		}
	}
	s.cpu <- struct{}{}
	changes := s.apply(ls, w, snap)
	<-s.cpu
	return func(committed bool) {
		release(committed)
		if committed && s.opt.Publisher != nil && len(changes) > 0 {
			s.opt.Publisher.Publish(changes)
		}
	}, nil
}

// load rebuilds a session's state from the store: its stored events,
// predictions and achievements, and its visitor's history. Reads that do
// not depend on each other run concurrently: scoring sits in the request's
// latency, and most sessions it loads are new (two reads).
func (s *Scorer) load(ctx context.Context, ls *liveSession, w *collect.Write, cfg *FeatureConfig) error {
	var (
		stored         presage.Session
		vh             VisitorHistory
		sessErr, vhErr error
		wg             sync.WaitGroup
	)
	wg.Go(func() { stored, sessErr = s.store.GetSession(ctx, w.OrgID, w.Session.ID) })
	wg.Go(func() {
		vh, vhErr = s.store.VisitorHistory(ctx, w.OrgID, w.Session.VisitorID, w.Session.ID, w.Session.StartedAt)
	})
	wg.Wait()
	started, tz := w.Session.StartedAt, w.Session.TimeZone
	var events []presage.Event
	var preds []presage.Prediction
	var achs []presage.Achievement
	switch {
	case presage.IsNotFound(sessErr): // a new session: nothing stored yet
	case sessErr != nil:
		return fmt.Errorf("load session: %w", sessErr)
	default:
		var evErr, prErr, acErr error
		if !stored.StartedAt.Equal(started) { // the history as of the session's true start
			started = stored.StartedAt
			wg.Go(func() { vh, vhErr = s.store.VisitorHistory(ctx, w.OrgID, w.Session.VisitorID, w.Session.ID, started) })
		}
		tz = stored.TimeZone
		wg.Go(func() { events, evErr = s.store.SessionEvents(ctx, w.OrgID, w.Session.ID) })
		wg.Go(func() { preds, prErr = s.store.SessionPredictions(ctx, w.OrgID, w.Session.ID) })
		wg.Go(func() { achs, acErr = s.store.SessionAchievements(ctx, w.OrgID, w.Session.ID) })
		wg.Wait()
		switch {
		case evErr != nil:
			return fmt.Errorf("load session events: %w", evErr)
		case prErr != nil:
			return fmt.Errorf("load session predictions: %w", prErr)
		case acErr != nil:
			return fmt.Errorf("load session achievements: %w", acErr)
		}
	}
	if vhErr != nil {
		return fmt.Errorf("load visitor history: %w", vhErr)
	}
	ls.state = NewSessionFeatures(cfg, HistoryOf(vh, tz))
	ls.features, ls.events = cfg.Version, 0
	ls.seen = make(map[string]struct{}, len(events)+len(w.Events))
	ls.preds = make(map[string]*presage.Prediction, len(preds))
	ls.achieved = make(map[string]bool, len(achs))
	for _, e := range events {
		ls.state.Add(FromStored(e))
		ls.seen[e.ID] = struct{}{}
		ls.events++
	}
	for i := range preds {
		ls.preds[preds[i].OutcomeID] = &preds[i]
	}
	for _, a := range achs {
		ls.achieved[a.OutcomeID] = true
	}
	ls.loaded = true
	return nil
}

// apply adds the write's new events to the session's state, scoring every
// outcome not yet achieved after each one, and appends the resulting
// predictions and achievements to w.
func (s *Scorer) apply(ls *liveSession, w *collect.Write, snap *orgModels) []Change {
	touched := make(map[string]float64, len(snap.outcomes)) // outcome → probability before this write
	var changes []Change
	for i := range w.Events {
		e := &w.Events[i]
		if _, dup := ls.seen[e.ID]; dup {
			continue
		}
		if len(ls.seen) < maxSeen {
			ls.seen[e.ID] = struct{}{}
		}
		ev := fromStored(*e, snap.features.readsAttributes(e) || snap.readsAttributes(e))
		ls.state.Add(ev)
		ls.events++
		ls.buf = ls.state.Features(ls.state.last, ls.buf[:0])
		for _, o := range snap.outcomes {
			if ls.achieved[o.id] {
				continue
			}
			pr := ls.preds[o.id]
			if ok, value := o.matcher.Match(ev.Type, ev.Name, ev.Path, ev.Attributes); ok {
				ls.achieved[o.id] = true
				w.Achievements = append(w.Achievements, presage.Achievement{OrgID: w.OrgID, OutcomeID: o.id,
					SessionID: w.Session.ID, VisitorID: w.Session.VisitorID, EventID: e.ID,
					AchievedAt: e.OccurredAt, Value: value})
				c := Change{OrgID: w.OrgID, SessionID: w.Session.ID, VisitorID: w.Session.VisitorID, OutcomeID: o.id,
					Previous: -1, Probability: -1, Achieved: true, At: e.OccurredAt}
				if pr != nil {
					c.Previous, c.Probability, c.MaxProbability = pr.Probability, pr.Probability, pr.MaxProbability
					c.Percentile, c.ModelVersion = pr.Percentile, pr.ModelVersion
				}
				changes = append(changes, c)
				continue
			}
			if pr == nil {
				pr = &presage.Prediction{OrgID: w.OrgID, SessionID: w.Session.ID, VisitorID: w.Session.VisitorID,
					OutcomeID: o.id, Probability: -1}
				ls.preds[o.id] = pr
			}
			if _, ok := touched[o.id]; !ok {
				touched[o.id] = pr.Probability
			}
			p := o.model.Predict(ls.buf)
			pr.Probability = p
			pr.MaxProbability = max(pr.MaxProbability, p)
			pr.Percentile = PercentileOf(o.reference, p)
			pr.ModelVersion = o.version
			pr.Events = ls.events
			pr.UpdatedAt = e.OccurredAt
			if len(pr.History) == presage.MaxPredictionHistory {
				pr.History = append(pr.History[:0], pr.History[1:]...)
			}
			pr.History = append(pr.History, presage.ProbabilityPoint{At: e.OccurredAt, Probability: p})
		}
	}
	for _, o := range snap.outcomes {
		prev, ok := touched[o.id]
		if !ok {
			continue
		}
		// The write shares the history's backing array: the session stays
		// locked until the write has committed, so nothing appends meanwhile.
		pr := *ls.preds[o.id]
		w.Predictions = append(w.Predictions, pr)
		changes = append(changes, Change{OrgID: w.OrgID, SessionID: pr.SessionID, VisitorID: pr.VisitorID,
			OutcomeID: pr.OutcomeID, Probability: pr.Probability, Previous: prev, MaxProbability: pr.MaxProbability,
			Percentile: pr.Percentile, ModelVersion: pr.ModelVersion, At: pr.UpdatedAt})
	}
	return changes
}

type sessionKey struct{ org, session string }

// sessionCache keeps the most recently used live sessions.
type sessionCache struct {
	mu  sync.Mutex
	max int
	m   map[sessionKey]*list.Element
	lru *list.List // front: most recent; values *liveSession
}

func newSessionCache(max int) *sessionCache {
	return &sessionCache{max: max, m: map[sessionKey]*list.Element{}, lru: list.New()}
}

// get returns the session's entry, creating an unloaded one if needed.
func (c *sessionCache) get(k sessionKey, visitor string) *liveSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*liveSession)
	}
	ls := &liveSession{key: k, visitor: visitor}
	c.m[k] = c.lru.PushFront(ls)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*liveSession).key)
	}
	return ls
}

// drop forgets ls if it is still the cached entry of its session.
func (c *sessionCache) drop(ls *liveSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[ls.key]; ok && el.Value.(*liveSession) == ls {
		c.lru.Remove(el)
		delete(c.m, ls.key)
	}
}

// OutcomesChanged makes the next event of orgID re-read its outcomes, so a
// new, changed or deleted definition applies at once on this node (other
// nodes follow within the refresh interval).
func (s *Scorer) OutcomesChanged(orgID string) { s.models.invalidate(orgID) }

// Forget drops every cached session of visitorID, so an erased visitor's
// journey leaves no state in memory. A request in flight keeps its own
// reference until it finishes; nothing it holds is stored again.
func (s *Scorer) Forget(orgID, visitorID string) {
	c := s.sessions
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.m {
		if k.org == orgID && el.Value.(*liveSession).visitor == visitorID {
			c.lru.Remove(el)
			delete(c.m, k)
		}
	}
}
