package httpapi

import (
	"net/http"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// authed resolves the bearer secret key into a principal carried by the
// request context. Scopes are checked by the services, not here.
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="presage"`)
			s.writeError(w, r, presage.Errorf(presage.CodeUnauthorized, "send a secret key as Authorization: Bearer psk_…"))
			return
		}
		p, err := s.Tenants.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="presage", error="invalid_token"`)
			s.writeError(w, r, err)
			return
		}
		next(w, r.WithContext(presage.WithPrincipal(r.Context(), p)))
	}
}
