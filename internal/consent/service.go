package consent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// VisitorLookup finds the customer an identified visitor belongs to, so a
// ledger record names both (a subject access request by customer id then
// finds every device's decisions). A missing visitor is presage.ErrNotFound.
type VisitorLookup interface {
	GetVisitor(ctx context.Context, orgID, id string) (presage.Visitor, error)
}

// Service is the consent domain. Its callers come in three kinds:
//   - API callers: the methods authorize the principal in ctx (read for
//     reads, admin for changes, gdpr for subject histories and decisions
//     recorded by a server), which is also how the operator (CLI) acts;
//   - sites: the visitor-facing methods (Decide, View, Receipt) authorize
//     the site in ctx (presage.AuthorizeSite), authenticated from its site
//     key and Origin;
//   - wiring, not callers: the gates the collector and engagement consult
//     (TrackingAllowed, TrackingAllowedMany, EngagementAllowed, Signal) and
//     the node's own jobs (EnsureDefaults, ExpireDue, RunExpiry, JWKS) take
//     an organization and trust the code that wires them.
type Service struct {
	store    Store
	visitors VisitorLookup
	now      func() time.Time
	newID    func(prefix string) string
	orgs     *orgCache
	notices  *noticeCache
	erase    func(ctx context.Context, orgID, visitorID string) error
	orgsByID OrganizationLookup
}

// OrganizationLookup finds an organization by id; the privacy holder names
// the controller in the receipts of an export with it.
type OrganizationLookup interface {
	GetOrganization(ctx context.Context, id string) (presage.Organization, error)
}

// Options tunes a Service; zero values are sensible.
type Options struct {
	Now   func() time.Time
	NewID func(prefix string) string
	// PurposeTTL bounds how long a node uses its cached purposes, settings and
	// notice list of an organization (default 1s), so several nodes sharing a
	// database agree within it.
	PurposeTTL time.Duration
	// Erase, when set, erases a visitor's journey data; it is called after a
	// decision leaves analytics withdrawn or objected in an organization that
	// erases on withdrawal. This package never touches journey data itself.
	Erase func(ctx context.Context, orgID, visitorID string) error
	// Organizations, when set, names the controller in the receipts of a
	// data subject export; without it they name the organization by id.
	Organizations OrganizationLookup
}

// NewService returns a Service over store. visitors may be nil (records then
// carry no customer id).
func NewService(store Store, visitors VisitorLookup, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = presage.NewID
	}
	if opt.PurposeTTL <= 0 {
		opt.PurposeTTL = time.Second
	}
	return &Service{
		store:    store,
		visitors: visitors,
		now:      opt.Now,
		newID:    opt.NewID,
		erase:    opt.Erase,
		orgsByID: opt.Organizations,
		orgs:     &orgCache{ttl: opt.PurposeTTL, now: opt.Now, m: map[string]orgEntry{}},
		notices:  &noticeCache{ttl: opt.PurposeTTL, now: opt.Now, m: map[string]noticeEntry{}},
	}
}

// nowMs is the service clock in UTC at the ledger's millisecond precision.
func (s *Service) nowMs() time.Time { return presage.StoredTime(s.now()) }

// policy is what the gates and decisions of one organization need: its
// purposes by name and its settings.
type policy struct {
	purposes map[string]Purpose
	settings Settings
}

func (p policy) names() []string { return sortedKeys(p.purposes) }

// gpcPurposes returns the declared purposes a GPC signal objects to.
func (p policy) gpcPurposes() []string {
	var out []string
	for _, name := range p.settings.GPCObjects {
		if _, ok := p.purposes[name]; ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// objectable returns the purposes open to objection (Basis.Objectable) that
// current does not show as Objected yet, sorted.
func (p policy) objectable(current []State) []string {
	var out []string
	for _, name := range p.names() {
		if !p.purposes[name].Basis.Objectable() {
			continue
		}
		if slices.ContainsFunc(current, func(st State) bool { return st.Purpose == name && st.Decision == Objected }) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// signalled reports whether sig objects under the organization's settings.
func (p policy) signalled(sig presage.PrivacySignals) bool {
	return sig.GPC || sig.DNT && p.settings.HonourDNT
}

const cacheMax = 10000

type orgEntry struct {
	p       policy
	expires time.Time
}

// orgCache remembers each organization's policy for a short TTL: the gates run
// on every collected batch, and a TTL (not invalidation) keeps nodes that
// share a database in agreement without talking to each other. A node's own
// changes invalidate its entry at once.
type orgCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.RWMutex
	m   map[string]orgEntry
}

func (c *orgCache) get(orgID string, load func() (policy, error)) (policy, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[orgID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	p, err := load()
	if err != nil {
		return policy{}, err
	}
	c.mu.Lock()
	if len(c.m) >= cacheMax {
		clear(c.m)
	}
	c.m[orgID] = orgEntry{p: p, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return p, nil
}

func (c *orgCache) forget(orgID string) {
	c.mu.Lock()
	delete(c.m, orgID)
	c.mu.Unlock()
}

type noticeEntry struct {
	ns      []Notice
	expires time.Time
}

// noticeCache remembers each organization's notices (newest first) for View,
// which every banner load calls.
type noticeCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.RWMutex
	m   map[string]noticeEntry
}

func (c *noticeCache) get(orgID string, load func() ([]Notice, error)) ([]Notice, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[orgID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.ns, nil
	}
	ns, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= cacheMax {
		clear(c.m)
	}
	c.m[orgID] = noticeEntry{ns: ns, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return ns, nil
}

func (c *noticeCache) forget(orgID string) {
	c.mu.Lock()
	delete(c.m, orgID)
	c.mu.Unlock()
}

// policy returns orgID's purposes and settings through the cache. An
// organization without stored settings gets the defaults.
func (s *Service) policy(ctx context.Context, orgID string) (policy, error) {
	return s.orgs.get(orgID, func() (policy, error) {
		ps, err := s.store.ListPurposes(ctx, orgID)
		if err != nil {
			return policy{}, fmt.Errorf("list purposes: %w", err)
		}
		set, err := s.store.GetSettings(ctx, orgID)
		if presage.IsNotFound(err) {
			set, err = DefaultSettings(orgID), nil
		}
		if err != nil {
			return policy{}, fmt.Errorf("get settings: %w", err)
		}
		p := policy{purposes: make(map[string]Purpose, len(ps)), settings: set}
		for _, pp := range ps {
			p.purposes[pp.Name] = pp
		}
		return p, nil
	})
}

func (s *Service) listNotices(ctx context.Context, orgID string) ([]Notice, error) {
	return s.notices.get(orgID, func() ([]Notice, error) {
		ns, err := s.store.ListNotices(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("list notices: %w", err)
		}
		return ns, nil
	})
}

// customerOf returns the customer id of visitorID, "" when it has none.
func (s *Service) customerOf(ctx context.Context, orgID, visitorID string) (string, error) {
	if s.visitors == nil {
		return "", nil
	}
	v, err := s.visitors.GetVisitor(ctx, orgID, visitorID)
	if presage.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get visitor: %w", err)
	}
	return v.CustomerID, nil
}

// errSkip is returned by a build callback when the record would change
// nothing; Append then writes nothing and returns it as is.
var errSkip = errors.New("consent: nothing to record")

// append adds one record built by decide to the chain of orgID, filling Seq,
// PrevHash, ID, RecordedAt and Hash. decide returns the decisions the record
// makes (nil to skip) given the visitor's current states.
func (s *Service) append(ctx context.Context, base Record, ttl time.Duration,
	decide func(current []State) (map[string]Decision, error)) (Record, []State, error) {
	var merged []State
	rec, err := s.store.Append(ctx, base.OrgID, base.VisitorID, func(head Head, current []State) (Record, []State, error) {
		merged = slices.Clone(current)
		ds, err := decide(current)
		if err != nil {
			return Record{}, nil, err
		}
		if len(ds) == 0 {
			return Record{}, nil, errSkip
		}
		r := base
		r.Decisions = ds
		r.ID = s.newID("cr")
		r.RecordedAt = s.nowMs()
		r.Seq = head.Seq + 1
		r.PrevHash = head.Hash
		r = Seal(r)
		r.Hash = HashRecord(r)
		states := make([]State, 0, len(ds))
		for _, p := range sortedKeys(ds) {
			st := State{OrgID: r.OrgID, VisitorID: r.VisitorID, Purpose: p, Decision: ds[p],
				RecordSeq: r.Seq, DecidedAt: r.RecordedAt}
			if st.Decision == Granted || st.Decision == Denied {
				st.ExpiresAt = r.RecordedAt.Add(ttl)
			}
			states = append(states, st)
		}
		merged = mergeStates(current, states)
		return r, states, nil
	})
	if errors.Is(err, errSkip) {
		return Record{}, merged, errSkip
	}
	if err != nil {
		return Record{}, nil, err
	}
	return rec, merged, nil
}

// mergeStates overlays changed on current, sorted by purpose.
func mergeStates(current, changed []State) []State {
	return overlay(func(st State) string { return st.Purpose }, current, changed)
}

// overlay returns the items of base with those of changed in place of the
// ones of the same key (key(item)), added where new, sorted by key.
func overlay[T any](key func(T) string, base, changed []T) []T {
	by := map[string]T{}
	for _, x := range base {
		by[key(x)] = x
	}
	for _, x := range changed {
		by[key(x)] = x
	}
	out := make([]T, 0, len(by))
	for _, k := range sortedKeys(by) {
		out = append(out, by[k])
	}
	return out
}

// live reports whether st is a decision that stands at now: a recorded
// decision that is not Expired and whose ExpiresAt, if any, is after now.
func live(st State, now time.Time) bool {
	if st.Decision == "" || st.Decision == Expired {
		return false
	}
	return st.ExpiresAt.IsZero() || now.Before(st.ExpiresAt)
}
