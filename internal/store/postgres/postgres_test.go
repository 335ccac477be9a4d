package postgres_test

import (
	"context"
	"testing"

	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/storetest"
)

var _ store.Engine = (*postgres.DB)(nil)

func open(t testing.TB) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Engine { return open(t) })
}
