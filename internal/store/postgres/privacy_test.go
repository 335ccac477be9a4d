package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// TestAuditAppendOnly tampers with the audit log through a connection of its
// own: the trigger refuses it.
func TestAuditAppendOnly(t *testing.T) {
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
	storetest.AuditAppendOnly(t, db, func(ctx context.Context, query string) error {
		_, err := conn.Exec(ctx, query)
		return err
	})
}
