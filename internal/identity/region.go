package identity

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Region returns the canonical (upper-case) form of a default phone region
// and whether it is valid: "" (none) or an ISO 3166 alpha-2 region whose
// numbering plan phonenumbers knows.
func Region(s string) (string, bool) {
	r := strings.ToUpper(strings.TrimSpace(s))
	if r == "" {
		return "", true
	}
	return r, phonenumbers.GetSupportedRegions()[r]
}
