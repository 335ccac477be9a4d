package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// openWithTamperer opens a migrated database and a connection of its own
// that runs raw SQL around the store, as a tamperer would.
func openWithTamperer(t *testing.T) (*sqlite.DB, func(ctx context.Context, query string) error) {
	t.Helper()
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return db, func(ctx context.Context, query string) error {
		_, err := raw.ExecContext(ctx, query)
		return err
	}
}

// TestLedgerAppendOnly tampers through a connection of its own: the triggers
// refuse it, ExecRaw does not.
func TestLedgerAppendOnly(t *testing.T) {
	db, tamper := openWithTamperer(t)
	storetest.LedgerAppendOnly(t, db, tamper)
}

// TestAuditAppendOnly tampers with the audit log the same way: the triggers
// refuse it.
func TestAuditAppendOnly(t *testing.T) {
	db, tamper := openWithTamperer(t)
	storetest.AuditAppendOnly(t, db, tamper)
}
