package journey

import (
	"context"
	"encoding/json"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// SubjectStore reads and changes a data subject's journey rows, for the
// journey's privacy holder and the retention purge. Every method is scoped
// to orgID and safe to repeat after a crash.
type SubjectStore interface {
	// CountSubject counts the rows of the customers and visitors, keyed
	// "customers", "identifiers", "lookups", "visitors", "sessions",
	// "events", "predictions", "achievements" (every key present). The
	// journey holder reports the journey's keys; predictions and
	// achievements are the prediction holder's to report.
	CountSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string) (map[string]int64, error)
	// EraseSubject deletes, in one transaction, up to batch (> 0) events of
	// the visitors, in seq order; once none is left, their sessions and
	// visitor rows, then the customers with their identifiers and lookups
	// (another visitor still pointing at an erased customer is unlinked).
	// It leaves predictions and achievements to the prediction holder,
	// which erases them by visitor. more reports that rows remain: call
	// again.
	EraseSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string, batch int) (out Erased, more bool, err error)
	// VisitorEvents returns up to limit events of the visitor with Seq
	// after afterSeq, in Seq order.
	VisitorEvents(ctx context.Context, orgID, visitorID string, afterSeq int64, limit int) ([]presage.Event, error)
	// UpdateEventTexts rewrites URL, Title, Referrer and Attributes of each
	// event, found by (OrgID, ID).
	UpdateEventTexts(ctx context.Context, orgID string, events []presage.Event) error
	// UpdateSessionTexts rewrites LandingURL and Referrer of each session.
	UpdateSessionTexts(ctx context.Context, orgID string, sessions []presage.Session) error
	// PutTraits replaces the customer's traits and moves its UpdatedAt to at
	// (never back); an unknown customer is presage.ErrNotFound.
	PutTraits(ctx context.Context, orgID, customerID string, traits json.RawMessage, at time.Time) error
	// ReplaceIndex moves the customer's identifier and lookup entries of
	// kind from oldHash to newHash; newHash "" removes them. An identifier
	// newHash already owned by another customer is left to that customer
	// (the old one is removed).
	ReplaceIndex(ctx context.Context, orgID, customerID, kind, oldHash, newHash string) error
	// IndexKinds says which kinds of identifier and lookup the customers
	// are indexed by, and how many entries of each, by (CustomerID, Table,
	// Kind). It never returns a hash: an export names what is held, and
	// the hashes would mean nothing to the subject.
	IndexKinds(ctx context.Context, orgID string, customerIDs []string) ([]IndexKind, error)
	// Purge deletes, in one transaction, up to batch (> 0) sessions whose
	// last event is before c.SessionsBefore with their events, predictions
	// and achievements; then up to batch visitors last seen before
	// c.VisitorsBefore that have no session left; then up to batch
	// customers updated before c.CustomersBefore that have no visitor left,
	// with their identifiers and lookups. A step that filled its batch ends
	// the call (the next steps wait for the next one). A zero cutoff
	// disables its step. more reports that rows remain: call again.
	Purge(ctx context.Context, orgID string, c PurgeCutoffs, batch int) (out Purged, more bool, err error)
}

// PurgeCutoffs are the times before which the retention purge removes rows.
type PurgeCutoffs struct {
	SessionsBefore, VisitorsBefore, CustomersBefore time.Time
}

// Purged counts what a purge removed and names the visitors and customers
// it removed, whose data keys are destroyed next.
type Purged struct {
	Erased
	VisitorIDs  []string
	CustomerIDs []string
}

// IndexKind is how many blind-index entries of one kind a customer has in
// one table ("identifiers" or "lookups").
type IndexKind struct {
	CustomerID string `json:"customerId"`
	Table      string `json:"table"`
	Kind       string `json:"kind"`
	Count      int64  `json:"count"`
}
