package journey

import (
	"context"

	"github.com/presage-dev/presage/internal/presage"
)

// VisitorFilter narrows ListVisitors; empty fields match everything.
type VisitorFilter struct {
	CustomerID string
}

// SessionFilter narrows ListSessions; empty fields match everything.
type SessionFilter struct {
	VisitorID  string
	CustomerID string // sessions of every visitor of this customer
}

// Store reads journeys. Every method is scoped to orgID: a row of another
// organization is never returned (it reads as presage.ErrNotFound).
//
// Lists return at most page.Limit items strictly after page.After in their sort
// order, plus whether more items follow:
//   - customers: CreatedAt descending, then ID descending (Cursor.T, Cursor.ID)
//   - visitors: FirstSeenAt descending, then ID descending
//   - sessions: StartedAt descending, then ID descending
//   - events of a session: OccurredAt ascending, then Seq ascending (Cursor.T, Cursor.Seq, Cursor.ID)
type Store interface {
	GetCustomer(ctx context.Context, orgID, id string) (presage.Customer, error)
	ListCustomers(ctx context.Context, orgID string, page presage.Page) (items []presage.Customer, more bool, err error)
	GetVisitor(ctx context.Context, orgID, id string) (presage.Visitor, error)
	ListVisitors(ctx context.Context, orgID string, f VisitorFilter, page presage.Page) (items []presage.Visitor, more bool, err error)
	GetSession(ctx context.Context, orgID, id string) (presage.Session, error)
	ListSessions(ctx context.Context, orgID string, f SessionFilter, page presage.Page) (items []presage.Session, more bool, err error)
	ListEvents(ctx context.Context, orgID, sessionID string, page presage.Page) (items []presage.Event, more bool, err error)

	// EraseVisitor deletes, in one transaction, the visitor's events and
	// sessions (with them its pending training examples: a session not yet
	// learned from is its stored events), predictions, achievements and
	// visitor row, and its customer with the customer's identifiers when
	// no other visitor of orgID points at that customer. Erasing an unknown
	// visitor erases nothing and is not an error.
	EraseVisitor(ctx context.Context, orgID, visitorID string) (Erased, error)
}

// Erased counts what an erasure deleted.
type Erased struct {
	Events, Sessions, Visitors, Customers int64
	Predictions, Achievements             int64
	Identifiers, Lookups                  int64
	// KeyRecords counts the records of which data keys sealed the
	// visitors' values (visitor_keys); erasure destroys those keys first
	// and the records with them, so what is left here is usually none.
	KeyRecords int64
}
