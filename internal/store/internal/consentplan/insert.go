package consentplan

import (
	"crypto/ed25519"
	"fmt"

	"github.com/presage-dev/presage/internal/consent"
)

// CheckNotice checks a notice the caller numbered before it is inserted.
func CheckNotice(n consent.Notice) error {
	if n.OrgID == "" || n.Version < 1 {
		return fmt.Errorf("notice of organization %q numbered %d: want an organization and a version from 1", n.OrgID, n.Version)
	}
	return nil
}

// CheckSigningKey checks a signing key before it is inserted.
func CheckSigningKey(k consent.SigningKey) error {
	if k.OrgID == "" || k.KID == "" || len(k.Private) != ed25519.PrivateKeySize {
		return fmt.Errorf("malformed signing key %q of organization %q", k.KID, k.OrgID)
	}
	return nil
}
