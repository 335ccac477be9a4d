package consent

import (
	"context"
	"crypto/ed25519"
	"time"
)

// Head is the last record of an organization's chain (Seq 0 and Hash "" for
// an empty chain).
type Head struct {
	Seq  int64
	Hash string
}

// SigningKey is an organization's receipt-signing key (Ed25519, the 64-byte
// private key). KID names it in receipts and the JWKS.
type SigningKey struct {
	OrgID     string
	KID       string
	Private   ed25519.PrivateKey
	CreatedAt time.Time
}

// Store keeps purposes, settings, notices, the ledger and the derived state.
// Every method is scoped by organization; a missing row is
// presage.ErrNotFound. Stores never read a clock: every time they write
// comes from the caller.
type Store interface {
	ListPurposes(ctx context.Context, orgID string) ([]Purpose, error)
	// PutPurposes inserts or replaces the given purposes of one organization.
	PutPurposes(ctx context.Context, orgID string, ps []Purpose) error

	// GetSettings returns presage.ErrNotFound until PutSettings was called.
	GetSettings(ctx context.Context, orgID string) (Settings, error)
	PutSettings(ctx context.Context, s Settings) error

	// CreateNotice stores n as it is: the caller numbers it (one past the
	// latest version of n.OrgID, from 1) and sets n.SHA256 over that number.
	// A version n.OrgID already has is a presage.CodeConflict error, also
	// when another node stored it a moment before: the caller reads the
	// latest version again and decides whether to retry.
	CreateNotice(ctx context.Context, n Notice) error
	GetNotice(ctx context.Context, orgID string, version int) (Notice, error)
	// ListNotices returns every version, newest first.
	ListNotices(ctx context.Context, orgID string) ([]Notice, error)

	// Append adds one record to orgID's chain in one transaction that holds
	// the chain's lock (no two appends of an organization interleave, on any
	// node): it reads the head and the current states of visitorID, calls
	// build with them (build fills Seq, PrevHash and Hash and returns the
	// states the record sets), inserts the record, upserts the states (keyed
	// by org, visitor, purpose), moves the head to the record and commits. An
	// error from build aborts with nothing written and is returned as is. An
	// engine may run the transaction, and so build, again after the database
	// aborted it for a deadlock or serialization failure: build must be safe
	// to call again, and only its last result is written.
	//
	// Append keeps its build callback because what build computes is right
	// only while the lock is held: the record extends the head (Seq,
	// PrevHash, Hash); its decisions depend on the visitor's current states
	// (a withdrawal of everything granted, a privacy signal recorded once, an
	// expiry that must not undo a decision renewed meanwhile); and its time,
	// read under the lock, follows the chain's order. Without a callback the
	// caller would read the head and states, build, and have the store insert
	// only if the head had not moved, retrying otherwise. The chain would
	// still never fork, but all visitors of an organization compete for its
	// one head: every lost race costs another read, build and write, so
	// throughput falls as concurrency rises, where the lock queues appends in
	// the database at one transaction each. Moving the rules and the hash
	// into the store instead would put consent logic in both engines.
	Append(ctx context.Context, orgID, visitorID string, build func(head Head, current []State) (Record, []State, error)) (Record, error)
	// Head returns the chain's head as Append last left it; verification
	// compares it with the last record, so deleting the newest record shows.
	Head(ctx context.Context, orgID string) (Head, error)
	// Records returns up to limit records of orgID's chain with Seq > after,
	// by Seq ascending (verification walks the chain with it).
	Records(ctx context.Context, orgID string, after int64, limit int) ([]Record, error)
	// SubjectRecords returns every record of a visitor, or of all visitors of a
	// customer when customerID is set, by Seq ascending.
	SubjectRecords(ctx context.Context, orgID, visitorID, customerID string) ([]Record, error)
	// States returns the current states of a visitor.
	States(ctx context.Context, orgID, visitorID string) ([]State, error)
	// StatesOf returns the current state of one purpose for each of visitorIDs
	// (missing visitors are absent from the map): the collector's batch check.
	StatesOf(ctx context.Context, orgID, purpose string, visitorIDs []string) (map[string]State, error)
	// ExpiredStates returns up to limit granted or denied states with
	// ExpiresAt ≤ at (the expiry job turns each into an expire record).
	ExpiredStates(ctx context.Context, at time.Time, limit int) ([]State, error)

	// AnonymizeSubject erases the subject of every record of visitorIDs and
	// of customerIDs in orgID's chain, in one transaction through the
	// ledger's controlled rewrite path: it blanks VisitorID, CustomerID,
	// IPPrefix, UserAgent and SubjectSalt and keeps everything else (action,
	// decisions, notice, method, time, artefact, commitment and hashes), so
	// the chain still verifies. It deletes the visitors' states too, and
	// counts the records it blanked and the states it deleted. Idempotent:
	// an anonymized record no longer matches any visitor or customer.
	AnonymizeSubject(ctx context.Context, orgID string, visitorIDs, customerIDs []string) (records int64, states int64, err error)

	// SigningKey returns orgID's receipt-signing key, presage.ErrNotFound
	// until CreateSigningKey stored one.
	SigningKey(ctx context.Context, orgID string) (SigningKey, error)
	// CreateSigningKey stores k as k.OrgID's key unless that organization has
	// one, and returns the key it has afterwards: k, or the key another caller
	// stored first (race-safe across nodes: one key wins and every caller
	// gets it).
	CreateSigningKey(ctx context.Context, k SigningKey) (SigningKey, error)
}
