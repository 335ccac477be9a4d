package predict

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// TrainerOptions configure the trainer; zero fields take the defaults.
type TrainerOptions struct {
	// Holder names this node in trainer leases (default host name, process
	// id and a random suffix).
	Holder string
	Params FTRLParams // of a new model (default DefaultFTRLParams())
	// Settle is how long after a session's end (presage.Session.EndsAt,
	// which the collector sets) the trainer waits before learning it
	// (default 10 s): longer than a commit takes and than the nodes'
	// clocks differ (NTP keeps them within milliseconds), so that no batch
	// received before the end is stored after the trainer passed it.
	Settle time.Duration
	// Interval is the pause between passes when there was nothing to learn
	// (default 1 s).
	Interval time.Duration
	// CheckpointEvery is the longest a learned session stays only in memory
	// (default 5 s): the delay before other nodes score with it.
	CheckpointEvery time.Duration
	// LeaseTTL is how long an organization's trainer lease lasts without
	// renewal (default 15 s): how soon another node takes over after a crash.
	// A pass renews it every third of it while it works, and checkpoints
	// as it goes (every CheckpointEvery), so a long backlog on a slow
	// database is learned and saved however long a pass takes.
	LeaseTTL time.Duration
	// Batch caps the sessions learned per outcome and pass (default 500).
	Batch   int
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *TrainerMetrics // may be nil
}

// Trainer learns every outcome model of the organizations whose lease it
// holds. Each session is learned once, after it has ended, in the order
// sessions end by the server's clock (presage.Session.EndsAt, then id): as
// a positive of every outcome it achieved (from the features at each scored
// moment before the achievement), as a negative of the others. The end is
// the session timeout after the latest batch received while the session
// was open, whatever its events' own times, so a session stored late (its
// events days old) or out of the order sessions end is learned all the
// same; a batch received after the end does not move it, so a session
// extended after it was learned is not learned again (its late events are
// stored, and teach nothing). It checkpoints models to the store, where
// every node's scorer picks them up.
//
// Positives are not learned at the moment of achievement: negatives can only
// be known once a session ends, so learning positives earlier feeds an
// online learner a stream that over-represents positives whenever traffic
// changes (measured in docs/prediction.md: at cold start every session was
// scored above 0.9 until the first negatives arrived). In session-end order
// the stream of labels is the stream of sessions. Across many nodes, a lease per
// organization makes exactly one of them its trainer, and checkpoints are
// fenced by version and lease so a node that lost its lease cannot
// overwrite a newer model.
type Trainer struct {
	store Store
	opt   TrainerOptions
	orgs  map[string]*orgTrainer
	mu    sync.Mutex
	leads map[string]bool // organizations whose lease this node held at its latest pass
}

type orgTrainer struct {
	outcomes map[string]*outcomeTrainer
	// features is the configuration of the organization's feature settings
	// in force, which every outcome learns with.
	features FeatureConfig
	// leased is when this node last took or renewed the lease (by the
	// trainer's clock).
	leased time.Time
}

type outcomeTrainer struct {
	matcher *outcome.Matcher
	learner *Learner
	version int64          // of the checkpoint learner continues
	cursor  presage.Cursor // (EndsAt, ID) of the last ended session learned
	// features is the feature settings version the learner learns with.
	features int64
	dirty    bool
	savedAt  time.Time
}

// NewTrainer returns a trainer over store.
func NewTrainer(store Store, opt TrainerOptions) *Trainer {
	if opt.Holder == "" {
		host, _ := os.Hostname()
		opt.Holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), presage.NewID("node"))
	}
	if opt.Params == (FTRLParams{}) {
		opt.Params = DefaultFTRLParams()
	}
	if opt.Settle <= 0 {
		opt.Settle = 10 * time.Second
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = 5 * time.Second
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = 15 * time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Trainer{store: store, opt: opt, orgs: map[string]*orgTrainer{}, leads: map[string]bool{}}
}

// Leads reports whether this node held orgID's trainer lease at its latest
// pass.
func (t *Trainer) Leads(orgID string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.leads[orgID]
}

func (t *Trainer) setLead(orgID string, held bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.leads[orgID] = held
	n := 0
	for _, h := range t.leads {
		if h {
			n++
		}
	}
	t.opt.Metrics.leases(n)
}

// Holder is the name this trainer uses in leases.
func (t *Trainer) Holder() string { return t.opt.Holder }

// Run trains until ctx ends, then checkpoints what it learned and releases
// its leases.
func (t *Trainer) Run(ctx context.Context) error {
	defer t.shutdown()
	for {
		worked, err := t.Step(ctx, false)
		if err != nil && ctx.Err() == nil {
			t.opt.Logger.WarnContext(ctx, "training pass failed", "err", err)
		}
		if worked && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(t.opt.Interval):
		}
	}
}

func (t *Trainer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	release := map[string]bool{}
	for orgID, ot := range t.orgs {
		if err := t.save(ctx, orgID, ot, true); err != nil {
			t.opt.Logger.WarnContext(ctx, "final checkpoint failed", "org", orgID, "err", err)
		}
		release[orgID] = true
	}
	// A pass that failed, or was interrupted by the stop itself, dropped the
	// organization's state but not its lease: release that too, or another
	// node could only take over once the lease expired.
	t.mu.Lock()
	for orgID, held := range t.leads {
		if held {
			release[orgID] = true
		}
	}
	t.mu.Unlock()
	for orgID := range release {
		t.setLead(orgID, false)
		if err := t.store.ReleaseLease(ctx, leaseName(orgID), t.opt.Holder); err != nil {
			t.opt.Logger.WarnContext(ctx, "release trainer lease", "org", orgID, "err", err)
		}
	}
}

func leaseName(orgID string) string { return "trainer/" + orgID }

// Step makes one pass over every organization with outcomes: it takes or
// renews the organization's lease, learns what is pending and checkpoints
// models that are due (all changed ones when force). It reports whether it
// learned anything.
func (t *Trainer) Step(ctx context.Context, force bool) (bool, error) {
	orgIDs, err := t.store.OrganizationsWithOutcomes(ctx)
	if err != nil {
		return false, fmt.Errorf("train: list organizations: %w", err)
	}
	worked := false
	var errs []error
	for _, orgID := range orgIDs {
		leasedAt := t.opt.Now()
		held, err := t.store.AcquireLease(ctx, leaseName(orgID), t.opt.Holder, leasedAt, t.opt.LeaseTTL)
		if err != nil {
			errs = append(errs, fmt.Errorf("train %s: lease: %w", orgID, err))
			continue
		}
		t.setLead(orgID, held)
		if !held {
			delete(t.orgs, orgID) // another node trains it; our copy goes stale
			continue
		}
		w, err := t.trainOrg(ctx, orgID, leasedAt, force)
		worked = worked || w
		if err != nil {
			delete(t.orgs, orgID) // reload from the store next pass
			errs = append(errs, fmt.Errorf("train %s: %w", orgID, err))
		}
	}
	t.forgetOthers(ctx, orgIDs)
	return worked, errors.Join(errs...)
}

// forgetOthers drops the state and lease of organizations that no longer
// define outcomes (or were deleted).
func (t *Trainer) forgetOthers(ctx context.Context, orgIDs []string) {
	keep := make(map[string]bool, len(orgIDs))
	for _, id := range orgIDs {
		keep[id] = true
	}
	for id := range t.orgs {
		if keep[id] {
			continue
		}
		delete(t.orgs, id)
		t.setLead(id, false)
		if err := t.store.ReleaseLease(ctx, leaseName(id), t.opt.Holder); err != nil {
			t.opt.Logger.WarnContext(ctx, "release trainer lease", "org", id, "err", err)
		}
	}
}

func (t *Trainer) trainOrg(ctx context.Context, orgID string, leasedAt time.Time, force bool) (bool, error) {
	ot, err := t.sync(ctx, orgID)
	if err != nil {
		return false, err
	}
	ot.leased = leasedAt
	// Outcomes at the same cursor (all of them, once caught up) share one
	// read of the ended sessions and one replay of each.
	groups := map[presage.Cursor][]*outcomeTrainer{}
	for _, tr := range ot.outcomes {
		groups[tr.cursor] = append(groups[tr.cursor], tr)
	}
	replays := map[string]*replay{}
	worked := false
	for cursor, trs := range groups {
		w, err := t.learnEnded(ctx, orgID, ot, cursor, trs, replays)
		if err != nil {
			return worked, err
		}
		worked = worked || w
	}
	if err := t.keepLease(ctx, orgID, ot); err != nil {
		return worked, err
	}
	return worked, t.save(ctx, orgID, ot, force)
}

// errLeaseLost ends a pass whose lease another node took over: its
// learning is dropped, and the next pass starts from the store.
var errLeaseLost = presage.Errorf(presage.CodeConflict, "the training lease was taken over by another node")

// keepLease renews orgID's lease when a third of its time has passed since
// it was last taken, so that a pass that works longer than the lease (a
// backlog on a slow database) can still checkpoint what it learned.
func (t *Trainer) keepLease(ctx context.Context, orgID string, ot *orgTrainer) error {
	now := t.opt.Now()
	if now.Sub(ot.leased) < t.opt.LeaseTTL/3 {
		return nil
	}
	held, err := t.store.AcquireLease(ctx, leaseName(orgID), t.opt.Holder, now, t.opt.LeaseTTL)
	if err != nil {
		return fmt.Errorf("renew lease: %w", err)
	}
	if !held {
		t.setLead(orgID, false)
		return errLeaseLost
	}
	ot.leased = now
	return nil
}

// sync brings the organization's outcome trainers in line with the store:
// new outcomes start (from their checkpoint, or untrained), deleted ones go,
// and any model another node checkpointed since is reloaded.
func (t *Trainer) sync(ctx context.Context, orgID string) (*orgTrainer, error) {
	outs, err := t.store.ListOutcomes(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list outcomes: %w", err)
	}
	versions, err := t.store.ModelVersions(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("model versions: %w", err)
	}
	settings, err := t.store.FeatureSettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("feature settings: %w", err)
	}
	ot := t.orgs[orgID]
	if ot == nil {
		ot = &orgTrainer{outcomes: map[string]*outcomeTrainer{}}
		t.orgs[orgID] = ot
	}
	if ot.features.Version != settings.Version || ot.features.NGram == 0 {
		ot.features = settings.Config()
	}
	live := make(map[string]bool, len(outs))
	for _, o := range outs {
		live[o.ID] = true
		matcher, err := outcome.Compile(o)
		if err != nil {
			return nil, err
		}
		tr := ot.outcomes[o.ID]
		if tr != nil && tr.version == versions[o.ID] && tr.features == settings.Version {
			tr.matcher = matcher
			continue
		}
		tr = &outcomeTrainer{matcher: matcher, savedAt: t.opt.Now(), features: settings.Version}
		var ck Checkpoint
		if v := versions[o.ID]; v > 0 {
			if ck, err = t.store.LoadCheckpoint(ctx, orgID, o.ID); err != nil {
				return nil, fmt.Errorf("load model %s: %w", o.ID, err)
			}
			tr.version = ck.Version
		}
		switch {
		case ck.Version > 0 && ck.FeatureVersion == settings.Version:
			if tr.learner, err = LearnerFromCheckpoint(ck); err != nil {
				return nil, err
			}
			tr.cursor = ck.Cursor
		default:
			// No model yet, or one trained with other features: a new model
			// learns the stored history from the start. Its first checkpoint
			// follows the stored version, which fencing requires.
			if tr.learner, err = NewLearner(t.opt.Params); err != nil {
				return nil, err
			}
			tr.dirty = ck.Version > 0 // replace the stale model even before it learns
		}
		ot.outcomes[o.ID] = tr
	}
	for id := range ot.outcomes {
		if !live[id] {
			delete(ot.outcomes, id)
		}
	}
	return ot, nil
}

// learnEnded learns, for every outcome trainer in trs (all at cursor), the
// sessions that ended since cursor. Replays are shared within a pass.
func (t *Trainer) learnEnded(ctx context.Context, orgID string, ot *orgTrainer, cursor presage.Cursor, trs []*outcomeTrainer, replays map[string]*replay) (bool, error) {
	cutoff := t.opt.Now().Add(-t.opt.Settle)
	sessions, err := t.store.EndedSessions(ctx, orgID, cursor, cutoff, t.opt.Batch)
	if err != nil {
		return false, fmt.Errorf("ended sessions: %w", err)
	}
	for i := range sessions {
		// A batch may take longer than the lease on a slow database or a
		// large backlog: hold the lease, and save what is due as it goes.
		if err := t.keepLease(ctx, orgID, ot); err != nil {
			return true, err
		}
		if i > 0 {
			if err := t.save(ctx, orgID, ot, false); err != nil {
				return true, err
			}
		}
		s := &sessions[i]
		r, err := t.replay(ctx, orgID, s, replays)
		if err != nil {
			return true, err
		}
		for _, tr := range trs {
			upto, y := len(r.events), false
			if k, _ := FirstAchievement(tr.matcher, r.events); k >= 0 {
				upto, y = k, true
			}
			moments := r.moments(&ot.features, upto)
			tr.learner.Learn(moments, y)
			t.opt.Metrics.learned(len(moments))
			tr.cursor = presage.Cursor{T: s.EndsAt, ID: s.ID}
			tr.dirty = true
		}
	}
	return len(sessions) > 0, nil
}

// save checkpoints every changed model of the organization that is due.
func (t *Trainer) save(ctx context.Context, orgID string, ot *orgTrainer, force bool) error {
	now := t.opt.Now()
	for id, tr := range ot.outcomes {
		if !tr.dirty || (!force && now.Sub(tr.savedAt) < t.opt.CheckpointEvery) {
			continue
		}
		ck, err := tr.learner.Checkpoint(orgID, id, tr.version+1, tr.cursor, now)
		if err != nil {
			return err
		}
		ck.FeatureVersion = tr.features
		if err := t.store.SaveCheckpoint(ctx, ck, leaseName(orgID), t.opt.Holder); err != nil {
			if presage.ErrorCode(err) == presage.CodeConflict {
				t.opt.Metrics.checkpoint("fenced")
			}
			return fmt.Errorf("checkpoint %s: %w", id, err)
		}
		t.opt.Metrics.checkpoint("ok")
		tr.version++
		tr.dirty, tr.savedAt = false, now
	}
	return nil
}

// replay is a stored session ready to give the features of its moments.
type replay struct {
	events []FeatureEvent
	hist   History
	memo   map[int][][]Feature
}

func (r *replay) moments(cfg *FeatureConfig, upto int) [][]Feature {
	if m, ok := r.memo[upto]; ok {
		return m
	}
	m := Moments(cfg, r.hist, r.events, upto)
	r.memo[upto] = m
	return m
}

// replay loads a session's events and its visitor's history at its start:
// the inputs live scoring had. A session erased since has no events and
// teaches nothing.
func (t *Trainer) replay(ctx context.Context, orgID string, s *presage.Session, cache map[string]*replay) (*replay, error) {
	if r, ok := cache[s.ID]; ok {
		return r, nil
	}
	stored, err := t.store.SessionEvents(ctx, orgID, s.ID)
	if err != nil {
		return nil, fmt.Errorf("load session events: %w", err)
	}
	vh, err := t.store.VisitorHistory(ctx, orgID, s.VisitorID, s.ID, s.StartedAt)
	if err != nil {
		return nil, fmt.Errorf("load visitor history: %w", err)
	}
	r := &replay{events: make([]FeatureEvent, len(stored)), hist: HistoryOf(vh, s.TimeZone), memo: map[int][][]Feature{}}
	for i, e := range stored {
		r.events[i] = FromStored(e)
	}
	cache[s.ID] = r
	return r, nil
}
