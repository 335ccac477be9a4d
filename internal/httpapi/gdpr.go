package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// The Presage v1 data subject API (scope gdpr, checked by privacy.Service).

func (s *Server) searchSubjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	matches, err := s.Privacy.Search(r.Context(), privacy.Term{Type: privacy.SearchType(q.Get("type")), Value: q.Get("value")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listView[matchView]{Data: make([]matchView, 0, len(matches))}
	for _, m := range matches {
		out.Data = append(out.Data, matchOf(m))
	}
	writeJSON(w, http.StatusOK, out)
}

// subjectBody is a v1 subject: a list of terms, or the short form with one
// field a type (both may be combined).
type subjectBody struct {
	Terms      []termView `json:"terms"`
	Email      string     `json:"email"`
	Phone      string     `json:"phone"`
	Name       string     `json:"name"`
	Address    string     `json:"address"`
	ExternalID string     `json:"externalId"`
	CustomerID string     `json:"customerId"`
	VisitorID  string     `json:"visitorId"`
}

// terms lists the subject's terms with the field each came from. The short
// form's empty fields are left out: they are not given.
func (b subjectBody) terms() *termsBuilder {
	tb := &termsBuilder{}
	for i, t := range b.Terms {
		tb.addTerm("/subject/terms/"+strconv.Itoa(i), privacy.Term{Type: t.Type, Value: t.Value})
	}
	for _, f := range []struct {
		field string
		t     privacy.SearchType
		value string
	}{{"email", privacy.SearchEmail, b.Email}, {"phone", privacy.SearchPhone, b.Phone}, {"name", privacy.SearchName, b.Name},
		{"address", privacy.SearchAddress, b.Address}, {"externalId", privacy.SearchExternalID, b.ExternalID},
		{"customerId", privacy.SearchCustomerID, b.CustomerID}, {"visitorId", privacy.SearchVisitorID, b.VisitorID}} {
		if f.value != "" {
			tb.add("/subject/"+f.field, f.t, f.value)
		}
	}
	return tb
}

type requestBody struct {
	Type             privacy.RequestType `json:"type"`
	Subject          subjectBody         `json:"subject"`
	ReplacementTerms []replacementView   `json:"replacementTerms"`
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) {
	var body requestBody
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	confirm, err := boolParam(r.URL.Query(), "confirm")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tb := body.Subject.terms()
	in := privacy.RequestInput{Type: body.Type, Terms: tb.terms, Confirm: confirm}
	for _, rp := range body.ReplacementTerms {
		in.Replacements = append(in.Replacements, privacy.Replacement{Type: rp.Type, Existing: rp.ExistingValue, Updated: rp.UpdatedValue})
	}
	req, err := s.Privacy.CreateRequest(r.Context(), in)
	if err != nil {
		s.writeError(w, r, renameFields(err, requestFields{terms: tb}.rename))
		return
	}
	w.Header().Set("Location", "/api/v1/gdpr/requests/"+req.ID)
	writeJSON(w, http.StatusAccepted, requestOf(req, s.resultsURL(r, req)))
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q, "limit", defaultLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := intParam(q, "page", 1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reqs, total, err := s.Privacy.Requests(r.Context(), limit, page)
	if err != nil {
		s.writeError(w, r, renameFields(err, func(f string) string { return mapField(pageFields, f) }))
		return
	}
	out := struct {
		listView[requestView]
		Limit int `json:"limit"`
		Page  int `json:"page"`
		Total int `json:"total"`
	}{listView[requestView]{Data: make([]requestView, 0, len(reqs))}, limit, page, total}
	for _, req := range reqs {
		out.Data = append(out.Data, requestOf(req, s.resultsURL(r, req)))
	}
	writeJSON(w, http.StatusOK, out)
}

// pageFields names the v1 paging parameters the service's page size and
// number came from.
var pageFields = map[string]string{"pageSize": "limit", "pageNumber": "page"}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) {
	req, err := s.Privacy.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	trail, err := s.Privacy.RequestAudit(r.Context(), req.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	view := requestOf(req, s.resultsURL(r, req))
	view.Audit = make([]auditView, 0, len(trail))
	for _, e := range trail {
		view.Audit = append(view.Audit, auditOf(e))
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) extendRequest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Until  string `json:"until"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	until, err := time.Parse(time.RFC3339, in.Until)
	if err != nil {
		s.writeError(w, r, presage.Invalid("/until", -1, "until must be an RFC 3339 date-time, e.g. 2027-02-15T23:59:59Z"))
		return
	}
	req, err := s.Privacy.Extend(r.Context(), r.PathValue("id"), until, in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, requestOf(req, s.resultsURL(r, req)))
}
