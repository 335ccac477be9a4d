package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/presage-dev/presage/internal/presage"
)

// DB is an open SQLite database.
type DB struct {
	path  string
	write *sql.DB // one connection: SQLite has one writer
	read  *sql.DB // query-only pool
	ckpt  *walCheckpointer

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt // write statements prepared once
	rstmts map[string]*sql.Stmt // hot read statements prepared once on the read pool
	// readyRows is the largest session and visitor count of a commit whose
	// statements (every size up to it) are in stmts.
	readyRows struct{ sessions, visitors int }
	// unprepared counts commit statements prepare did not make ahead.
	unprepared atomic.Int64
}

// Open opens (creating it and its directory if needed) the database at path.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: create directory: %w", err)
		}
	}
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The writer connects first: it creates the file and switches it to WAL.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	ckpt, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	ckpt.SetConnMaxLifetime(0)
	ckpt.SetConnMaxIdleTime(0)
	return &DB{path: path, write: write, read: read, ckpt: newWALCheckpointer(ckpt), stmts: map[string]*sql.Stmt{},
		rstmts: map[string]*sql.Stmt{}}, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "cache_size(-32768)") // 32 MiB
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// FULL: an acknowledged commit survives power loss, not only a crash.
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerAutoCheckpoint))
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Engine returns "sqlite".
func (db *DB) Engine() string { return "sqlite" }

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes the database; the WAL is checkpointed by the last connection.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, s := range db.stmts {
		s.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.readyRows.sessions, db.readyRows.visitors = 0, 0
	for _, s := range db.rstmts {
		s.Close()
	}
	db.rstmts = map[string]*sql.Stmt{}
	db.mu.Unlock()
	return errors.Join(db.ckpt.close(), db.read.Close(), db.write.Close())
}

// readStmt returns query prepared on the read pool, preparing it on first
// use. It is for the few reads on the request path (the consent gate's and
// live scoring's), which would otherwise be compiled again at every call.
func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if s, ok := db.rstmts[query]; ok {
		return s, nil
	}
	s, err := db.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.rstmts[query] = s
	return s, nil
}

// hotQuery runs a read on the request path (consent gate, live scoring)
// with its statement prepared once.
func (db *DB) hotQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := db.readStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

// hotQueryRow is hotQuery for one row.
func (db *DB) hotQueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, err := db.readStmt(ctx, query)
	if err != nil {
		return db.read.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return stmt.QueryRowContext(ctx, args...)
}

// writeTx runs fn in one immediate transaction on the write connection.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
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
	db.ckpt.committed()
	return nil
}

// sqliteCode returns the extended result code of err, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY }

func conflict(msg string, err error) error {
	return &presage.Error{Code: presage.CodeConflict, Message: msg, Err: err}
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return presage.ErrNotFound
	}
	return err
}
