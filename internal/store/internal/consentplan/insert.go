package consentplan

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/keys"
)

// CheckNotice checks a notice the caller numbered before it is inserted.
func CheckNotice(n consent.Notice) error {
	if n.OrgID == "" || n.Version < 1 {
		return fmt.Errorf("notice of organization %q numbered %d: want an organization and a version from 1", n.OrgID, n.Version)
	}
	return nil
}

// CheckSigningKey checks a signing key before it is inserted: the private
// key is the 64 bytes of an Ed25519 key, or that key wrapped by the master
// key (store/sealed wraps it for encryption at rest).
func CheckSigningKey(k consent.SigningKey) error {
	if k.OrgID == "" || k.KID == "" || (len(k.Private) != ed25519.PrivateKeySize && !keys.IsWrapped(k.Private)) {
		return fmt.Errorf("malformed signing key %q of organization %q", k.KID, k.OrgID)
	}
	return nil
}

// EncodeBases returns a notice's bases as the JSON text of its bases column
// ("{}" for a notice without any).
func EncodeBases(bases map[string]consent.Basis) (string, error) {
	if len(bases) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(bases)
	if err != nil {
		return "", fmt.Errorf("encode notice bases: %w", err)
	}
	return string(b), nil
}

// DecodeBases reads a bases column into n.Bases (nil for "{}").
func DecodeBases(text string, n *consent.Notice) error {
	var bases map[string]consent.Basis
	if err := json.Unmarshal([]byte(text), &bases); err != nil {
		return fmt.Errorf("decode notice bases: %w", err)
	}
	if len(bases) > 0 {
		n.Bases = bases
	}
	return nil
}
