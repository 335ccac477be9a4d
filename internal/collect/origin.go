package collect

import (
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// CheckOrigin reports whether a browser Origin header value may send events
// for org: it must equal one of org.AllowedOrigins (scheme://host[:port],
// compared case-insensitively and with default ports dropped), or the list
// holds "*". A missing origin ("" or "null") is never allowed.
func CheckOrigin(org presage.Organization, origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	o := canonicalOrigin(origin)
	for _, allowed := range org.AllowedOrigins {
		if allowed == "*" || canonicalOrigin(allowed) == o {
			return true
		}
	}
	return false
}

// canonicalOrigin lower-cases an origin and drops a trailing slash and the
// scheme's default port, so "HTTPS://Shop.Example:443/" equals
// "https://shop.example". Origins are ASCII (browsers send IDNs as punycode).
func canonicalOrigin(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "/")
	switch {
	case strings.HasPrefix(s, "https://"):
		s = strings.TrimSuffix(s, ":443")
	case strings.HasPrefix(s, "http://"):
		s = strings.TrimSuffix(s, ":80")
	}
	return s
}
