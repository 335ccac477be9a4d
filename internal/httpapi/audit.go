package httpapi

import (
	"net/http"
	"strconv"

	"github.com/presage-dev/presage/internal/presage"
)

// getAudit answers the organization's audit log (scope gdpr), oldest first,
// from after the sequence number ?after= (0: the start). nextAfter is the
// last entry's sequence number: pass it as after for the next page.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q, "limit", defaultLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	after := int64(0)
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			s.writeError(w, r, presage.Invalid("after", -1, "after must be an integer: the seq of the last entry seen"))
			return
		}
	}
	entries, err := s.Privacy.Audit(r.Context(), after, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Data      []auditView `json:"data"`
		NextAfter int64       `json:"nextAfter"`
	}{Data: make([]auditView, 0, len(entries)), NextAfter: after}
	for _, e := range entries {
		out.Data = append(out.Data, auditOf(e))
		out.NextAfter = e.Seq
	}
	writeJSON(w, http.StatusOK, out)
}
