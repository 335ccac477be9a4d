package predict

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// orgModels is an immutable view of one organization's outcomes and their
// latest models, shared by every request scoring for it.
type orgModels struct {
	loaded   time.Time
	outcomes []*liveModel
	// features is the configuration of the organization's feature settings
	// in force: sessions are scored with it, and only models trained with
	// it (the same Version) score; the others score as untrained until
	// the trainer's first checkpoint with the new settings.
	features *FeatureConfig
}

// readsAttributes reports whether any outcome's condition reads e's attributes.
func (m *orgModels) readsAttributes(e *presage.Event) bool {
	for _, o := range m.outcomes {
		if o.matcher.NeedsAttributes(e.Type, e.Name) {
			return true
		}
	}
	return false
}

// liveModel is one outcome ready to score. Its model is never written to:
// the trainer learns on its own copy and a new checkpoint replaces it.
type liveModel struct {
	id        string
	updated   time.Time // of the outcome's definition
	matcher   *outcome.Matcher
	model     *FTRL
	version   int64     // of the model that scores (0: untrained)
	stored    int64     // of the stored checkpoint, which may not score (other features)
	reference []float32 // sorted recent session scores, for percentiles
}

// untrained scores every session 0.5 until the outcome's first checkpoint.
var untrained = func() *FTRL {
	m, err := NewFTRL(FTRLParams{Alpha: 0.1, Beta: 1, L1: 0, L2: 0, Bits: 10})
	if err != nil {
		panic(err)
	}
	return m
}()

// modelCache holds each organization's orgModels, re-reading outcomes and
// model versions at most once per refresh interval and loading only the
// checkpoints whose version changed.
type modelCache struct {
	store   Store
	refresh time.Duration
	now     func() time.Time
	mu      sync.Mutex
	orgs    map[string]*orgModelsEntry
}

type orgModelsEntry struct {
	mu   sync.Mutex // one refresh at a time
	snap atomic.Pointer[orgModels]
}

func newModelCache(store Store, refresh time.Duration, now func() time.Time) *modelCache {
	return &modelCache{store: store, refresh: refresh, now: now, orgs: map[string]*orgModelsEntry{}}
}

func (c *modelCache) entry(orgID string) *orgModelsEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.orgs[orgID]
	if !ok {
		e = &orgModelsEntry{}
		c.orgs[orgID] = e
	}
	return e
}

// invalidate makes the next get re-read orgID's outcomes and versions.
func (c *modelCache) invalidate(orgID string) {
	e := c.entry(orgID)
	e.mu.Lock()
	defer e.mu.Unlock()
	if snap := e.snap.Load(); snap != nil {
		stale := *snap
		stale.loaded = time.Time{}
		e.snap.Store(&stale)
	}
}

// get returns orgID's current models. When a refresh fails it keeps
// serving the previous view, if any, and tries again next interval.
func (c *modelCache) get(ctx context.Context, orgID string) (*orgModels, error) {
	e := c.entry(orgID)
	if snap := e.snap.Load(); snap != nil && c.now().Sub(snap.loaded) < c.refresh {
		return snap, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.snap.Load()
	if prev != nil && c.now().Sub(prev.loaded) < c.refresh {
		return prev, nil
	}
	snap, err := c.load(ctx, orgID, prev)
	if err != nil {
		if prev == nil {
			return nil, err
		}
		stale := *prev
		stale.loaded = c.now()
		e.snap.Store(&stale)
		return prev, nil
	}
	e.snap.Store(snap)
	return snap, nil
}

func (c *modelCache) load(ctx context.Context, orgID string, prev *orgModels) (*orgModels, error) {
	loaded := c.now()
	outs, err := c.store.ListOutcomes(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list outcomes: %w", err)
	}
	settings, err := c.store.FeatureSettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("feature settings: %w", err)
	}
	snap := &orgModels{loaded: loaded, outcomes: make([]*liveModel, 0, len(outs))}
	if prev != nil && prev.features.Version == settings.Version {
		snap.features = prev.features
	} else {
		cfg := settings.Config()
		snap.features = &cfg
	}
	if len(outs) == 0 {
		return snap, nil
	}
	versions, err := c.store.ModelVersions(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("model versions: %w", err)
	}
	old := map[string]*liveModel{}
	if prev != nil {
		for _, m := range prev.outcomes {
			old[m.id] = m
		}
	}
	for _, o := range outs {
		v := versions[o.ID]
		sameFeatures := prev != nil && prev.features == snap.features
		if m := old[o.ID]; m != nil && m.stored == v && sameFeatures && m.updated.Equal(o.UpdatedAt) {
			snap.outcomes = append(snap.outcomes, m)
			continue
		}
		matcher, err := outcome.Compile(o)
		if err != nil {
			return nil, err
		}
		m := &liveModel{id: o.ID, updated: o.UpdatedAt, matcher: matcher, model: untrained, stored: v}
		if old := old[o.ID]; old != nil && old.stored == v && sameFeatures { // only the definition changed
			m.model, m.version, m.reference = old.model, old.version, old.reference
		} else if v > 0 {
			ck, err := c.store.LoadCheckpoint(ctx, orgID, o.ID)
			if err != nil {
				return nil, fmt.Errorf("load model %s: %w", o.ID, err)
			}
			if ck.FeatureVersion == snap.features.Version {
				l, err := LearnerFromCheckpoint(ck)
				if err != nil {
					return nil, err
				}
				m.model, m.version, m.reference = l.Model, ck.Version, l.Reference.Sorted()
			}
		}
		snap.outcomes = append(snap.outcomes, m)
	}
	return snap, nil
}
