package sealed

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/presage-dev/presage/internal/consent"
)

// signingLabel binds a wrapped signing key to its organization.
func signingLabel(orgID string) string { return "signing:" + orgID }

// SigningKey returns orgID's receipt-signing key unwrapped.
func (e *engine) SigningKey(ctx context.Context, orgID string) (consent.SigningKey, error) {
	return e.unwrapSigningKey(e.base.SigningKey(ctx, orgID))
}

// CreateSigningKey stores k with its private key wrapped by the master key
// and returns the winning key unwrapped.
func (e *engine) CreateSigningKey(ctx context.Context, k consent.SigningKey) (consent.SigningKey, error) {
	if len(k.Private) != ed25519.PrivateKeySize {
		return consent.SigningKey{}, fmt.Errorf("create signing key: malformed signing key %q of organization %q", k.KID, k.OrgID)
	}
	k.Private = e.keys.Wrap(signingLabel(k.OrgID), k.Private)
	return e.unwrapSigningKey(e.base.CreateSigningKey(ctx, k))
}

// unwrapSigningKey unwraps what a read returned; a key stored in clear
// (before encryption) is returned as it is.
func (e *engine) unwrapSigningKey(k consent.SigningKey, err error) (consent.SigningKey, error) {
	if err != nil {
		return k, err
	}
	priv, err := e.keys.Unwrap(signingLabel(k.OrgID), k.Private)
	if err != nil {
		return consent.SigningKey{}, fmt.Errorf("signing key of organization %s: %w", k.OrgID, err)
	}
	if len(priv) != ed25519.PrivateKeySize {
		return consent.SigningKey{}, fmt.Errorf("signing key of organization %s has %d bytes", k.OrgID, len(priv))
	}
	k.Private = ed25519.PrivateKey(priv)
	return k, nil
}
