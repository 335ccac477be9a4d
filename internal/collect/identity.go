package collect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// Identifier kinds, in priority order.
const (
	KindExternalID = "external_id"
	KindEmail      = "email"
	KindPhone      = "phone"
)

// Identifiers turns the identifying traits of an identify event into keyed
// hashes in priority order: external id (trait customerId), email, phone.
// Values are normalized first (NormalizeIdentifier); the hash is
// hex(HMAC-SHA256(secret, kind + ":" + normalized)). Empty values are skipped.
func Identifiers(secret []byte, id IdentityTraits) []presage.Identifier {
	out := make([]presage.Identifier, 0, 3)
	for _, t := range [...]struct{ kind, value string }{
		{KindExternalID, id.CustomerID}, {KindEmail, id.Email}, {KindPhone, id.Phone},
	} {
		if v := NormalizeIdentifier(t.kind, t.value); v != "" {
			out = append(out, presage.Identifier{Kind: t.kind, Hash: HashIdentifier(secret, t.kind, v)})
		}
	}
	return out
}

// NormalizeIdentifier returns the canonical form of an identifying value:
// emails trimmed and lower-cased, phones reduced to a leading "+" and digits,
// external ids trimmed.
func NormalizeIdentifier(kind, value string) string {
	switch kind {
	case KindEmail:
		return strings.ToLower(strings.TrimSpace(value))
	case KindPhone:
		return normalizePhone(value)
	default:
		return strings.TrimSpace(value)
	}
}

// HashIdentifier returns hex(HMAC-SHA256(secret, kind + ":" + normalized)).
func HashIdentifier(secret []byte, kind, normalized string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(kind))
	m.Write([]byte{':'})
	m.Write([]byte(normalized))
	return hex.EncodeToString(m.Sum(nil))
}

// normalizePhone keeps a leading "+" and the digits of s; it returns "" when
// s holds no digit.
func normalizePhone(s string) string {
	s = strings.TrimSpace(s)
	b := make([]byte, 0, len(s))
	if strings.HasPrefix(s, "+") {
		b = append(b, '+')
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
			digits++
		}
	}
	if digits == 0 {
		return ""
	}
	return string(b)
}

// countDigits returns how many ASCII digits s holds.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}
