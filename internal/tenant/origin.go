package tenant

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// NormalizeOrigin turns "https://Shop.Example:443/" into "https://shop.example"
// and rejects anything that is not a scheme://host[:port] web origin. "*" is
// kept as the wildcard.
func NormalizeOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", presage.Errorf(presage.CodeInvalid, "%q is not a web origin like https://shop.example", s)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// normalizeOrigins validates and de-duplicates a list of origins; field names
// the request field for error reports.
func normalizeOrigins(field string, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for i, o := range in {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nil, presage.Invalid(field+"/"+strconv.Itoa(i), -1, "%s", presage.ErrorMessage(err))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

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
