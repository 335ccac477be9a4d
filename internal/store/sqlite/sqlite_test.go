package sqlite_test

import (
	"context"
	"testing"

	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

var _ store.Engine = (*sqlite.DB)(nil)

func open(t testing.TB) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, storetest.SQLitePath(t))
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
