package sealed

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
)

// secretRewriter is what SealLegacySecrets needs of an engine beyond
// store.Engine: rewriting a secret in place, only if it still holds the
// value read (so two nodes sealing at once keep one wrapped value). Both
// engines implement it (store/sqlite/secrets.go, store/postgres/secrets.go).
type secretRewriter interface {
	ReplaceIdentitySecret(ctx context.Context, orgID string, old, secret []byte) (bool, error)
	ReplaceSigningKey(ctx context.Context, orgID string, old, private []byte) (bool, error)
}

// SealLegacySecrets wraps, with k's current master key, every organization
// identity secret and consent signing key e still stores in clear (written
// before encryption at rest) or wrapped by a previous master key (a
// rotation), and returns how many it wrapped. It is meant to run
// at start: it is idempotent and safe on many nodes at once. e may be the
// engine or Wrap's decorator of it.
func SealLegacySecrets(ctx context.Context, e store.Engine, k *keys.Keyring) (int, error) {
	e = Unwrap(e)
	rw, ok := e.(secretRewriter)
	if !ok {
		return 0, fmt.Errorf("seal legacy secrets: engine %s cannot rewrite secrets", e.Engine())
	}
	orgs, err := e.ListOrganizations(ctx)
	if err != nil {
		return 0, fmt.Errorf("seal legacy secrets: %w", err)
	}
	n := 0
	for _, org := range orgs {
		wrapped, changed, err := k.Rewrap(identityLabel(org.ID), org.IdentitySecret)
		if err != nil {
			return n, fmt.Errorf("seal legacy secrets: identity secret of organization %s: %w", org.ID, err)
		}
		if changed {
			done, err := rw.ReplaceIdentitySecret(ctx, org.ID, org.IdentitySecret, wrapped)
			if err != nil {
				return n, fmt.Errorf("seal legacy secrets: organization %s: %w", org.ID, err)
			}
			n += count(done)
		}
		sk, err := e.SigningKey(ctx, org.ID)
		if presage.ErrorCode(err) == presage.CodeNotFound {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("seal legacy secrets: signing key of organization %s: %w", org.ID, err)
		}
		wrapped, changed, err = k.Rewrap(signingLabel(org.ID), sk.Private)
		if err != nil {
			return n, fmt.Errorf("seal legacy secrets: signing key of organization %s: %w", org.ID, err)
		}
		if changed {
			done, err := rw.ReplaceSigningKey(ctx, org.ID, sk.Private, wrapped)
			if err != nil {
				return n, fmt.Errorf("seal legacy secrets: signing key of organization %s: %w", org.ID, err)
			}
			n += count(done)
		}
	}
	return n, nil
}

func count(done bool) int {
	if done {
		return 1
	}
	return 0
}
