package tracker

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The fake collector's consent endpoints, per docs/consent.md. The
// organization declares analytics, marketing and sales (consent) and support
// (legitimate interest); notices 1 to 3 exist, 3 is the latest and describes
// every purpose but sales.

const noticeVersion = 3

var purposes = map[string]string{"analytics": "consent", "marketing": "consent", "support": "legitimate_interest", "sales": "consent"}

// described are the purposes the notice has a text for (sales has none, so it
// cannot be granted and the banner must not ask for it).
var described = map[string]bool{"analytics": true, "marketing": true, "support": true}

// consentReq is one request to a /v1/consent endpoint.
type consentReq struct {
	Method string
	Path   string
	Query  url.Values
	Cookie string // the Cookie header: must be empty (credentials 'omit')
	Body   consentBody
}

type consentBody struct {
	SiteKey   string                     `json:"siteKey"`
	VisitorID string                     `json:"visitorId"`
	Action    string                     `json:"action"`
	Purposes  []string                   `json:"purposes"`
	Notice    int                        `json:"notice"`
	Method    string                     `json:"method"`
	Artefact  map[string]json.RawMessage `json:"artefact"`
	Signals   *struct {
		GPC *bool `json:"gpc"`
		DNT *bool `json:"dnt"`
	} `json:"signals"`
}

const consentInfoJSON = `{
  "purposes": [
    {"name": "analytics", "basis": "consent", "description": "Journey analytics"},
    {"name": "support", "basis": "legitimate_interest", "description": "Help when you ask for it"},
    {"name": "marketing", "basis": "consent", "description": "Offers"},
    {"name": "sales", "basis": "consent", "description": "Sales offers (no text in this notice)"}
  ],
  "notice": {"version": 3, "language": "en", "title": "Your privacy choices",
    "texts": {"analytics": "We record the pages you visit on this site to improve it.",
      "support": "We keep your support requests to answer them.",
      "marketing": "We show you offers based on what you looked at."},
    "sha256": "0000000000000000000000000000000000000000000000000000000000000000"},
  "needsDecision": true
}`

func (c *fakeCollector) note(r *http.Request, b consentBody) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.consents = append(c.consents, consentReq{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Cookie: r.Header.Get("Cookie"), Body: b})
	if r.Header.Get("Cookie") != "" {
		c.invalid = append(c.invalid, r.Method+" "+r.URL.Path+" sent with cookies: "+r.Header.Get("Cookie"))
	}
}

func (c *fakeCollector) fail(format string, args ...any) {
	c.mu.Lock()
	c.invalid = append(c.invalid, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func problem(w http.ResponseWriter, status int, typ, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"https://presage.dev/problems/%s","title":%q,"status":%d,"detail":%q}`, typ, typ, status, detail)
}

func (c *fakeCollector) consentInfo(w http.ResponseWriter, r *http.Request) {
	c.note(r, consentBody{})
	if r.URL.Query().Get("siteKey") == "" {
		c.fail("GET /v1/consent without siteKey")
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, consentInfoJSON)
}

// consentPost validates a decision like the server would and applies it.
func (c *fakeCollector) consentPost(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var b consentBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&b)
	switch {
	case err != nil:
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain"):
		err = fmt.Errorf("content type %q", r.Header.Get("Content-Type"))
	case b.SiteKey == "" || !clientID.MatchString(b.VisitorID):
		err = fmt.Errorf("siteKey/visitorId")
	case b.Action != "grant" && b.Action != "deny" && b.Action != "withdraw" && b.Action != "object":
		err = fmt.Errorf("/action %q", b.Action)
	case (b.Action == "grant" || b.Action == "deny") && (b.Notice < 1 || b.Notice > noticeVersion):
		err = fmt.Errorf("/notice %d", b.Notice)
	case b.Notice < 0 || b.Notice > noticeVersion:
		err = fmt.Errorf("/notice %d", b.Notice)
	case !slices.Contains([]string{"banner", "preferences", "consent_manager", "gpc"}, b.Method):
		err = fmt.Errorf("/method %q", b.Method)
	case b.Signals == nil || b.Signals.GPC == nil || b.Signals.DNT == nil:
		err = fmt.Errorf("/signals")
	case (b.Action == "grant" || b.Action == "deny") && len(b.Purposes) == 0:
		err = fmt.Errorf("/purposes: none")
	}
	for i, p := range b.Purposes {
		if err == nil && (purposes[p] == "" || b.Action == "grant" && !described[p] || b.Action == "object" && purposes[p] != "legitimate_interest") {
			err = fmt.Errorf("/purposes/%d: %q is not declared, or not described by the notice for a grant", i, p)
		}
	}
	c.note(r, b)
	if err != nil {
		c.fail("invalid POST /v1/consent: %v: %s", err, raw)
		problem(w, 400, "invalid", err.Error())
		return
	}
	c.mu.Lock()
	st := c.states[b.VisitorID]
	if st == nil {
		st = map[string]string{}
		c.states[b.VisitorID] = st
	}
	// As the server does (docs/consent.md): without purposes, withdraw
	// withdraws every consent purpose and objects to the others; object
	// objects to those on legitimate interest; refusing or withdrawing a
	// purpose on legitimate interest is an objection.
	ps := b.Purposes
	if len(ps) == 0 {
		for p, basis := range purposes {
			if b.Action == "withdraw" || basis != "consent" {
				ps = append(ps, p)
			}
		}
	}
	for _, p := range ps {
		st[p] = map[string]string{"grant": "granted", "deny": "denied", "withdraw": "withdrawn", "object": "objected"}[b.Action]
		if b.Action != "grant" && purposes[p] != "consent" {
			st[p] = "objected"
		}
	}
	view := map[string]map[string]string{}
	for p, d := range st {
		view[p] = map[string]string{"decision": d}
	}
	states, _ := json.Marshal(view)
	n := len(c.consents)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"record":"cr_%d","seq":%d,"states":%s}`, n, n, states)
}

func (c *fakeCollector) consentReceipt(w http.ResponseWriter, r *http.Request) {
	c.note(r, consentBody{})
	q := r.URL.Query()
	c.mu.Lock()
	st, ok := c.states[q.Get("visitorId")]
	payload, _ := json.Marshal(map[string]any{"sub": q.Get("visitorId"), "states": st})
	c.mu.Unlock()
	if q.Get("siteKey") == "" || !ok {
		problem(w, 404, "not_found", "no such subject")
		return
	}
	enc := base64.RawURLEncoding
	w.Header().Set("Content-Type", "application/jose")
	io.WriteString(w, enc.EncodeToString([]byte(`{"alg":"EdDSA","kid":"k1"}`))+"."+enc.EncodeToString(payload)+".c2ln")
}

// consentRequests returns the requests to /v1/consent endpoints of a method
// ("" for all) and path.
func (c *fakeCollector) consentRequests(method, path string) []consentReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []consentReq
	for _, r := range c.consents {
		if (method == "" || r.Method == method) && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// posts returns the decisions POSTed so far.
func (c *fakeCollector) posts() []consentBody {
	var out []consentBody
	for _, r := range c.consentRequests("POST", "/v1/consent") {
		out = append(out, r.Body)
	}
	return out
}

// revoke withdraws a visitor's analytics consent on the server side (another
// device, expiry): its next events are refused with 403 consent_required.
func (c *fakeCollector) revoke(visitorID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.states[visitorID]; st != nil {
		st["analytics"] = "withdrawn"
	}
}

// setEnforce makes the collector refuse events without an analytics grant.
func (c *fakeCollector) setEnforce(on bool) {
	c.mu.Lock()
	c.enforce = on
	c.mu.Unlock()
}
