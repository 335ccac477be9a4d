package httpapi

import (
	"encoding/json"
	"maps"

	"github.com/presage-dev/presage/internal/privacy"
)

// The v1 shapes of data subject requests (docs/api.md#data-subject-requests).

type termView struct {
	Type  privacy.SearchType `json:"type"`
	Value string             `json:"value"`
}

type replacementView struct {
	Type          privacy.SearchType `json:"type"`
	ExistingValue string             `json:"existingValue"`
	UpdatedValue  string             `json:"updatedValue"`
}

type matchView struct {
	CustomerID *string        `json:"customerId"`
	VisitorIDs []string       `json:"visitorIds"`
	Counts     privacy.Counts `json:"counts"`
}

func matchOf(m privacy.Match) matchView {
	v := matchView{VisitorIDs: m.VisitorIDs, Counts: m.Counts}
	if m.CustomerID != "" {
		v.CustomerID = &m.CustomerID
	}
	if v.VisitorIDs == nil {
		v.VisitorIDs = []string{}
	}
	if v.Counts == nil {
		v.Counts = privacy.Counts{}
	}
	return v
}

type progressView struct {
	Step        string         `json:"step"`
	Percent     int            `json:"percent"`
	CustomerIDs []string       `json:"customerIds"`
	VisitorIDs  []string       `json:"visitorIds"`
	Counts      privacy.Counts `json:"counts"`
	Done        privacy.Counts `json:"done"`
}

type resultView struct {
	NothingHeld     bool           `json:"nothingHeld"`
	Counts          privacy.Counts `json:"counts"`
	ExportID        string         `json:"exportId,omitempty"`
	ExportExpiresAt *apiTime       `json:"exportExpiresAt,omitempty"`
}

type auditView struct {
	Seq    int64           `json:"seq"`
	At     apiTime         `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target,omitempty"`
	Detail json.RawMessage `json:"detail"`
}

func auditOf(e privacy.AuditEntry) auditView {
	detail := e.Detail
	if len(detail) == 0 {
		detail = json.RawMessage("{}")
	}
	return auditView{Seq: e.Seq, At: apiTime(e.At), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: detail}
}

type requestView struct {
	ID      string              `json:"id"`
	Type    privacy.RequestType `json:"type"`
	Status  privacy.Status      `json:"status"`
	Subject struct {
		Terms []termView `json:"terms"`
	} `json:"subject"`
	ReplacementTerms []replacementView `json:"replacementTerms"`
	RequestedBy      string            `json:"requestedBy"`
	ReceivedAt       apiTime           `json:"receivedAt"`
	DueAt            apiTime           `json:"dueAt"`
	ExtensionReason  string            `json:"extensionReason,omitempty"`
	Progress         progressView      `json:"progress"`
	Result           *resultView       `json:"result"`
	// ResultsURL is the signed, expiring download of a completed export.
	ResultsURL  string  `json:"resultsUrl,omitempty"`
	Error       string  `json:"error,omitempty"`
	Attempts    int     `json:"attempts"`
	Scrubbed    bool    `json:"scrubbed"`
	UpdatedAt   apiTime `json:"updatedAt"`
	CompletedAt apiTime `json:"completedAt"`
	// Audit is the request's trail, only on GET /api/v1/gdpr/requests/{id}.
	Audit []auditView `json:"audit,omitempty"`
}

// requestOf renders r; resultsURL is the absolute signed export URL or "".
func requestOf(r privacy.Request, resultsURL string) requestView {
	v := requestView{ID: r.ID, Type: r.Type, Status: r.Status, RequestedBy: r.RequestedBy,
		ReceivedAt: apiTime(r.ReceivedAt), DueAt: apiTime(r.DueAt), ExtensionReason: r.ExtensionReason,
		ResultsURL: resultsURL, Error: r.Error, Attempts: r.Attempts, Scrubbed: r.Scrubbed,
		UpdatedAt: apiTime(r.UpdatedAt), CompletedAt: apiTime(r.CompletedAt)}
	v.Subject.Terms = make([]termView, 0, len(r.Terms))
	for _, t := range r.Terms {
		v.Subject.Terms = append(v.Subject.Terms, termView{Type: t.Type, Value: t.Value})
	}
	v.ReplacementTerms = make([]replacementView, 0, len(r.Replacements))
	for _, rp := range r.Replacements {
		v.ReplacementTerms = append(v.ReplacementTerms, replacementView{Type: rp.Type, ExistingValue: rp.Existing, UpdatedValue: rp.Updated})
	}
	p := r.Progress
	v.Progress = progressView{Step: p.Step, Percent: p.Percent, CustomerIDs: nonNil(p.CustomerIDs), VisitorIDs: nonNil(p.VisitorIDs),
		Counts: countsOrEmpty(p.Counts), Done: countsOrEmpty(p.Done)}
	if res := r.Result; res != nil {
		v.Result = &resultView{NothingHeld: res.NothingHeld, Counts: countsOrEmpty(res.Counts), ExportID: res.ExportID}
		if res.ExpiresAt != nil {
			at := apiTime(*res.ExpiresAt)
			v.Result.ExportExpiresAt = &at
		}
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func countsOrEmpty(c privacy.Counts) privacy.Counts {
	if c == nil {
		return privacy.Counts{}
	}
	return maps.Clone(c)
}

type retentionView struct {
	SessionsDays  int `json:"sessionsDays"`
	VisitorsDays  int `json:"visitorsDays"`
	CustomersDays int `json:"customersDays"`
	ExportsDays   int `json:"exportsDays"`
}

type privacySettingsView struct {
	Retention retentionView `json:"retention"`
	UpdatedAt apiTime       `json:"updatedAt"`
}

func privacySettingsOf(s privacy.Settings) privacySettingsView {
	r := s.Retention
	return privacySettingsView{Retention: retentionView{SessionsDays: r.SessionsDays, VisitorsDays: r.VisitorsDays,
		CustomersDays: r.CustomersDays, ExportsDays: r.ExportsDays}, UpdatedAt: apiTime(s.UpdatedAt)}
}
