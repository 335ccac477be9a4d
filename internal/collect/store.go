package collect

import (
	"context"
	"encoding/json"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Write is everything one accepted request adds. The committer hands many
// writes to the store at once so they share one transaction (group commit).
type Write struct {
	OrgID string
	// Visitor carries ID, FirstSeenAt and LastSeenAt (earliest and latest event
	// time of this request); CustomerID and SessionCount are ignored.
	Visitor presage.Visitor
	// Session carries every field but EventCount, taken from this request; for an
	// existing session only StartedAt (min) and LastEventAt (max) change.
	Session presage.Session
	// Events in client order; their Seq is assigned by the store.
	Events []presage.Event
	// Identifications in client order, applied after the events.
	Identifications []Identification
	// Predictions the scorer made for this write's session, one per outcome:
	// stored as the session's latest, with MaxProbability kept as the
	// maximum of the stored and the new value. Within one transaction a
	// later write's prediction of the same (session, outcome) wins.
	Predictions []presage.Prediction
	// Achievements the scorer found in this write's events: inserted unless
	// the (outcome, session) already has one (the first achievement stays).
	Achievements []presage.Achievement
	// VisitorKeys records which data keys seal the values of which visitors
	// (set by the sealing engine, store/sealed, for keys it took from its
	// pool): inserted unless already stored, in the same transaction, so
	// no value committed lacks the record erasure finds its key by.
	VisitorKeys []VisitorKey
	// Prepared is set by a Preparer on the write it returns: CommitWrites
	// stores it as it is.
	Prepared bool
}

// Preparer is a Store that does part of a write's work before the write
// joins a transaction. The Committer calls it in the submitting request's
// goroutine: the sealing engine encrypts there, in parallel, rather than in
// the committer's worker, the one goroutine SQLite's writes go through.
type Preparer interface {
	// PrepareWrite returns w as CommitWrites is to store it, with Prepared
	// set. w keeps its own values.
	PrepareWrite(ctx context.Context, w Write) (Write, error)
}

// VisitorKey records that the data key KeyID seals values of VisitorID.
type VisitorKey struct {
	VisitorID string
	KeyID     string
	At        time.Time
}

// Identification links the write's visitor to a customer.
//
// The store, in the commit's transaction: finds the customer that owns the
// first of Identifiers (in the given priority order) already known; else keeps
// the visitor's current customer; else creates a customer with ID
// NewCustomerID. It then records every identifier not yet owned by another
// customer as owned by the chosen one, records every one of Lookups for the
// chosen customer (lookups are not unique: several customers may share a
// name), merges Traits into the customer's traits (top-level keys of Traits
// overwrite), and points the visitor at the customer. It must be safe when two
// nodes identify the same person concurrently (INSERT … ON CONFLICT and
// re-read, never check-then-insert alone).
type Identification struct {
	VisitorID   string
	Identifiers []presage.Identifier
	// Lookups are the blind indexes of the values the customer can be
	// searched by (email, phone, name, address), for data subject requests.
	Lookups       []presage.Identifier
	Traits        json.RawMessage // JSON object
	At            time.Time
	NewCustomerID string
}

// CommitResult is what a Write changed: Stored events were new, Duplicates were
// already stored (same organization and event id) and were left untouched.
type CommitResult struct {
	Stored     int
	Duplicates int
}

// Store commits writes durably.
type Store interface {
	// CommitWrites applies all writes in one transaction and returns one CommitResult
	// per write, in order. It returns only after the transaction is durable. On
	// error nothing was applied.
	CommitWrites(ctx context.Context, writes []Write) ([]CommitResult, error)
}
