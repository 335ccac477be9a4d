package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// openWithTamperer opens a migrated database and a connection of its own
// that runs raw SQL around the store, as a tamperer would.
func openWithTamperer(t *testing.T) (*postgres.DB, func(ctx context.Context, query string) error) {
	t.Helper()
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return db, func(ctx context.Context, query string) error {
		_, err := conn.Exec(ctx, query)
		return err
	}
}

// TestLedgerAppendOnly tampers through a connection of its own: the trigger
// refuses it, ExecRaw does not.
func TestLedgerAppendOnly(t *testing.T) {
	db, tamper := openWithTamperer(t)
	storetest.LedgerAppendOnly(t, db, tamper)
}

// TestAuditAppendOnly tampers with the audit log the same way: the trigger
// refuses it.
func TestAuditAppendOnly(t *testing.T) {
	db, tamper := openWithTamperer(t)
	storetest.AuditAppendOnly(t, db, tamper)
}
