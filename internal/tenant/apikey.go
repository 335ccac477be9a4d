package tenant

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// A full secret key reads "psk_<id>_<secret>" where the key's stored ID is
// "key_<id>". The base32 alphabet has no underscore, so the parts split cleanly.
const secretKeyPrefix = "psk_"

// newSecretKey returns a key id, its full secret form and the secret's hash.
// The secret carries 256 random bits, so a plain SHA-256 suffices: there is
// nothing to brute-force, unlike a password.
func newSecretKey() (id, full string, hash []byte) {
	suffix := presage.RandomToken(10)
	secret := presage.RandomToken(32)
	sum := sha256.Sum256([]byte(secret))
	return "key_" + suffix, secretKeyPrefix + suffix + "_" + secret, sum[:]
}

// parseSecretKey splits a full key into its key id and secret.
func parseSecretKey(full string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(full, secretKeyPrefix)
	if !found {
		return "", "", false
	}
	suffix, secret, found := strings.Cut(rest, "_")
	if !found || suffix == "" || len(secret) < 32 || len(suffix) > 64 {
		return "", "", false
	}
	return "key_" + suffix, secret, true
}

// secretMatches compares in constant time.
func secretMatches(secret string, hash []byte) bool {
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], hash) == 1
}
