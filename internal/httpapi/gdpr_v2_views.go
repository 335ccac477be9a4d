package httpapi

import (
	"encoding/json"
	"strings"

	"github.com/presage-dev/presage/internal/privacy"
)

// The shapes of Genesys Cloud's GDPR API (the purecloud-platform-client-v2
// models GDPRRequest, GDPRSubject, ReplacementTerm and their entity
// listings), so that a Genesys customer's automation works against Presage
// by changing only its base URL and token.

// genesysSearchTypes are Genesys' search types; Presage's own ids
// (CUSTOMER_ID, VISITOR_ID) are accepted too.
var genesysSearchTypes = map[string]privacy.SearchType{"EMAIL": privacy.SearchEmail, "PHONE": privacy.SearchPhone,
	"NAME": privacy.SearchName, "ADDRESS": privacy.SearchAddress, "EXTERNAL_ID": privacy.SearchExternalID,
	"CUSTOMER_ID": privacy.SearchCustomerID, "VISITOR_ID": privacy.SearchVisitorID}

var genesysRequestTypes = map[string]privacy.RequestType{"GDPR_EXPORT": privacy.RequestExport,
	"GDPR_UPDATE": privacy.RequestRectify, "GDPR_DELETE": privacy.RequestErase}

// genesysRequestType is the Genesys name of t.
func genesysRequestType(t privacy.RequestType) string {
	for name, rt := range genesysRequestTypes {
		if rt == t {
			return name
		}
	}
	return strings.ToUpper(string(t))
}

// journeyCustomerCookie is the only journey customer type Presage holds:
// the tracker's visitor-id cookie.
const journeyCustomerCookie = "cookie"

type genesysJourneyCustomer struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// genesysSubject is GDPRSubject. userId, externalContactId,
// dialerContactId and socialHandle name Genesys data Presage does not hold:
// they are decoded only to be refused by name.
type genesysSubject struct {
	Name              string                  `json:"name,omitempty"`
	UserID            string                  `json:"userId,omitempty"`
	ExternalContactID string                  `json:"externalContactId,omitempty"`
	DialerContactID   json.RawMessage         `json:"dialerContactId,omitempty"`
	JourneyCustomer   *genesysJourneyCustomer `json:"journeyCustomer,omitempty"`
	SocialHandle      json.RawMessage         `json:"socialHandle,omitempty"`
	ExternalID        string                  `json:"externalId,omitempty"`
	Addresses         []string                `json:"addresses,omitempty"`
	PhoneNumbers      []string                `json:"phoneNumbers,omitempty"`
	EmailAddresses    []string                `json:"emailAddresses,omitempty"`
}

// genesysSubjectOf renders terms as a subject, so a subject a search or a
// request answers can be posted back as it is.
func genesysSubjectOf(terms []privacy.Term) genesysSubject {
	var g genesysSubject
	for _, t := range terms {
		switch t.Type {
		case privacy.SearchEmail:
			g.EmailAddresses = append(g.EmailAddresses, t.Value)
		case privacy.SearchPhone:
			g.PhoneNumbers = append(g.PhoneNumbers, t.Value)
		case privacy.SearchAddress:
			g.Addresses = append(g.Addresses, t.Value)
		case privacy.SearchName:
			g.Name = t.Value
		case privacy.SearchExternalID:
			g.ExternalID = t.Value
		case privacy.SearchVisitorID:
			g.JourneyCustomer = &genesysJourneyCustomer{Type: journeyCustomerCookie, ID: t.Value}
		}
	}
	return g
}

type genesysReplacementTerm struct {
	Type          string `json:"type"`
	ExistingValue string `json:"existingValue"`
	UpdatedValue  string `json:"updatedValue"`
}

type genesysEntityRef struct {
	ID string `json:"id"`
}

// genesysRequest is GDPRRequest.
type genesysRequest struct {
	ID               string                   `json:"id"`
	CreatedBy        genesysEntityRef         `json:"createdBy"`
	ReplacementTerms []genesysReplacementTerm `json:"replacementTerms,omitempty"`
	RequestType      string                   `json:"requestType"`
	CreatedDate      apiTime                  `json:"createdDate"`
	Status           string                   `json:"status"`
	Subject          genesysSubject           `json:"subject"`
	ResultsURL       string                   `json:"resultsUrl,omitempty"`
	SelfURI          string                   `json:"selfUri"`
}

func genesysRequestOf(r privacy.Request, resultsURL string) genesysRequest {
	g := genesysRequest{ID: r.ID, CreatedBy: genesysEntityRef{ID: r.RequestedBy}, RequestType: genesysRequestType(r.Type),
		CreatedDate: apiTime(r.ReceivedAt), Status: strings.ToUpper(string(r.Status)), Subject: genesysSubjectOf(r.Terms),
		ResultsURL: resultsURL, SelfURI: "/api/v2/gdpr/requests/" + r.ID}
	for _, rp := range r.Replacements {
		g.ReplacementTerms = append(g.ReplacementTerms, genesysReplacementTerm{Type: strings.ToUpper(string(rp.Type)),
			ExistingValue: rp.Existing, UpdatedValue: rp.Updated})
	}
	return g
}

// genesysListing is the entity listing Genesys pages every list with.
type genesysListing[T any] struct {
	Entities    []T    `json:"entities"`
	PageSize    int    `json:"pageSize"`
	PageNumber  int    `json:"pageNumber"`
	Total       int    `json:"total"`
	PageCount   int    `json:"pageCount"`
	SelfURI     string `json:"selfUri,omitempty"`
	FirstURI    string `json:"firstUri,omitempty"`
	LastURI     string `json:"lastUri,omitempty"`
	NextURI     string `json:"nextUri,omitempty"`
	PreviousURI string `json:"previousUri,omitempty"`
}
