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
	// "events", "predictions", "achievements" (every key present).
	CountSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string) (map[string]int64, error)
	// EraseSubject deletes, in one transaction, up to batch events of the
	// visitors; once none is left, their sessions, predictions,
	// achievements and visitor rows, then the customers with their
	// identifiers and lookups. more reports that rows remain: call again.
	EraseSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string, batch int) (out Erased, more bool, err error)
	// VisitorEvents returns up to limit events of the visitor with Seq
	// after afterSeq, in Seq order.
	VisitorEvents(ctx context.Context, orgID, visitorID string, afterSeq int64, limit int) ([]presage.Event, error)
	// UpdateEventTexts rewrites URL, Title, Referrer and Attributes of each
	// event, found by (OrgID, ID).
	UpdateEventTexts(ctx context.Context, orgID string, events []presage.Event) error
	// UpdateSessionTexts rewrites LandingURL and Referrer of each session.
	UpdateSessionTexts(ctx context.Context, orgID string, sessions []presage.Session) error
	// PutTraits replaces the customer's traits.
	PutTraits(ctx context.Context, orgID, customerID string, traits json.RawMessage, at time.Time) error
	// ReplaceIndex moves the customer's identifier and lookup entries of
	// kind from oldHash to newHash. An identifier newHash already owned by
	// another customer is left to that customer (the old one is removed).
	ReplaceIndex(ctx context.Context, orgID, customerID, kind, oldHash, newHash string) error
	// Purge deletes, in one transaction and up to batch sessions, the
	// sessions that ended before c.SessionsBefore with their events,
	// predictions and achievements; then visitors last seen before
	// c.VisitorsBefore that have no session left; then customers updated
	// before c.CustomersBefore that have no visitor left, with their
	// identifiers and lookups. A zero cutoff disables its part. more
	// reports that rows remain.
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
