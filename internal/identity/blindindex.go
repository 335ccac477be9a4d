package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// BlindIndex returns hex(HMAC-SHA256(secret, kind + ":" + normalized)): the
// keyed hash identifiers and lookups are stored under. Without the
// organization's secret it reveals nothing about the value.
func BlindIndex(secret []byte, kind, normalized string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(kind))
	m.Write([]byte{':'})
	m.Write([]byte(normalized))
	return hex.EncodeToString(m.Sum(nil))
}

// Hashes returns the blind index of every candidate Normalize gives for
// value, in the same order; nil when the value normalizes to nothing.
func Hashes(secret []byte, kind, value, region string) []string {
	cands := Normalize(kind, value, region)
	if len(cands) == 0 {
		return nil
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = BlindIndex(secret, kind, c)
	}
	return out
}
