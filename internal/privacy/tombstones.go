package privacy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/identity"
)

// Tombstone kinds besides the identifier kinds (email, phone, external_id,
// whose value is the identifier's blind index).
const (
	TombstoneVisitor  = "visitor"
	TombstoneCustomer = "customer"
)

// TombstoneTTL is how long a node's collector trusts its cached tombstones
// of an organization before reading them again.
const TombstoneTTL = time.Second

// TombstoneHash is the keyed hash a tombstone of kind and value is stored
// under: hex(HMAC-SHA256(identity secret, "tombstone:" + kind + ":" + value)),
// so the tombstone table names no one to whoever lacks the organization's
// identity key.
func TombstoneHash(secret []byte, kind, value string) string {
	return identity.BlindIndex(secret, "tombstone:"+kind, value)
}

// TombstoneReader is the part of Store the collector's cache reads.
type TombstoneReader interface {
	AllTombstones(ctx context.Context, orgID string) ([]Tombstone, error)
}

// Tombstones answers, for the collector, whether an identifier belongs to
// an erased subject. It caches each organization's tombstones for
// TombstoneTTL; an erasure waits longer than that before deleting rows, so
// an event a node accepts after the wait is refused, and one it accepted
// before is deleted by the erasure.
type Tombstones struct {
	store TombstoneReader
	now   func() time.Time

	mu   sync.Mutex
	orgs map[string]*tombstoneSet
}

type tombstoneSet struct {
	loaded time.Time
	hashes map[string]bool // kind + "\x00" + hash
	mu     sync.Mutex      // one load at a time per organization
}

// NewTombstones returns a cache over store.
func NewTombstones(store TombstoneReader, now func() time.Time) *Tombstones {
	if now == nil {
		now = time.Now
	}
	return &Tombstones{store: store, now: now, orgs: map[string]*tombstoneSet{}}
}

// Erased reports whether any of values (kind → value, hashed with secret)
// is tombstoned in orgID.
func (t *Tombstones) Erased(ctx context.Context, orgID string, secret []byte, kind string, values ...string) (bool, error) {
	set, err := t.set(ctx, orgID)
	if err != nil || len(set) == 0 {
		return false, err
	}
	for _, v := range values {
		if v != "" && set[kind+"\x00"+TombstoneHash(secret, kind, v)] {
			return true, nil
		}
	}
	return false, nil
}

func (t *Tombstones) set(ctx context.Context, orgID string) (map[string]bool, error) {
	t.mu.Lock()
	s, ok := t.orgs[orgID]
	if !ok {
		s = &tombstoneSet{}
		t.orgs[orgID] = s
	}
	t.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := t.now(); s.hashes == nil || now.Sub(s.loaded) >= TombstoneTTL {
		ts, err := t.store.AllTombstones(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("read tombstones: %w", err)
		}
		hashes := make(map[string]bool, len(ts))
		for _, x := range ts {
			hashes[x.Kind+"\x00"+x.Hash] = true
		}
		s.hashes, s.loaded = hashes, now
	}
	return s.hashes, nil
}
