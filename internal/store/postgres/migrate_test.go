package postgres_test

import (
	"context"
	"github.com/presage-dev/presage/internal/store/internal/migration"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/storetest"
	"github.com/presage-dev/presage/internal/testwait"
)

// TestMigrateManyNodes starts several nodes on one empty database at once:
// the advisory lock lets each migration apply exactly once.
func TestMigrateManyNodes(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := postgres.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				errs <- err
			}
			if err := db.Migrate(ctx); err != nil {
				errs <- err
			}
		})
	}
	testwait.Wait(t, &wg, 2*time.Minute, "the migrating nodes")
	close(errs)
	for err := range errs {
		t.Fatalf("migrate: %v", err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != latestMigration(t) {
		t.Fatalf("schema version %d, %v", v, err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	err = db.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("migrate on a newer schema: %v", err)
	}
}

// latestMigration is the version of the newest embedded migration.
func latestMigration(t *testing.T) int {
	t.Helper()
	all, err := migration.Load(os.DirFS("."), "migrations")
	if err != nil || len(all) == 0 {
		t.Fatalf("load migrations: %d, %v", len(all), err)
	}
	return all[len(all)-1].Version
}
