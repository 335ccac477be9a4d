package sqlite_test

import (
	"context"
	"database/sql"
	"github.com/presage-dev/presage/internal/store/internal/migration"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "presage.db")
	for range 2 {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != latestMigration(t) {
			t.Fatalf("schema version %d, %v", v, err)
		}
		db.Close()
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
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
