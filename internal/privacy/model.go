package privacy

import (
	"encoding/json"
	"time"
)

// SearchType names what a subject search compares.
type SearchType string

const (
	SearchEmail      SearchType = "email"
	SearchPhone      SearchType = "phone"
	SearchName       SearchType = "name"
	SearchAddress    SearchType = "address"
	SearchExternalID SearchType = "external_id" // the customerId trait given to identify
	SearchCustomerID SearchType = "customer_id" // Presage's customer id (cus_…)
	SearchVisitorID  SearchType = "visitor_id"  // the visitor-id cookie, for visitors who never identified
)

// SearchTypes lists every search type.
var SearchTypes = []SearchType{SearchEmail, SearchPhone, SearchName, SearchAddress, SearchExternalID,
	SearchCustomerID, SearchVisitorID}

// Term is one value identifying a subject.
type Term struct {
	Type  SearchType `json:"type"`
	Value string     `json:"value"`
}

// Subject is the person a request is about, resolved to the rows that are
// theirs: the customers the terms matched, every visitor (device) of those
// customers, and the visitors matched directly.
type Subject struct {
	OrgID       string
	CustomerIDs []string
	VisitorIDs  []string
}

// Empty reports whether the subject matched nothing.
func (s Subject) Empty() bool { return len(s.CustomerIDs) == 0 && len(s.VisitorIDs) == 0 }

// Counts says how many rows of each kind a holder keeps about a subject
// (or removed), keyed by kind: "events", "sessions", "consentRecords", …
type Counts map[string]int64

// Add adds other into c.
func (c Counts) Add(other Counts) {
	for k, v := range other {
		c[k] += v
	}
}

// Replacement is one rectification: every occurrence of Existing, of the
// given type, becomes Updated.
type Replacement struct {
	Type     SearchType `json:"type"`
	Existing string     `json:"existingValue"`
	Updated  string     `json:"updatedValue"`
}

// RequestType is what a data subject asked for.
type RequestType string

const (
	RequestExport  RequestType = "export"  // Art. 15 access, Art. 20 portability
	RequestRectify RequestType = "rectify" // Art. 16
	RequestErase   RequestType = "erase"   // Art. 17
)

// Status is where a request is. The names are Genesys' (lower-cased).
type Status string

const (
	StatusInitiated  Status = "initiated"
	StatusSearching  Status = "searching"
	StatusUpdating   Status = "updating"
	StatusDeleting   Status = "deleting"
	StatusFinalizing Status = "finalizing"
	StatusCompleted  Status = "completed"
	StatusError      Status = "error"
)

// Terminal reports whether no more work is done for a request in s.
func (s Status) Terminal() bool { return s == StatusCompleted || s == StatusError }

// Request is one data subject request and its job state.
type Request struct {
	OrgID string
	ID    string // "dsr_…"
	Type  RequestType
	// Terms identify the subject as the requester gave them; Replacements
	// are a rectify request's changes. Both are personal data: an erasure
	// scrubs them from every request about the subject once it completes.
	Terms        []Term
	Replacements []Replacement
	Status       Status
	RequestedBy  string    // key id of the secret key that asked, or "cli"
	ReceivedAt   time.Time // legal clock starts here
	DueAt        time.Time // ReceivedAt + 1 month, or the extended date
	// ExtensionReason is set when the due date was extended (Art. 12(3)).
	ExtensionReason string
	// Progress is the job's checkpoint: the step done last and what it
	// counted, so a job resumed after a crash continues where it stopped.
	Progress Progress
	// Result is set when the request completed.
	Result      *Result
	Error       string // last failure, kept while retrying
	Attempts    int
	NextRunAt   time.Time // not claimed before this (backoff after a failure)
	LeaseHolder string
	LeaseUntil  time.Time
	UpdatedAt   time.Time
	CompletedAt time.Time
	// Scrubbed is set once an erasure removed the subject's terms from this
	// request: it still proves the request was served, without naming whom.
	Scrubbed bool
}

// Progress is a request's checkpoint.
type Progress struct {
	Step        string   `json:"step"` // the last step completed
	CustomerIDs []string `json:"customerIds,omitempty"`
	VisitorIDs  []string `json:"visitorIds,omitempty"`
	Counts      Counts   `json:"counts,omitempty"` // what the search found, per kind
	Done        Counts   `json:"done,omitempty"`   // what was changed or removed so far
	Percent     int      `json:"percent"`          // 0–100
}

// Result is a completed request's outcome.
type Result struct {
	NothingHeld bool       `json:"nothingHeld"` // the subject matched nothing
	Counts      Counts     `json:"counts"`      // what was exported, changed or removed
	ExportID    string     `json:"exportId,omitempty"`
	ExpiresAt   *time.Time `json:"exportExpiresAt,omitempty"`
}

// Export is a stored export bundle, encrypted with a data key of its own
// (subject "request:<id>") and deleted when it expires.
type Export struct {
	OrgID     string
	RequestID string
	Content   string // sealed JSON bundle
	Size      int64  // bytes of the JSON bundle
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEntry is one line of an organization's append-only audit log. It
// never holds a personal value: requests are named by id, searches by type.
type AuditEntry struct {
	OrgID  string
	Seq    int64 // assigned by the store, increasing per organization
	At     time.Time
	Actor  string // key id, "cli", "system"
	Action string // "gdpr.search", "gdpr.request.created", "retention.purge", …
	Target string // request id, "" when none
	Detail json.RawMessage
}

// Tombstone marks one identifier of an erased subject: the collector drops
// events that carry it. Hash is a keyed hash (Keyed), never the value.
type Tombstone struct {
	OrgID     string
	Kind      string // "visitor", "customer", "email", "phone", "external_id"
	Hash      string
	CreatedAt time.Time
}

// Settings are an organization's privacy settings.
type Settings struct {
	OrgID     string
	Retention Retention
	UpdatedAt time.Time
}

// Retention bounds how long personal data is kept, in days (0: forever).
type Retention struct {
	SessionsDays  int `json:"sessionsDays"`  // sessions, their events, predictions and achievements
	VisitorsDays  int `json:"visitorsDays"`  // visitors not seen for this long
	CustomersDays int `json:"customersDays"` // customers without visitors, not updated for this long
	ExportsDays   int `json:"exportsDays"`   // export bundles
}

// DefaultRetention is the retention of a new organization: thirteen months
// of journeys (the CNIL's guidance for audience measurement), two years for
// customers, seven days for exports.
var DefaultRetention = Retention{SessionsDays: 395, VisitorsDays: 395, CustomersDays: 730, ExportsDays: 7}
