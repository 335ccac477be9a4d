package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// TestAuditAppendOnly tampers with the audit log through a connection of its
// own: the triggers refuse it.
func TestAuditAppendOnly(t *testing.T) {
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
	storetest.AuditAppendOnly(t, db, func(ctx context.Context, query string) error {
		_, err := raw.ExecContext(ctx, query)
		return err
	})
}
