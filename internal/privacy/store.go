package privacy

import (
	"context"
	"time"
)

// Store keeps requests, exports, the audit log, tombstones and settings, and
// resolves search terms to subjects. Every method is scoped to orgID but
// ClaimRequest, which serves every organization's job queue.
type Store interface {
	// CustomersByIndex returns the ids of the customers of orgID that own an
	// identifier or a lookup entry of kind with one of hashes (blind
	// indexes: no value is stored), distinct and sorted.
	CustomersByIndex(ctx context.Context, orgID, kind string, hashes []string) ([]string, error)
	// VisitorsOfCustomers returns the ids of the visitors pointing at any of
	// customerIDs, distinct and sorted.
	VisitorsOfCustomers(ctx context.Context, orgID string, customerIDs []string) ([]string, error)
	// ExistingVisitors and ExistingCustomers return those of ids that exist.
	ExistingVisitors(ctx context.Context, orgID string, ids []string) ([]string, error)
	ExistingCustomers(ctx context.Context, orgID string, ids []string) ([]string, error)
	// CustomersOfVisitors returns the customer ids the visitors point at.
	CustomersOfVisitors(ctx context.Context, orgID string, visitorIDs []string) ([]string, error)

	CreateRequest(ctx context.Context, r Request) error
	GetRequest(ctx context.Context, orgID, id string) (Request, error)
	// ListRequests returns page number (from 1) of size requests, newest
	// received first, and how many the organization has in all.
	ListRequests(ctx context.Context, orgID string, size, number int) ([]Request, int, error)
	// ClaimRequest leases to holder, until now+ttl, the oldest request of
	// any organization that is not terminal, whose NextRunAt has passed and
	// whose lease is free or expired; ok is false when there is none.
	ClaimRequest(ctx context.Context, holder string, now time.Time, ttl time.Duration) (r Request, ok bool, err error)
	// SaveRequest writes r (status, progress, result, error, attempts,
	// next run, lease, terms after a scrub, due date) if holder still holds
	// its lease (else presage.CodeConflict). holder "" writes without a
	// lease check (an extension of the due date by the API).
	SaveRequest(ctx context.Context, r Request, holder string) error

	PutExport(ctx context.Context, e Export) error
	GetExport(ctx context.Context, orgID, requestID string) (Export, error)
	// DeleteExports deletes the exports of every organization that expired
	// before before and returns which (OrgID and RequestID set), so their data
	// keys can be destroyed too.
	DeleteExports(ctx context.Context, before time.Time) ([]Export, error)

	// AppendAudit appends entries in order, assigning Seq.
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// ListAudit returns up to limit entries of orgID with Seq after afterSeq
	// (0: from the start) matching target ("" for all), oldest first.
	ListAudit(ctx context.Context, orgID string, target string, afterSeq int64, limit int) ([]AuditEntry, error)

	AddTombstones(ctx context.Context, ts []Tombstone) error
	// Tombstoned returns which of hashes of kind are tombstoned.
	Tombstoned(ctx context.Context, orgID, kind string, hashes []string) ([]string, error)
	// AllTombstones returns every tombstone of orgID (the collector caches
	// them; erasures are rare, so the set stays small).
	AllTombstones(ctx context.Context, orgID string) ([]Tombstone, error)
	// CustomerIdentifiers returns the identifiers (kind and blind index)
	// the customers own, from customer_identifiers.
	CustomerIdentifiers(ctx context.Context, orgID string, customerIDs []string) ([]Tombstone, error)

	// GetPrivacySettings returns orgID's settings; an organization that never set
	// them gets DefaultRetention and presage.ErrNotFound is not returned.
	GetPrivacySettings(ctx context.Context, orgID string) (Settings, error)
	PutPrivacySettings(ctx context.Context, s Settings) error
	// OrganizationIDs lists every organization (the purge walks them).
	OrganizationIDs(ctx context.Context) ([]string, error)
}
