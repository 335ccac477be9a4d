package sealed

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store"
)

// Shredder destroys data subjects' keys wherever they are recorded: the
// key store names a key by its subject (customer:<id>, request:<id>, a
// visitor whose key was made on demand), and the journey database records
// the pooled keys the collector sealed a visitor's values with
// (visitor_keys). Erasure and retention destroy keys only through it.
type Shredder struct {
	records store.VisitorKeys
	keys    *keys.Keyring
}

// NewShredder returns the Shredder of the keys of k recorded in e (the
// engine itself or its sealing wrapper).
func NewShredder(e store.Engine, k *keys.Keyring) *Shredder {
	return &Shredder{records: Unwrap(e), keys: k}
}

// Shred destroys the subjects' keys and returns how many it destroyed.
// The keys go first and the records after, so a crash in between leaves
// records that the next call finds again: it is idempotent.
func (s *Shredder) Shred(ctx context.Context, orgID string, subjects []string) (int64, error) {
	ids, err := s.records.VisitorKeyIDs(ctx, orgID, subjects)
	if err != nil {
		return 0, fmt.Errorf("shred: %w", err)
	}
	all := subjects
	if len(ids) > 0 {
		all = make([]string, 0, len(subjects)+len(ids))
		all = append(all, subjects...)
		for _, id := range ids {
			all = append(all, keys.PoolSubject(id))
		}
	}
	n, err := s.keys.Shred(ctx, orgID, all)
	if err != nil {
		return 0, fmt.Errorf("shred: %w", err)
	}
	if _, err := s.records.DeleteVisitorKeys(ctx, orgID, subjects); err != nil {
		return n, fmt.Errorf("shred: %w", err)
	}
	return n, nil
}
