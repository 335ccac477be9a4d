package identity

import (
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Kinds of identifying value.
const (
	KindExternalID = "external_id" // the organization's own id of the person (trait customerId)
	KindEmail      = "email"
	KindPhone      = "phone"
	KindName       = "name"
	KindAddress    = "address"
)

// Kinds lists every kind Normalize knows.
var Kinds = []string{KindExternalID, KindEmail, KindPhone, KindName, KindAddress}

// Normalize returns the canonical forms of value of the given kind, most
// canonical first, with no empty or repeated candidate; nil when nothing
// identifying is left. region (ISO 3166 alpha-2, the organization's default)
// is used for phone numbers written without a country code.
//
// Usually there is one candidate. There are two where the normalization
// changed and values hashed the old way must still be found: a phone number
// in E.164 and as a leading "+" and its digits; an email case-folded and
// lower-cased, when they differ. An unknown kind is trimmed only.
func Normalize(kind, value, region string) []string {
	switch kind {
	case KindEmail:
		return candidates(fold(strings.TrimSpace(value)), strings.ToLower(strings.TrimSpace(value)))
	case KindPhone:
		return candidates(e164(value, region), legacyPhone(value))
	case KindName:
		return candidates(foldText(value, false))
	case KindAddress:
		return candidates(foldText(value, true))
	default:
		return candidates(strings.TrimSpace(value))
	}
}

// candidates drops empty and repeated values.
func candidates(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" && !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// fold applies Unicode full case folding: "ß" and "SS" compare equal, as do
// "Σ" and "ς".
func fold(s string) string { return cases.Fold().String(s) }

// e164 returns the number in E.164 ("+33612345678"), "" when phonenumbers
// cannot parse it (no country code and no region, too few digits, …).
func e164(value, region string) string {
	n, err := phonenumbers.Parse(value, strings.ToUpper(strings.TrimSpace(region)))
	if err != nil {
		return ""
	}
	out := phonenumbers.Format(n, phonenumbers.E164)
	if len(out) < 2 || out[0] != '+' {
		return ""
	}
	return out
}

// legacyPhone is the normalization identifiers were hashed with before
// E.164: a leading "+" kept, then the digits; "" when there is no digit.
func legacyPhone(s string) string {
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

// foldText makes names and addresses compare the way people read them:
// compatibility-decomposed (NFKD) with combining marks removed, so accents
// and ligatures do not matter, case-folded, and whitespace collapsed to one
// space. For addresses punctuation and symbols count as spaces too
// ("12, Rue de l'Église" == "12 rue de l eglise").
func foldText(s string, punctuationIsSpace bool) string {
	// Folding can leave compatibility characters and folding a decomposed
	// string can recompose nothing, so decompose, strip, fold, and decompose
	// and strip once more: the result is a fixed point (the fuzz test checks).
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(),
		norm.NFKD, runes.Remove(runes.In(unicode.Mn)))
	folded, _, err := transform.String(t, s)
	if err != nil {
		return ""
	}
	var b strings.Builder
	b.Grow(len(folded))
	space := false
	for _, r := range folded {
		switch {
		case unicode.IsSpace(r), punctuationIsSpace && (unicode.IsPunct(r) || unicode.IsSymbol(r)):
			space = b.Len() > 0
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Me, r):
			// Invisible characters (zero-width joiners, bidi marks) are
			// dropped: they do not change what a person reads.
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
