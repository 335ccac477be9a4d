package sqlite

// Stubs that keep the engine compiling while the methods are written;
// each method is deleted from here when it is implemented.

import (
	"context"
	"time"

	"github.com/presage-dev/presage/internal/privacy"
)

func (db *DB) CustomersByIndex(ctx context.Context, orgID, kind string, hashes []string) ([]string, error) {
	return nil, errNotImplemented
}

func (db *DB) VisitorsOfCustomers(ctx context.Context, orgID string, customerIDs []string) ([]string, error) {
	return nil, errNotImplemented
}

func (db *DB) ExistingVisitors(ctx context.Context, orgID string, ids []string) ([]string, error) {
	return nil, errNotImplemented
}

func (db *DB) ExistingCustomers(ctx context.Context, orgID string, ids []string) ([]string, error) {
	return nil, errNotImplemented
}

func (db *DB) CustomersOfVisitors(ctx context.Context, orgID string, visitorIDs []string) ([]string, error) {
	return nil, errNotImplemented
}

func (db *DB) CreateRequest(ctx context.Context, r privacy.Request) error {
	return errNotImplemented
}

func (db *DB) GetRequest(ctx context.Context, orgID, id string) (privacy.Request, error) {
	return privacy.Request{}, errNotImplemented
}

func (db *DB) ListRequests(ctx context.Context, orgID string, size, number int) ([]privacy.Request, int, error) {
	return nil, 0, errNotImplemented
}

func (db *DB) ClaimRequest(ctx context.Context, holder string, now time.Time, ttl time.Duration) (r privacy.Request, ok bool, err error) {
	return privacy.Request{}, false, errNotImplemented
}

func (db *DB) SaveRequest(ctx context.Context, r privacy.Request, holder string) error {
	return errNotImplemented
}

func (db *DB) PutExport(ctx context.Context, e privacy.Export) error {
	return errNotImplemented
}

func (db *DB) GetExport(ctx context.Context, orgID, requestID string) (privacy.Export, error) {
	return privacy.Export{}, errNotImplemented
}

func (db *DB) DeleteExports(ctx context.Context, before time.Time) (int64, error) {
	return 0, errNotImplemented
}

func (db *DB) AppendAudit(ctx context.Context, entries []privacy.AuditEntry) error {
	return errNotImplemented
}

func (db *DB) ListAudit(ctx context.Context, orgID string, target string, afterSeq int64, limit int) ([]privacy.AuditEntry, error) {
	return nil, errNotImplemented
}

func (db *DB) AddTombstones(ctx context.Context, ts []privacy.Tombstone) error {
	return errNotImplemented
}

func (db *DB) Tombstoned(ctx context.Context, orgID, kind string, hashes []string) ([]string, error) {
	return nil, errNotImplemented
}

func (db *DB) GetPrivacySettings(ctx context.Context, orgID string) (privacy.Settings, error) {
	return privacy.Settings{}, errNotImplemented
}

func (db *DB) PutPrivacySettings(ctx context.Context, s privacy.Settings) error {
	return errNotImplemented
}

func (db *DB) OrganizationIDs(ctx context.Context) ([]string, error) {
	return nil, errNotImplemented
}
