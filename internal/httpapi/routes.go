package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/presage-dev/presage/internal/presage"
)

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))

	mux.HandleFunc("POST /v1/events", s.collectFromSite)
	mux.HandleFunc("OPTIONS /v1/events", s.collectPreflight)
	mux.HandleFunc("POST /api/v1/events", s.authed(s.collectFromServer))

	mux.HandleFunc("GET /api/v1/customers", s.authed(s.listCustomers))
	mux.HandleFunc("GET /api/v1/customers/{id}", s.authed(s.getCustomer))
	mux.HandleFunc("GET /api/v1/visitors", s.authed(s.listVisitors))
	mux.HandleFunc("GET /api/v1/visitors/{id}", s.authed(s.getVisitor))
	mux.HandleFunc("GET /api/v1/sessions", s.authed(s.listSessions))
	mux.HandleFunc("GET /api/v1/sessions/{id}", s.authed(s.getSession))
	mux.HandleFunc("GET /api/v1/sessions/{id}/events", s.authed(s.listEvents))
	mux.HandleFunc("GET /api/v1/sessions/{id}/predictions", s.authed(s.sessionPredictions))
	mux.HandleFunc("GET /api/v1/outcomes/{id}/model", s.authed(s.outcomeModel))

	mux.HandleFunc("GET /v1/consent", s.getVisitorConsent)
	mux.HandleFunc("POST /v1/consent", s.postVisitorConsent)
	mux.HandleFunc("OPTIONS /v1/consent", s.consentPreflight)
	mux.HandleFunc("GET /v1/consent/receipt", s.getReceipt)
	mux.HandleFunc("GET /.well-known/presage/{org}/jwks.json", s.getJWKS)

	mux.HandleFunc("GET /api/v1/purposes", s.authed(s.listPurposes))
	mux.HandleFunc("PUT /api/v1/purposes", s.authed(s.putPurposes))
	mux.HandleFunc("GET /api/v1/consent/settings", s.authed(s.getConsentSettings))
	mux.HandleFunc("PATCH /api/v1/consent/settings", s.authed(s.patchConsentSettings))
	mux.HandleFunc("GET /api/v1/consent/verify", s.authed(s.verifyLedger))
	mux.HandleFunc("GET /api/v1/notices", s.authed(s.listNotices))
	mux.HandleFunc("POST /api/v1/notices", s.authed(s.publishNotice))
	mux.HandleFunc("GET /api/v1/notices/{version}", s.authed(s.getNotice))
	mux.HandleFunc("GET /api/v1/consents/{subject}", s.authed(s.consentHistory))
	mux.HandleFunc("POST /api/v1/consents", s.authed(s.recordConsent))

	mux.HandleFunc("GET /api/v1/outcomes", s.authed(s.listOutcomes))
	mux.HandleFunc("POST /api/v1/outcomes", s.authed(s.createOutcome))
	mux.HandleFunc("GET /api/v1/outcomes/{id}", s.authed(s.getOutcome))
	mux.HandleFunc("PUT /api/v1/outcomes/{id}", s.authed(s.putOutcome))
	mux.HandleFunc("DELETE /api/v1/outcomes/{id}", s.authed(s.deleteOutcome))
	mux.HandleFunc("GET /api/v1/achievements", s.authed(s.listAchievements))
	mux.HandleFunc("GET /api/v1/sessions/{id}/achievements", s.authed(s.sessionAchievements))
	mux.HandleFunc("GET /api/v1/customers/{id}/achievements", s.authed(s.customerAchievements))

	mux.HandleFunc("GET /api/v1/organization", s.authed(s.getOrganization))
	mux.HandleFunc("PATCH /api/v1/organization", s.authed(s.patchOrganization))
	mux.HandleFunc("GET /api/v1/keys", s.authed(s.listKeys))
	mux.HandleFunc("POST /api/v1/keys", s.authed(s.createKey))
	mux.HandleFunc("DELETE /api/v1/keys/{id}", s.authed(s.revokeKey))

	if s.Tracker != nil {
		mux.Handle("GET /sdk.js", s.Tracker)
	}
	if s.Demo != nil {
		mux.Handle("GET /demo/", http.StripPrefix("/demo", s.Demo))
		mux.Handle("GET /{$}", http.RedirectHandler("/demo/", http.StatusFound))
	}
	// Everything else under /api is a JSON 404, not the mux's text page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, presage.Errorf(presage.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}
