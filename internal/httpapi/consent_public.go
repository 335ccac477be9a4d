package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
)

// maxConsentBody bounds a visitor's decision (the artefact alone may be 8 KiB).
const maxConsentBody = 16 << 10

// asSite authenticates a tracker request by its site key and Origin and
// returns its context carrying the site. A GET without Origin (same-origin
// reads) is allowed: it reads only public notice text or the state of an
// unguessable visitor id; writes need it.
func (s *Server) asSite(r *http.Request, siteKey string, originRequired bool) (context.Context, error) {
	org, err := s.Tenants.AuthenticateSite(r.Context(), siteKey, r.Header.Get("Origin"), originRequired)
	if err != nil {
		return nil, err
	}
	return presage.WithSite(r.Context(), org), nil
}

func requestSignals(r *http.Request) presage.PrivacySignals {
	return presage.PrivacySignals{GPC: r.Header.Get("Sec-GPC") == "1", DNT: r.Header.Get("DNT") == "1"}
}

func (s *Server) consentPreflight(w http.ResponseWriter, r *http.Request) { s.collectPreflight(w, r) }

func (s *Server) getVisitorConsent(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	q := r.URL.Query()
	ctx, err := s.asSite(r, q.Get("siteKey"), false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lang := q.Get("lang")
	if lang == "" {
		lang, _, _ = strings.Cut(r.Header.Get("Accept-Language"), ",")
	}
	v, err := s.Consents.View(ctx, q.Get("visitorId"), strings.TrimSpace(lang))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, visitorConsentOf(v))
}

// decisionBody is a visitor's decision as the tracker posts it.
type decisionBody struct {
	SiteKey   string          `json:"siteKey"`
	VisitorID string          `json:"visitorId"`
	Action    consent.Action  `json:"action"`
	Purposes  []string        `json:"purposes"`
	Notice    int             `json:"notice"`
	Method    consent.Method  `json:"method"`
	Artefact  json.RawMessage `json:"artefact"`
	Signals   *struct {
		GPC bool `json:"gpc"`
		DNT bool `json:"dnt"`
	} `json:"signals"`
}

func (d decisionBody) input(r *http.Request) consent.DecisionInput {
	sig := requestSignals(r)
	if d.Signals != nil {
		// The page reads navigator.globalPrivacyControl; either source counts.
		sig.GPC = sig.GPC || d.Signals.GPC
		sig.DNT = sig.DNT || d.Signals.DNT
	}
	return consent.DecisionInput{VisitorID: d.VisitorID, Action: d.Action, Purposes: d.Purposes,
		NoticeVersion: d.Notice, Method: d.Method, Artefact: d.Artefact, Signals: sig, UserAgent: r.UserAgent()}
}

type decisionView struct {
	Record string               `json:"record"`
	Seq    int64                `json:"seq"`
	States map[string]stateView `json:"states"`
}

func (s *Server) postVisitorConsent(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	var body decisionBody
	if err := decodeJSONLimit(w, r, &body, maxConsentBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, err := s.asSite(r, body.SiteKey, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in := body.input(r)
	in.IPPrefix = collect.TruncateIP(s.clientIP(r)).String()
	rec, states, err := s.Consents.Decide(ctx, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, decisionView{Record: rec.ID, Seq: rec.Seq, States: statesOf(states)})
}

func (s *Server) getReceipt(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	q := r.URL.Query()
	ctx, err := s.asSite(r, q.Get("siteKey"), false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	jws, err := s.Consents.Receipt(ctx, q.Get("visitorId"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(jws))
}

func (s *Server) getJWKS(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	// Only a real organization gets a key: an unknown id must not create one.
	org, err := s.Tenants.PublicOrganization(r.Context(), r.PathValue("org"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	jwks, err := s.Consents.JWKS(r.Context(), org.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(jwks)
}
