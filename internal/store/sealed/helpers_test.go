package sealed_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/consent"
)

func signingKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func consentKey(orgID, kid string, priv ed25519.PrivateKey, at time.Time) consent.SigningKey {
	return consent.SigningKey{OrgID: orgID, KID: kid, Private: priv, CreatedAt: at}
}
