package httpapi

import (
	"net/http"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

func (s *Server) getPrivacySettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Privacy.Settings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, privacySettingsOf(st))
}

// putPrivacySettings replaces the retention periods: every one is given,
// so a period left out is refused rather than silently set to forever.
func (s *Server) putPrivacySettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Retention *struct {
			SessionsDays  *int `json:"sessionsDays"`
			VisitorsDays  *int `json:"visitorsDays"`
			CustomersDays *int `json:"customersDays"`
			ExportsDays   *int `json:"exportsDays"`
		} `json:"retention"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Retention == nil {
		s.writeError(w, r, presage.Invalid("/retention", -1, "retention is required"))
		return
	}
	var ret privacy.Retention
	for _, f := range []struct {
		name string
		src  *int
		dst  *int
	}{{"sessionsDays", in.Retention.SessionsDays, &ret.SessionsDays}, {"visitorsDays", in.Retention.VisitorsDays, &ret.VisitorsDays},
		{"customersDays", in.Retention.CustomersDays, &ret.CustomersDays}, {"exportsDays", in.Retention.ExportsDays, &ret.ExportsDays}} {
		if f.src == nil {
			s.writeError(w, r, presage.Invalid("/retention/"+f.name, -1, "retention.%s is required (0: keep forever)", f.name))
			return
		}
		*f.dst = *f.src
	}
	st, err := s.Privacy.SetRetention(r.Context(), ret)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, privacySettingsOf(st))
}
