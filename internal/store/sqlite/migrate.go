package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"math"
	"time"

	"github.com/presage-dev/presage/internal/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies every migration the database lacks in one immediate
// transaction (so concurrent processes apply each once) and refuses a
// database newer than this binary.
func (db *DB) Migrate(ctx context.Context) error { return db.migrateTo(ctx, math.MaxInt) }

// migrateTo applies the migrations up to version upTo (tests of a
// migration start from the schema before it).
func (db *DB) migrateTo(ctx context.Context, upTo int) error {
	all, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	all = migration.UpTo(all, upTo)
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate sqlite: create schema_migrations: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate sqlite: read version: %w", err)
		}
		pending, err := migration.Pending(all, current)
		if err != nil {
			return fmt.Errorf("migrate sqlite: %w", err)
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migrate sqlite: apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("migrate sqlite: record %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Migration 0005's Go step: it needs the columns the SQL added.
	return db.sealConsentRecords(ctx)
}

// SchemaVersion returns the highest applied migration (0 for a new database).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
