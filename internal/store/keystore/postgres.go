package keystore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store/internal/migration"
)

// migrateLock is the pg_advisory_xact_lock key that serializes the key
// store's migrations across nodes ("prskeys" in ASCII; the journey schema
// uses "presage").
const migrateLock int64 = 0x7072736b657973

// pgStore is the key store in the schema presage_keys of a PostgreSQL
// database.
type pgStore struct {
	pool *pgxpool.Pool
}

var _ keys.Store = (*pgStore)(nil)

func openPostgres(ctx context.Context, url string) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	// The key table starts empty and grows by a key per new visitor. A
	// generic plan cached while it was small scans it whole until the next
	// ANALYZE (measured: 16 ms instead of 0.3 ms to look up 100 subjects
	// among 20,000 keys); custom plans see its size at every execution.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	s := &pgStore{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// migrate applies the key store's migrations in one transaction holding a
// transaction-level advisory lock, so nodes starting together apply each
// once and a failed start leaves no lock behind.
func (s *pgStore) migrate(ctx context.Context) error {
	all, err := migration.Load(migrationFS, "migrations/postgres")
	if err != nil {
		return fmt.Errorf("migrate key store: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		// CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on
		// the database: skip it when an administrator made the schema.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, Schema).Scan(&exists); err != nil {
			return fmt.Errorf("look up schema %s: %w", Schema, err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+Schema); err != nil {
				return fmt.Errorf("create schema %s: %w", Schema, err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+Schema+`.schema_migrations (
			version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+Schema+`.schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		pending, err := migration.Pending(all, current)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+Schema+`.schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate key store: %w", err)
	}
	return nil
}

// durableTx runs fn in a READ COMMITTED transaction whose commit waits for
// the WAL flush even if the server or role turned synchronous_commit off:
// a created key must not be lost after values were sealed with it, nor a
// destroyed key come back after an erasure was reported done.
func (s *pgStore) durableTx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = on`); err != nil {
				return err
			}
			return fn(tx)
		})
		if !isRetryable(err) {
			return err
		}
	}
	return err
}

// isRetryable reports a transaction aborted only because of another one.
func isRetryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40P01" || e.Code == "40001")
}

const pgColumns = `id, org_id, subject, master_id, wrapped, created_at`

func collectPG(rows pgx.Rows) ([]keys.DataKey, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (keys.DataKey, error) {
		var dk keys.DataKey
		err := r.Scan(&dk.ID, &dk.OrgID, &dk.Subject, &dk.MasterID, &dk.Wrapped, &dk.CreatedAt)
		dk.CreatedAt = dk.CreatedAt.UTC()
		return dk, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

func (s *pgStore) DataKeysOf(ctx context.Context, orgID string, subjects []string) ([]keys.DataKey, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+pgColumns+` FROM `+Schema+`.data_keys
		WHERE org_id = $1 AND subject = ANY($2)`, orgID, subjects)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	out, err := collectPG(rows)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	return out, nil
}

func (s *pgStore) DataKeysByID(ctx context.Context, orgID string, ids []string) ([]keys.DataKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+pgColumns+` FROM `+Schema+`.data_keys
		WHERE id = ANY($2) AND org_id = $1`, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	out, err := collectPG(rows)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	return out, nil
}

// pgColumnsOf returns dks as one array per column of pgColumns, the
// arguments of an INSERT ... SELECT FROM unnest.
func pgColumnsOf(dks []keys.DataKey) []any {
	n := len(dks)
	ids, orgs, subjects, masters := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	wrapped, created := make([][]byte, n), make([]time.Time, n)
	for i, dk := range dks {
		ids[i], orgs[i], subjects[i], masters[i], wrapped[i], created[i] = dk.ID, dk.OrgID, dk.Subject, dk.MasterID, dk.Wrapped, dk.CreatedAt
	}
	return []any{ids, orgs, subjects, masters, wrapped, created}
}

func (s *pgStore) CreateDataKeys(ctx context.Context, in []keys.DataKey) ([]keys.DataKey, error) {
	asked := dedupe(in)
	if len(asked) == 0 {
		return nil, nil
	}
	// Insert in one order on every node: two nodes inserting overlapping
	// subjects then wait on each other's rows in turn instead of deadlocking.
	sorted := slices.Clone(asked)
	slices.SortFunc(sorted, func(a, b keys.DataKey) int {
		if c := strings.Compare(a.OrgID, b.OrgID); c != 0 {
			return c
		}
		return strings.Compare(a.Subject, b.Subject)
	})
	cols := pgColumnsOf(sorted)
	var stored []keys.DataKey
	err := s.durableTx(ctx, func(tx pgx.Tx) error {
		// A row that conflicts with one a concurrent transaction is
		// inserting waits for it; the SELECT, a new statement under READ
		// COMMITTED, then sees the winner.
		if _, err := tx.Exec(ctx, `INSERT INTO `+Schema+`.data_keys (`+pgColumns+`)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[])
			ON CONFLICT (org_id, subject) DO NOTHING`, cols...); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT d.id, d.org_id, d.subject, d.master_id, d.wrapped, d.created_at
			FROM `+Schema+`.data_keys d JOIN unnest($1::text[], $2::text[]) AS a (org_id, subject)
			ON d.org_id = a.org_id AND d.subject = a.subject`, cols[1], cols[2])
		if err != nil {
			return err
		}
		stored, err = collectPG(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create data keys: %w", err)
	}
	return inOrder(asked, stored), nil
}

func (s *pgStore) InsertDataKeys(ctx context.Context, in []keys.DataKey) error {
	if len(in) == 0 {
		return nil
	}
	err := s.durableTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+Schema+`.data_keys (`+pgColumns+`)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[])`,
			pgColumnsOf(in)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert data keys: %w", err)
	}
	return nil
}

func (s *pgStore) DeleteDataKeys(ctx context.Context, orgID string, subjects []string) (int64, error) {
	if len(subjects) == 0 {
		return 0, nil
	}
	var n int64
	err := s.durableTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM `+Schema+`.data_keys WHERE org_id = $1 AND subject = ANY($2)`, orgID, subjects)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("destroy data keys: %w", err)
	}
	return n, nil
}

func (s *pgStore) ListDataKeys(ctx context.Context, afterID string, limit int) ([]keys.DataKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgColumns+` FROM `+Schema+`.data_keys
		WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list data keys: %w", err)
	}
	out, err := collectPG(rows)
	if err != nil {
		return nil, fmt.Errorf("list data keys: %w", err)
	}
	return out, nil
}

func (s *pgStore) RewrapDataKeys(ctx context.Context, in []keys.DataKey) error {
	if len(in) == 0 {
		return nil
	}
	ids, masters, wrapped := make([]string, len(in)), make([]string, len(in)), make([][]byte, len(in))
	for i, dk := range in {
		ids[i], masters[i], wrapped[i] = dk.ID, dk.MasterID, dk.Wrapped
	}
	err := s.durableTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE `+Schema+`.data_keys AS d SET master_id = u.master_id, wrapped = u.wrapped
			FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u (id, master_id, wrapped)
			WHERE d.id = u.id`, ids, masters, wrapped)
		return err
	})
	if err != nil {
		return fmt.Errorf("rewrap data keys: %w", err)
	}
	return nil
}

func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}
