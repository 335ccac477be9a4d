package postgres

import (
	"context"
	"embed"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrateLock is the pg_advisory_lock key that serializes Migrate across nodes
// ("presage" in ASCII).
const migrateLock int64 = 0x70726573616765

// Migrate applies every migration the database lacks, one transaction each,
// while holding an advisory lock: nodes starting together apply each once.
// It refuses a database newer than this binary.
func (db *DB) Migrate(ctx context.Context) error { return db.migrateTo(ctx, math.MaxInt) }

// migrateTo applies the migrations up to version upTo (tests of a
// migration start from the schema before it).
func (db *DB) migrateTo(ctx context.Context, upTo int) (err error) {
	all, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	all = migration.UpTo(all, upTo)
	conn, err := db.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	defer db.pool.release(conn)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("migrate postgres: lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock); uerr != nil {
			// A session lock must not outlive Migrate: drop the connection.
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate postgres: create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate postgres: read version: %w", err)
	}
	pending, err := migration.Pending(all, current)
	if err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate postgres: apply %s: %w", m.Name, err)
		}
	}
	// Migration 0005's Go step, under the same lock: it needs the columns
	// the SQL added.
	return sealConsentRecords(ctx, conn)
}

// SchemaVersion returns the highest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.pool.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
