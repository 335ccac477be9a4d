package sealed_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the raw reader of the SQLite file

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/keystore"
	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// backend opens a fresh, migrated engine and a reader of its raw rows, which
// bypasses every engine code path: what a database dump or a backup holds.
type backend struct {
	name string
	open func(t testing.TB) (store.Engine, rawReader)
	// keyStore returns a fresh key store of the engine's kind, as
	// keystore.DefaultTarget gives a node of that engine.
	keyStore func(t testing.TB) string
}

// rawReader returns the first column of every row of a query, as text.
type rawReader func(t testing.TB, query string) []string

var backends = []backend{
	{"sqlite", openSQLite, func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), keystore.FileName) }},
	{"postgres", openPostgres, storetest.PostgresURL},
}

func openSQLite(t testing.TB) (store.Engine, rawReader) {
	t.Helper()
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return db, func(t testing.TB, query string) []string {
		t.Helper()
		rows, err := raw.QueryContext(ctx, query)
		if err != nil {
			t.Fatalf("raw query %q: %v", query, err)
		}
		defer rows.Close()
		return readColumn(t, query, rows.Next, rows.Scan, rows.Err)
	}
}

func openPostgres(t testing.TB) (store.Engine, rawReader) {
	t.Helper()
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
	// Before the database is dropped (cleanups run last added first).
	t.Cleanup(func() { conn.Close(context.Background()) })
	return db, func(t testing.TB, query string) []string {
		t.Helper()
		rows, err := conn.Query(ctx, query)
		if err != nil {
			t.Fatalf("raw query %q: %v", query, err)
		}
		defer rows.Close()
		return readColumn(t, query, rows.Next, rows.Scan, rows.Err)
	}
}

// readColumn reads the one column of a raw query's rows as text, whichever
// driver's rows next, scan and done belong to.
func readColumn(t testing.TB, query string, next func() bool, scan func(...any) error, done func() error) []string {
	t.Helper()
	var out []string
	for next() {
		var b []byte
		if err := scan(&b); err != nil {
			t.Fatalf("raw query %q: %v", query, err)
		}
		out = append(out, string(b))
	}
	if err := done(); err != nil {
		t.Fatalf("raw query %q: %v", query, err)
	}
	return out
}

// newKeyring returns a key ring over an in-memory key store with a random
// master key.
func newKeyring(t testing.TB) *keys.Keyring { return keyringOver(t, keys.NewMemStore()) }

// newKeyringOver returns a key ring over the key store target names, with a
// random master key.
func newKeyringOver(t testing.TB, target string) *keys.Keyring {
	t.Helper()
	ks, err := keystore.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	return keyringOver(t, ks)
}

func keyringOver(t testing.TB, ks keys.Store) *keys.Keyring {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	m, err := keys.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return keys.NewKeyring(ks, m)
}
