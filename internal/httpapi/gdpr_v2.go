package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// The Genesys-compatible data subject API under /api/v2/gdpr/: the same
// privacy.Service as v1 in Genesys' vocabulary and shapes. It translates
// names only; every rule is the service's.

// genesysRoutes is the /api/v2/ tree, authenticated like /api/v1/.
func (s *Server) genesysRoutes() *http.ServeMux {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v2/gdpr/subjects", s.genesysSearchSubjects)
	api.HandleFunc("POST /api/v2/gdpr/requests", s.genesysCreateRequest)
	api.HandleFunc("GET /api/v2/gdpr/requests", s.genesysListRequests)
	api.HandleFunc("GET /api/v2/gdpr/requests/{requestId}", s.genesysGetRequest)
	api.HandleFunc("/api/v2/", s.noSuchEndpoint)
	return api
}

func (s *Server) genesysSearchSubjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t, ok := genesysSearchTypes[q.Get("searchType")]
	if !ok {
		s.writeError(w, r, presage.Invalid("searchType", -1, "searchType must be EMAIL, PHONE, NAME, ADDRESS or EXTERNAL_ID"))
		return
	}
	term := privacy.Term{Type: t, Value: q.Get("searchValue")}
	matches, err := s.Privacy.Search(r.Context(), term)
	if err != nil {
		s.writeError(w, r, renameFields(err, func(f string) string { return mapField(genesysSearchFields, f) }))
		return
	}
	out := genesysListing[genesysSubject]{Entities: make([]genesysSubject, 0, len(matches)), PageSize: len(matches),
		PageNumber: 1, Total: len(matches), PageCount: 1}
	for _, m := range matches {
		// The subject carries the searched value and the match's first
		// device, so that it can be posted back as a request's subject.
		sub := genesysSubjectOf([]privacy.Term{term})
		if len(m.VisitorIDs) > 0 {
			sub.JourneyCustomer = &genesysJourneyCustomer{Type: journeyCustomerCookie, ID: m.VisitorIDs[0]}
		}
		out.Entities = append(out.Entities, sub)
	}
	writeJSON(w, http.StatusOK, out)
}

// genesysSearchFields names the query parameters a search's fields came from.
var genesysSearchFields = map[string]string{"type": "searchType", "value": "searchValue"}

// genesysRequestBody is a GDPRRequest as a Genesys client posts it. The
// SDK's model declares createdBy, createdDate and status required, so typed
// clients send them: they are accepted and ignored, like Genesys does.
type genesysRequestBody struct {
	RequestType      string                   `json:"requestType"`
	Subject          *genesysSubject          `json:"subject"`
	ReplacementTerms []genesysReplacementTerm `json:"replacementTerms"`

	ID          json.RawMessage `json:"id"`
	Name        json.RawMessage `json:"name"`
	CreatedBy   json.RawMessage `json:"createdBy"`
	CreatedDate json.RawMessage `json:"createdDate"`
	Status      json.RawMessage `json:"status"`
	ResultsURL  json.RawMessage `json:"resultsUrl"`
	ResultsURLs json.RawMessage `json:"resultsUrls"`
	SelfURI     json.RawMessage `json:"selfUri"`
}

// terms lists the subject's terms with the field each came from, or
// refuses a field naming data Presage does not hold.
func (g genesysSubject) terms() (*termsBuilder, error) {
	tb := &termsBuilder{}
	for _, f := range []struct {
		name string
		set  bool
	}{{"userId", g.UserID != ""}, {"externalContactId", g.ExternalContactID != ""},
		{"dialerContactId", len(g.DialerContactID) > 0 && string(g.DialerContactID) != "null"},
		{"socialHandle", len(g.SocialHandle) > 0 && string(g.SocialHandle) != "null"}} {
		if f.set {
			return nil, presage.Invalid("/subject/"+f.name, -1,
				"subject.%s names Genesys data Presage does not hold; identify the subject by emailAddresses, phoneNumbers, name, addresses, externalId or journeyCustomer", f.name)
		}
	}
	if g.Name != "" {
		tb.add("/subject/name", privacy.SearchName, g.Name)
	}
	for _, list := range []struct {
		field  string
		t      privacy.SearchType
		values []string
	}{{"emailAddresses", privacy.SearchEmail, g.EmailAddresses}, {"phoneNumbers", privacy.SearchPhone, g.PhoneNumbers},
		{"addresses", privacy.SearchAddress, g.Addresses}} {
		for i, v := range list.values {
			tb.add(fmt.Sprintf("/subject/%s/%d", list.field, i), list.t, v)
		}
	}
	if g.ExternalID != "" {
		tb.add("/subject/externalId", privacy.SearchExternalID, g.ExternalID)
	}
	if jc := g.JourneyCustomer; jc != nil {
		if !strings.EqualFold(jc.Type, journeyCustomerCookie) {
			return nil, presage.Invalid("/subject/journeyCustomer/type", -1,
				"subject.journeyCustomer.type must be %q: Presage knows a journey customer by its visitor-id cookie", journeyCustomerCookie)
		}
		tb.add("/subject/journeyCustomer/id", privacy.SearchVisitorID, jc.ID)
	}
	return tb, nil
}

func (s *Server) genesysCreateRequest(w http.ResponseWriter, r *http.Request) {
	var body genesysRequestBody
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	confirm, err := boolParam(r.URL.Query(), "deleteConfirmed")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, ok := genesysRequestTypes[body.RequestType]
	if !ok {
		s.writeError(w, r, presage.Invalid("/requestType", -1, "requestType must be GDPR_EXPORT, GDPR_UPDATE or GDPR_DELETE"))
		return
	}
	tb := &termsBuilder{}
	if body.Subject != nil {
		if tb, err = body.Subject.terms(); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	in := privacy.RequestInput{Type: t, Terms: tb.terms, Confirm: confirm}
	for _, rt := range body.ReplacementTerms {
		// Genesys' types are Presage's, upper-cased; anything else is left
		// for the service to refuse by name.
		in.Replacements = append(in.Replacements, privacy.Replacement{Type: privacy.SearchType(strings.ToLower(rt.Type)),
			Existing: rt.ExistingValue, Updated: rt.UpdatedValue})
	}
	fields := requestFields{terms: tb, other: map[string]string{"confirm": "deleteConfirmed", "/type": "/requestType"}}
	req, err := s.Privacy.CreateRequest(r.Context(), in)
	if err != nil {
		s.writeError(w, r, renameFields(err, fields.rename))
		return
	}
	w.Header().Set("Location", "/api/v2/gdpr/requests/"+req.ID)
	writeJSON(w, http.StatusAccepted, genesysRequestOf(req, s.resultsURL(r, req)))
}

func (s *Server) genesysGetRequest(w http.ResponseWriter, r *http.Request) {
	req, err := s.Privacy.Request(r.Context(), r.PathValue("requestId"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, genesysRequestOf(req, s.resultsURL(r, req)))
}

// genesysDefaultPageSize is Genesys' default page size.
const genesysDefaultPageSize = 25

func (s *Server) genesysListRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := intParam(q, "pageSize", genesysDefaultPageSize)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	number, err := intParam(q, "pageNumber", 1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reqs, total, err := s.Privacy.Requests(r.Context(), size, number)
	if err != nil {
		s.writeError(w, r, err) // the service names pageSize and pageNumber, Genesys' own parameters
		return
	}
	out := genesysListing[genesysRequest]{Entities: make([]genesysRequest, 0, len(reqs)), PageSize: size,
		PageNumber: number, Total: total}
	if size > 0 {
		out.PageCount = (total + size - 1) / size
	}
	for _, req := range reqs {
		out.Entities = append(out.Entities, genesysRequestOf(req, s.resultsURL(r, req)))
	}
	page := func(n int) string {
		return "/api/v2/gdpr/requests?pageSize=" + strconv.Itoa(size) + "&pageNumber=" + strconv.Itoa(n)
	}
	out.SelfURI, out.FirstURI, out.LastURI = page(number), page(1), page(max(out.PageCount, 1))
	if number < out.PageCount {
		out.NextURI = page(number + 1)
	}
	if number > 1 {
		out.PreviousURI = page(min(number-1, max(out.PageCount, 1)))
	}
	writeJSON(w, http.StatusOK, out)
}
