package consent

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// fakeStore is an in-memory Store. One mutex stands for every transaction:
// Append holds it across build, like the chain lock of the real stores.
type fakeStore struct {
	mu       sync.Mutex
	purposes map[string]map[string]Purpose
	settings map[string]Settings
	notices  map[string][]Notice // oldest first
	records  map[string][]Record // by Seq
	heads    map[string]Head
	states   map[string]map[string]map[string]State // org → visitor → purpose
	keys     map[string]SigningKey

	listPurposes, statesOf, appends int // call counts

	// beforeCreateNotice, when set, runs at the start of CreateNotice
	// without the lock: what another node does between a service's read of
	// the notices and its insert.
	beforeCreateNotice func()
}

var _ Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{
		purposes: map[string]map[string]Purpose{},
		settings: map[string]Settings{},
		notices:  map[string][]Notice{},
		records:  map[string][]Record{},
		heads:    map[string]Head{},
		states:   map[string]map[string]map[string]State{},
		keys:     map[string]SigningKey{},
	}
}

func copyRecord(r Record) Record {
	r.Decisions = maps.Clone(r.Decisions)
	r.Artefact = slices.Clone(r.Artefact)
	return r
}

func copyNotice(n Notice) Notice {
	n.Texts = maps.Clone(n.Texts)
	return n
}

func (f *fakeStore) ListPurposes(_ context.Context, orgID string) ([]Purpose, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listPurposes++
	var out []Purpose
	for _, name := range sortedKeys(f.purposes[orgID]) {
		out = append(out, f.purposes[orgID][name])
	}
	return out, nil
}

func (f *fakeStore) PutPurposes(_ context.Context, orgID string, ps []Purpose) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.purposes[orgID] == nil {
		f.purposes[orgID] = map[string]Purpose{}
	}
	for _, p := range ps {
		f.purposes[orgID][p.Name] = p
	}
	return nil
}

func (f *fakeStore) GetSettings(_ context.Context, orgID string) (Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.settings[orgID]
	if !ok {
		return Settings{}, presage.ErrNotFound
	}
	s.GPCObjects = slices.Clone(s.GPCObjects)
	return s, nil
}

func (f *fakeStore) PutSettings(_ context.Context, s Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.GPCObjects = slices.Clone(s.GPCObjects)
	f.settings[s.OrgID] = s
	return nil
}

func (f *fakeStore) CreateNotice(_ context.Context, n Notice) error {
	if f.beforeCreateNotice != nil {
		f.beforeCreateNotice()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch have := len(f.notices[n.OrgID]); {
	case n.Version >= 1 && n.Version <= have:
		return presage.Errorf(presage.CodeConflict, "fake store: notice version %d exists", n.Version)
	case n.Version != have+1:
		return fmt.Errorf("fake store: notice version %d after %d", n.Version, have)
	}
	f.notices[n.OrgID] = append(f.notices[n.OrgID], copyNotice(n))
	return nil
}

func (f *fakeStore) GetNotice(_ context.Context, orgID string, version int) (Notice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ns := f.notices[orgID]
	if version < 1 || version > len(ns) {
		return Notice{}, presage.ErrNotFound
	}
	return copyNotice(ns[version-1]), nil
}

func (f *fakeStore) ListNotices(_ context.Context, orgID string) ([]Notice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Notice
	ns := f.notices[orgID]
	for i := len(ns) - 1; i >= 0; i-- {
		out = append(out, copyNotice(ns[i]))
	}
	return out, nil
}

func (f *fakeStore) Append(_ context.Context, orgID, visitorID string, build func(Head, []State) (Record, []State, error)) (Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	head := f.heads[orgID]
	var current []State
	for _, p := range sortedKeys(f.states[orgID][visitorID]) {
		current = append(current, f.states[orgID][visitorID][p])
	}
	r, states, err := build(head, current)
	if err != nil {
		return Record{}, err
	}
	if r.OrgID != orgID || r.VisitorID != visitorID || r.Seq != head.Seq+1 || r.PrevHash != head.Hash || r.Hash == "" {
		return Record{}, fmt.Errorf("fake store: build broke the contract: %+v (head %+v)", r, head)
	}
	f.appends++
	f.records[orgID] = append(f.records[orgID], copyRecord(r))
	if f.states[orgID] == nil {
		f.states[orgID] = map[string]map[string]State{}
	}
	if f.states[orgID][visitorID] == nil {
		f.states[orgID][visitorID] = map[string]State{}
	}
	for _, st := range states {
		f.states[orgID][visitorID][st.Purpose] = st
	}
	f.heads[orgID] = Head{Seq: r.Seq, Hash: r.Hash}
	return copyRecord(r), nil
}

func (f *fakeStore) Head(_ context.Context, orgID string) (Head, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.heads[orgID], nil
}

func (f *fakeStore) Records(_ context.Context, orgID string, after int64, limit int) ([]Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := slices.Clone(f.records[orgID])
	slices.SortStableFunc(recs, func(a, b Record) int { return int(a.Seq - b.Seq) })
	var out []Record
	for _, r := range recs {
		if r.Seq > after && len(out) < limit {
			out = append(out, copyRecord(r))
		}
	}
	return out, nil
}

func (f *fakeStore) SubjectRecords(_ context.Context, orgID, visitorID, customerID string) ([]Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Record
	for _, r := range f.records[orgID] {
		if customerID != "" && r.CustomerID == customerID || customerID == "" && r.VisitorID == visitorID {
			out = append(out, copyRecord(r))
		}
	}
	return out, nil
}

func (f *fakeStore) States(_ context.Context, orgID, visitorID string) ([]State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []State
	for _, p := range sortedKeys(f.states[orgID][visitorID]) {
		out = append(out, f.states[orgID][visitorID][p])
	}
	return out, nil
}

func (f *fakeStore) StatesOf(_ context.Context, orgID, purpose string, visitorIDs []string) (map[string]State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statesOf++
	out := map[string]State{}
	for _, v := range visitorIDs {
		if st, ok := f.states[orgID][v][purpose]; ok {
			out[v] = st
		}
	}
	return out, nil
}

func (f *fakeStore) ExpiredStates(_ context.Context, at time.Time, limit int) ([]State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []State
	for _, org := range sortedKeys(f.states) {
		for _, v := range sortedKeys(f.states[org]) {
			for _, p := range sortedKeys(f.states[org][v]) {
				st := f.states[org][v][p]
				if (st.Decision == Granted || st.Decision == Denied) && !st.ExpiresAt.IsZero() && !st.ExpiresAt.After(at) && len(out) < limit {
					out = append(out, st)
				}
			}
		}
	}
	return out, nil
}

func (f *fakeStore) SigningKey(_ context.Context, orgID string) (SigningKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[orgID]
	if !ok {
		return SigningKey{}, presage.ErrNotFound
	}
	return k, nil
}

func (f *fakeStore) CreateSigningKey(_ context.Context, k SigningKey) (SigningKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if have, ok := f.keys[k.OrgID]; ok {
		return have, nil
	}
	if k.KID == "" || len(k.Private) != ed25519.PrivateKeySize {
		return SigningKey{}, fmt.Errorf("fake store: malformed signing key %q", k.KID)
	}
	k.Private = slices.Clone(k.Private)
	f.keys[k.OrgID] = k
	return k, nil
}

func (f *fakeStore) AnonymizeSubject(_ context.Context, orgID string, visitorIDs, customerIDs []string) (int64, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var records, states int64
	for i, r := range f.records[orgID] {
		if r.VisitorID != "" && slices.Contains(visitorIDs, r.VisitorID) || r.CustomerID != "" && slices.Contains(customerIDs, r.CustomerID) {
			r.VisitorID, r.CustomerID, r.IPPrefix, r.UserAgent, r.SubjectSalt = "", "", "", "", ""
			f.records[orgID][i] = r
			records++
		}
	}
	for _, v := range visitorIDs {
		states += int64(len(f.states[orgID][v]))
		delete(f.states[orgID], v)
	}
	return records, states, nil
}

// tamper runs fn on orgID's stored records (for verification tests).
func (f *fakeStore) tamper(orgID string, fn func(recs []Record) []Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[orgID] = fn(f.records[orgID])
}

// fakeVisitors maps visitor ids to customer ids.
type fakeVisitors map[string]string

func (v fakeVisitors) GetVisitor(_ context.Context, orgID, id string) (presage.Visitor, error) {
	c, ok := v[id]
	if !ok {
		return presage.Visitor{}, presage.ErrNotFound
	}
	return presage.Visitor{OrgID: orgID, ID: id, CustomerID: c}, nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
