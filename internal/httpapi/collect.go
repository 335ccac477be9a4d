package httpapi

import (
	"net/http"
	"net/netip"

	"github.com/presage-dev/presage/internal/collect"
)

// maxBatchBody is the collector's body limit (docs/collector-protocol.md).
const maxBatchBody = 64 << 10

// allowCORS lets the tracker read the collector's answers. The endpoint holds
// no secrets and takes no credentials, so echoing the origin is safe; whether
// an origin may send events is decided by the collector against the
// organization's allowed origins (403 otherwise).
func allowCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
	}
}

func (s *Server) collectPreflight(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) clientIP(r *http.Request) netip.Addr {
	return collect.ClientIP(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), s.TrustedProxies)
}

type collectResponse struct {
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
}

func (s *Server) collectFromSite(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	body, err := readBody(w, r, maxBatchBody)
	if err != nil {
		s.Collector.Reject(err)
		s.writeError(w, r, err)
		return
	}
	out, err := s.Collector.CollectFromSite(r.Context(), collect.SiteInput{
		Body:      body,
		Origin:    r.Header.Get("Origin"),
		UserAgent: r.UserAgent(),
		IP:        s.clientIP(r),
		Signals:   requestSignals(r),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, collectResponse{Stored: out.Stored, Duplicates: out.Duplicates})
}

func (s *Server) collectFromServer(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxBatchBody)
	if err != nil {
		s.Collector.Reject(err)
		s.writeError(w, r, err)
		return
	}
	out, err := s.Collector.CollectFromServer(r.Context(), collect.ServerInput{
		Body:      body,
		UserAgent: r.UserAgent(),
		IP:        s.clientIP(r),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, collectResponse{Stored: out.Stored, Duplicates: out.Duplicates})
}
