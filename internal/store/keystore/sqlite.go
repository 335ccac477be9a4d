package keystore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store/internal/migration"
)

// sqliteStore is the key store in a SQLite file of its own.
type sqliteStore struct {
	path  string
	write *sql.DB // one connection: SQLite has one writer
	read  *sql.DB // query-only pool
}

var _ keys.Store = (*sqliteStore)(nil)

func openSQLite(ctx context.Context, path string) (*sqliteStore, error) {
	if path == "" {
		return nil, errors.New("open key store: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open key store: create directory: %w", err)
	}
	// Create the file owner-only before SQLite does (it would use the
	// umask); SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	f.Close()
	write, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open key store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The writer connects first: it switches the file to WAL.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open key store %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open key store %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	read.SetMaxIdleConns(4)
	s := &sqliteStore{path: path, write: write, read: read}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// sqliteDSN sets the journey database's durability pragmas, and
// secure_delete on the writer.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// FULL: a created key survives power loss once CreateDataKeys
		// returns, and so does a deletion once DeleteDataKeys returns.
		q.Add("_pragma", "synchronous(FULL)")
		// Without secure_delete SQLite only unlinks a deleted row, and its
		// bytes — a wrapped data key — stay in the file until the page is
		// reused: anyone holding the file and the master key could still
		// open an erased subject's values. With it, deleted content is
		// overwritten with zeros.
		q.Add("_pragma", "secure_delete(1)")
		// A multi-row statement inside a transaction keeps a statement
		// journal of the pages it changes; in memory, it neither costs a
		// write per page nor leaves copies of wrapped keys in a temporary
		// file.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func (s *sqliteStore) migrate(ctx context.Context) error {
	all, err := migration.Load(migrationFS, "migrations/sqlite")
	if err != nil {
		return fmt.Errorf("migrate key store: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate key store: create schema_migrations: %w", err)
	}
	// One immediate transaction: processes opening the file together apply
	// each migration once.
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate key store: read version: %w", err)
		}
		pending, err := migration.Pending(all, current)
		if err != nil {
			return fmt.Errorf("migrate key store: %w", err)
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migrate key store: apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("migrate key store: record %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

func (s *sqliteStore) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

const sqliteColumns = `id, org_id, subject, master_id, wrapped, created_at`

type rowScanner interface {
	Scan(dest ...any) error
}

func scanSQLite(r rowScanner) (keys.DataKey, error) {
	var dk keys.DataKey
	var ms int64
	if err := r.Scan(&dk.ID, &dk.OrgID, &dk.Subject, &dk.MasterID, &dk.Wrapped, &ms); err != nil {
		return keys.DataKey{}, err
	}
	dk.CreatedAt = time.UnixMilli(ms).UTC()
	return dk, nil
}

func collectSQLite(rows *sql.Rows) ([]keys.DataKey, error) {
	defer rows.Close()
	var out []keys.DataKey
	for rows.Next() {
		dk, err := scanSQLite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, dk)
	}
	return out, rows.Err()
}

// jsonList binds a list as one parameter, read back with json_each: no limit
// on the number of SQL variables, and one statement text for every size.
func jsonList(xs []string) string {
	b, _ := json.Marshal(xs) // a []string always marshals
	return string(b)
}

func (s *sqliteStore) DataKeysOf(ctx context.Context, orgID string, subjects []string) ([]keys.DataKey, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqliteColumns+` FROM data_keys
		WHERE org_id = ? AND subject IN (SELECT value FROM json_each(?))`, orgID, jsonList(subjects))
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	out, err := collectSQLite(rows)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) DataKeysByID(ctx context.Context, orgID string, ids []string) ([]keys.DataKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqliteColumns+` FROM data_keys
		WHERE id IN (SELECT value FROM json_each(?)) AND org_id = ?`, jsonList(ids), orgID)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	out, err := collectSQLite(rows)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	return out, nil
}

// createChunk bounds the keys of one multi-row INSERT (6 variables each).
const createChunk = 256

func (s *sqliteStore) CreateDataKeys(ctx context.Context, in []keys.DataKey) ([]keys.DataKey, error) {
	asked := dedupe(in)
	if len(asked) == 0 {
		return nil, nil
	}
	var stored []keys.DataKey
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := insertSQLite(ctx, tx, asked, "ON CONFLICT (org_id, subject) DO NOTHING"); err != nil {
			return err
		}
		// The winners: these keys, or those another writer stored first.
		byOrg := map[string][]string{}
		for _, dk := range asked {
			byOrg[dk.OrgID] = append(byOrg[dk.OrgID], dk.Subject)
		}
		for orgID, subjects := range byOrg {
			rows, err := tx.QueryContext(ctx, `SELECT `+sqliteColumns+` FROM data_keys
				WHERE org_id = ? AND subject IN (SELECT value FROM json_each(?))`, orgID, jsonList(subjects))
			if err != nil {
				return err
			}
			won, err := collectSQLite(rows)
			if err != nil {
				return err
			}
			stored = append(stored, won...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create data keys: %w", err)
	}
	return inOrder(asked, stored), nil
}

func (s *sqliteStore) InsertDataKeys(ctx context.Context, in []keys.DataKey) error {
	if len(in) == 0 {
		return nil
	}
	if err := s.writeTx(ctx, func(tx *sql.Tx) error { return insertSQLite(ctx, tx, in, "") }); err != nil {
		return fmt.Errorf("insert data keys: %w", err)
	}
	return nil
}

// insertSQLite inserts dks in multi-row statements, each ending with
// onConflict: a node's pool refill inserts thousands of keys, and a
// statement per key cost it more than its fsync.
func insertSQLite(ctx context.Context, tx *sql.Tx, dks []keys.DataKey, onConflict string) error {
	args := make([]any, 0, 6*min(len(dks), createChunk))
	for start := 0; start < len(dks); start += createChunk {
		part := dks[start:min(start+createChunk, len(dks))]
		args = args[:0]
		for _, dk := range part {
			args = append(args, dk.ID, dk.OrgID, dk.Subject, dk.MasterID, dk.Wrapped, dk.CreatedAt.UnixMilli())
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(part)), ", ")
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_keys (`+sqliteColumns+`) VALUES `+values+` `+onConflict, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqliteStore) DeleteDataKeys(ctx context.Context, orgID string, subjects []string) (int64, error) {
	if len(subjects) == 0 {
		return 0, nil
	}
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM data_keys
			WHERE org_id = ? AND subject IN (SELECT value FROM json_each(?))`, orgID, jsonList(subjects))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("destroy data keys: %w", err)
	}
	if n > 0 {
		if err := s.truncateWAL(ctx); err != nil {
			return n, fmt.Errorf("destroy data keys: %d destroyed, but %w", n, err)
		}
	}
	return n, nil
}

// truncateWAL copies the WAL into the database file and empties it. The
// WAL still holds the frames that wrote each destroyed key (when it was
// created or re-wrapped) until it is reset; a TRUNCATE checkpoint writes the
// zeroed pages back into the file and cuts the WAL to nothing, so the key
// lingers in neither.
func (s *sqliteStore) truncateWAL(ctx context.Context) error {
	const attempts = 20
	for i := range attempts {
		var busy, logFrames, checkpointed int
		err := s.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
		if err != nil {
			return fmt.Errorf("checkpoint the key store's WAL: %w", err)
		}
		if busy == 0 {
			return nil
		}
		// A reader still holds an old snapshot; it finishes in milliseconds.
		select {
		case <-ctx.Done():
			return fmt.Errorf("checkpoint the key store's WAL: %w", ctx.Err())
		case <-time.After(time.Duration(i+1) * 5 * time.Millisecond):
		}
	}
	return fmt.Errorf("checkpoint the key store's WAL: readers kept it busy %d times", attempts)
}

func (s *sqliteStore) ListDataKeys(ctx context.Context, afterID string, limit int) ([]keys.DataKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqliteColumns+` FROM data_keys
		WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list data keys: %w", err)
	}
	out, err := collectSQLite(rows)
	if err != nil {
		return nil, fmt.Errorf("list data keys: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) RewrapDataKeys(ctx context.Context, in []keys.DataKey) error {
	if len(in) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		upd, err := tx.PrepareContext(ctx, `UPDATE data_keys SET wrapped = ?, master_id = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, dk := range in {
			if _, err := upd.ExecContext(ctx, dk.Wrapped, dk.MasterID, dk.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rewrap data keys: %w", err)
	}
	return nil
}

func (s *sqliteStore) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}
