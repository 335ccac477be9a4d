package httpapi

import (
	"net/http"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// authenticate resolves the bearer secret key into a principal carried by the
// request context, then lets api route the request. Scopes and organization
// are checked by the services, not here, so no route can forget them.
func (s *Server) authenticate(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		inner := r.WithContext(presage.WithPrincipal(r.Context(), p))
		api.ServeHTTP(w, inner)
		// The API tree's mux sets the route pattern on its copy of the
		// request; hand it back so metrics and logs name the route.
		r.Pattern = inner.Pattern
	})
}
