package httpapi

import (
	"net/http"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/tenant"
)

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) {
	org, err := s.Tenants.Organization(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, organizationWithRegion(org))
}

// organizationRegionView is the organization as its own admin sees it: the
// shared view plus the default phone region.
type organizationRegionView struct {
	organizationView
	PhoneRegion string `json:"phoneRegion"`
}

func organizationWithRegion(org presage.Organization) organizationRegionView {
	return organizationRegionView{organizationView: organizationOf(org), PhoneRegion: org.PhoneRegion}
}

func (s *Server) patchOrganization(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name           *string   `json:"name"`
		AllowedOrigins *[]string `json:"allowedOrigins"`
		PhoneRegion    *string   `json:"phoneRegion"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	org, err := s.Tenants.UpdateOrganization(r.Context(), tenant.OrganizationPatch{Name: in.Name, AllowedOrigins: in.AllowedOrigins,
		PhoneRegion: in.PhoneRegion})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, organizationWithRegion(org))
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.Tenants.ListKeys(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listView[keyView]{Data: make([]keyView, 0, len(keys))}
	for _, k := range keys {
		out.Data = append(out.Data, keyOf(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name   string          `json:"name"`
		Scopes []presage.Scope `json:"scopes"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	key, full, err := s.Tenants.CreateKey(r.Context(), in.Name, in.Scopes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	view := keyOf(key)
	view.Key = full
	writeJSON(w, http.StatusCreated, view)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := s.Tenants.RevokeKey(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
