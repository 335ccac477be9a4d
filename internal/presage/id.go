package presage

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix + "_" + 26 random base32 characters (128 bits).
func NewID(prefix string) string {
	return prefix + "_" + RandomToken(16)
}

// RandomToken returns n random bytes, base32-encoded in lower case.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("presage: crypto/rand failed: " + err.Error())
	}
	return idEncoding.EncodeToString(b)
}

// ValidClientID reports whether s is acceptable as a client-generated id
// (visitor, session or event): 8 to 64 characters of [A-Za-z0-9_-].
func ValidClientID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0
}
