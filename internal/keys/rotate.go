package keys

import (
	"context"
	"fmt"
)

// rotatePage is how many data keys RotateDataKeys reads and rewrites at a
// time: one short transaction each, so rotation never holds the key store
// for long while nodes keep sealing.
const rotatePage = 500

// RotateDataKeys re-wraps under the current master key every data key that
// a previous master key wrapped, and returns how many it re-wrapped. The
// data keys themselves do not change, so every sealed value still opens;
// once it returns, the previous master key is no longer needed. It is safe
// to run again after a failure: keys already re-wrapped are skipped.
func (k *Keyring) RotateDataKeys(ctx context.Context) (rewrapped int, err error) {
	after := ""
	for {
		page, err := k.store.ListDataKeys(ctx, after, rotatePage)
		if err != nil {
			return rewrapped, fmt.Errorf("rotate data keys: list: %w", err)
		}
		var changed []DataKey
		for _, dk := range page {
			if dk.MasterID == k.current.ID {
				continue
			}
			m, err := k.master(dk.MasterID)
			if err != nil {
				return rewrapped, fmt.Errorf("rotate data key %s: %w", dk.ID, err)
			}
			additional := []byte(dk.OrgID + "\x00" + dk.Subject)
			raw, err := m.aeadOpen(dk.Wrapped, additional)
			if err != nil {
				return rewrapped, fmt.Errorf("rotate data key %s: unwrap: %w", dk.ID, err)
			}
			dk.Wrapped, dk.MasterID = k.current.aeadSeal(raw, additional), k.current.ID
			clear(raw)
			changed = append(changed, dk)
		}
		if len(changed) > 0 {
			if err := k.store.RewrapDataKeys(ctx, changed); err != nil {
				return rewrapped, fmt.Errorf("rotate data keys: rewrite: %w", err)
			}
			rewrapped += len(changed)
		}
		if len(page) < rotatePage {
			return rewrapped, nil
		}
		after = page[len(page)-1].ID
	}
}

// Rewrap returns the organization secret b wrapped under the current master
// key, and whether that differs from b: a secret in clear (stored before
// encryption) or wrapped by a previous master key is re-wrapped, one the
// current key wrapped is returned as it is.
func (k *Keyring) Rewrap(label string, b []byte) (out []byte, changed bool, err error) {
	if WrappedBy(b) == k.current.ID {
		return b, false, nil
	}
	secret, err := k.Unwrap(label, b)
	if err != nil {
		return nil, false, err
	}
	return k.Wrap(label, secret), true, nil
}
