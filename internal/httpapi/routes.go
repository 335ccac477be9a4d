package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/presage-dev/presage/internal/presage"
)

// routes registers the public routes on mux and mounts the authenticated
// API tree once, under /api/v1/, behind authenticate.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))

	// What a site's pages call: authenticated by the site key and Origin.
	mux.HandleFunc("POST /v1/events", s.collectFromSite)
	mux.HandleFunc("OPTIONS /v1/events", s.collectPreflight)
	mux.HandleFunc("GET /v1/consent", s.getVisitorConsent)
	mux.HandleFunc("POST /v1/consent", s.postVisitorConsent)
	mux.HandleFunc("OPTIONS /v1/consent", s.consentPreflight)
	mux.HandleFunc("GET /v1/consent/receipt", s.getReceipt)
	mux.HandleFunc("GET /.well-known/presage/{org}/jwks.json", s.getJWKS)

	// A signed, expiring export download: the signature is the credential.
	mux.HandleFunc("GET /gdpr/exports/{id}", s.signedExport)

	mux.Handle("/api/v1/", s.authenticate(s.apiRoutes()))
	// Genesys Cloud's GDPR API, for clients written against it.
	mux.Handle("/api/v2/", s.authenticate(s.genesysRoutes()))

	if s.Tracker != nil {
		mux.Handle("GET /sdk.js", s.Tracker)
		mux.Handle("GET /sdk/{chunk}", s.Tracker) // plugin chunks the core loads
	}
	if s.Demo != nil {
		mux.Handle("GET /demo/", http.StripPrefix("/demo", s.Demo))
		mux.Handle("GET /{$}", http.RedirectHandler("/demo/", http.StatusFound))
	}
	// Everything else under /api is a JSON 404, not the mux's text page.
	mux.HandleFunc("/api/", s.noSuchEndpoint)
}

// apiRoutes is the server API: every caller holds a secret key, and the
// services check its scopes and organization.
func (s *Server) apiRoutes() *http.ServeMux {
	api := http.NewServeMux()
	api.HandleFunc("POST /api/v1/events", s.collectFromServer)

	api.HandleFunc("GET /api/v1/customers", s.listCustomers)
	api.HandleFunc("GET /api/v1/customers/{id}", s.getCustomer)
	api.HandleFunc("GET /api/v1/visitors", s.listVisitors)
	api.HandleFunc("GET /api/v1/visitors/{id}", s.getVisitor)
	api.HandleFunc("GET /api/v1/sessions", s.listSessions)
	api.HandleFunc("GET /api/v1/sessions/{id}", s.getSession)
	api.HandleFunc("GET /api/v1/sessions/{id}/events", s.listEvents)
	api.HandleFunc("GET /api/v1/sessions/{id}/predictions", s.sessionPredictions)
	api.HandleFunc("GET /api/v1/sessions/{id}/achievements", s.sessionAchievements)
	api.HandleFunc("GET /api/v1/customers/{id}/achievements", s.customerAchievements)

	api.HandleFunc("GET /api/v1/purposes", s.listPurposes)
	api.HandleFunc("PUT /api/v1/purposes", s.putPurposes)
	api.HandleFunc("GET /api/v1/consent/settings", s.getConsentSettings)
	api.HandleFunc("PATCH /api/v1/consent/settings", s.patchConsentSettings)
	api.HandleFunc("GET /api/v1/consent/verify", s.verifyLedger)
	api.HandleFunc("GET /api/v1/notices", s.listNotices)
	api.HandleFunc("POST /api/v1/notices", s.publishNotice)
	api.HandleFunc("GET /api/v1/notices/{version}", s.getNotice)
	api.HandleFunc("GET /api/v1/consents/{subject}", s.consentHistory)
	api.HandleFunc("POST /api/v1/consents", s.recordConsent)

	api.HandleFunc("GET /api/v1/outcomes", s.listOutcomes)
	api.HandleFunc("POST /api/v1/outcomes", s.createOutcome)
	api.HandleFunc("GET /api/v1/outcomes/{id}", s.getOutcome)
	api.HandleFunc("PUT /api/v1/outcomes/{id}", s.putOutcome)
	api.HandleFunc("DELETE /api/v1/outcomes/{id}", s.deleteOutcome)
	api.HandleFunc("GET /api/v1/outcomes/{id}/model", s.outcomeModel)
	api.HandleFunc("GET /api/v1/achievements", s.listAchievements)
	api.HandleFunc("GET /api/v1/features", s.getFeatures)
	api.HandleFunc("PUT /api/v1/features", s.putFeatures)

	api.HandleFunc("GET /api/v1/organization", s.getOrganization)
	api.HandleFunc("PATCH /api/v1/organization", s.patchOrganization)
	api.HandleFunc("GET /api/v1/keys", s.listKeys)
	api.HandleFunc("POST /api/v1/keys", s.createKey)
	api.HandleFunc("DELETE /api/v1/keys/{id}", s.revokeKey)

	api.HandleFunc("GET /api/v1/gdpr/subjects", s.searchSubjects)
	api.HandleFunc("POST /api/v1/gdpr/requests", s.createRequest)
	api.HandleFunc("GET /api/v1/gdpr/requests", s.listRequests)
	api.HandleFunc("GET /api/v1/gdpr/requests/{id}", s.getRequest)
	api.HandleFunc("POST /api/v1/gdpr/requests/{id}/extension", s.extendRequest)
	api.HandleFunc("GET /api/v1/gdpr/requests/{id}/export", s.downloadExport)
	api.HandleFunc("GET /api/v1/audit", s.getAudit)
	api.HandleFunc("GET /api/v1/privacy/settings", s.getPrivacySettings)
	api.HandleFunc("PUT /api/v1/privacy/settings", s.putPrivacySettings)

	api.HandleFunc("/api/v1/", s.noSuchEndpoint)
	return api
}

func (s *Server) noSuchEndpoint(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, presage.Errorf(presage.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
}
