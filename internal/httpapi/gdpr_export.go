package httpapi

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/presage-dev/presage/internal/privacy"
)

// Export bundles leave Presage two ways: the authenticated download (scope
// gdpr) and the signed, expiring URL the request answers as resultsUrl,
// which needs no key so that it can be handed to the data subject.

func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	bundle, err := s.Privacy.ExportBundle(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeBundle(w, id, bundle)
}

func (s *Server) signedExport(w http.ResponseWriter, r *http.Request) {
	token, q := r.PathValue("id"), r.URL.Query()
	bundle, err := s.Privacy.SignedExport(r.Context(), token, q.Get("expires"), q.Get("sig"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The URL is a bearer credential: keep it out of the Referer of
	// anything the bundle's viewer opens next.
	w.Header().Set("Referrer-Policy", "no-referrer")
	// The token is "{org}.{request}"; the file is named after the request.
	_, requestID, _ := strings.Cut(token, ".")
	writeBundle(w, requestID, bundle)
}

// writeBundle answers a JSON export bundle as a file to save.
func writeBundle(w http.ResponseWriter, requestID string, bundle []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="presage-export-`+safeFileName(requestID)+`.json"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bundle)
}

// safeFileName keeps the characters of a request id ("dsr_…"), so nothing
// the caller sent can break out of the header's quoted string.
func safeFileName(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			return c
		}
		return -1
	}, s)
}

// resultsURL is the absolute signed download URL of req's export, "" while
// there is none.
func (s *Server) resultsURL(r *http.Request, req privacy.Request) string {
	path := s.Privacy.ExportPath(req)
	if path == "" {
		return ""
	}
	return s.publicBase(r) + path
}

// publicBase is the scheme and host the caller reached Presage at. Behind a
// trusted proxy (TrustedProxies) the proxy's X-Forwarded-Proto and
// X-Forwarded-Host say what the caller used; from anyone else they are
// ignored, so a caller cannot make Presage hand out links to another host.
func (s *Server) publicBase(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.fromTrustedProxy(r) {
		if p := firstForwarded(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstForwarded(r.Header.Get("X-Forwarded-Host")); validHost(h) {
			host = h
		}
	}
	return scheme + "://" + host
}

// firstForwarded is the value the first proxy set in a comma-separated
// forwarding header: the one that faced the caller.
func firstForwarded(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// validHost reports whether h is a host[:port] and nothing else (no path,
// user info or spaces), so it can prefix a path.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}

// fromTrustedProxy reports whether the request's direct peer is a trusted
// proxy.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer := ap.Addr().Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}
