package keystore

import (
	"context"
	"embed"
	"errors"
	"github.com/presage-dev/presage/internal/store/internal/dburl"
	"path/filepath"

	"github.com/presage-dev/presage/internal/keys"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// FileName is the SQLite key store's file, beside the journey database.
const FileName = "presage-keys.db"

// Schema is the PostgreSQL schema that holds the key store.
const Schema = "presage_keys"

// Open opens the key store target names and migrates its schema: postgres://
// or postgresql:// selects the schema presage_keys of that database;
// sqlite:PATH, file:PATH or a bare path selects a SQLite file of its own.
func Open(ctx context.Context, target string) (keys.Store, error) {
	switch {
	case target == "":
		return nil, errors.New("open key store: empty target")
	case dburl.IsPostgres(target):
		return openPostgres(ctx, target)
	default:
		return openSQLite(ctx, dburl.SQLitePath(target))
	}
}

// DefaultTarget returns the key store beside the journey database: with
// SQLite (databaseURL empty or a SQLite path) the file presage-keys.db next
// to presage.db; with PostgreSQL the same database, whose schema
// presage_keys then holds the keys. The operator may override it with
// PRESAGE_KEYSTORE_URL, for example to keep the keys in another database.
func DefaultTarget(dataDir, databaseURL string) string {
	if dburl.IsPostgres(databaseURL) {
		return databaseURL
	}
	if databaseURL != "" {
		return "sqlite:" + filepath.Join(filepath.Dir(dburl.SQLitePath(databaseURL)), FileName)
	}
	return "sqlite:" + filepath.Join(dataDir, FileName)
}

// dedupe returns keys without a repeated (OrgID, Subject), keeping the first.
func dedupe(in []keys.DataKey) []keys.DataKey {
	seen := make(map[string]bool, len(in))
	out := make([]keys.DataKey, 0, len(in))
	for _, dk := range in {
		k := dk.OrgID + "\x00" + dk.Subject
		if !seen[k] {
			seen[k] = true
			out = append(out, dk)
		}
	}
	return out
}

// inOrder returns stored in the order of asked (by OrgID and Subject),
// leaving out those asked keys that have no stored one.
func inOrder(asked, stored []keys.DataKey) []keys.DataKey {
	by := make(map[string]keys.DataKey, len(stored))
	for _, dk := range stored {
		by[dk.OrgID+"\x00"+dk.Subject] = dk
	}
	out := make([]keys.DataKey, 0, len(asked))
	for _, a := range asked {
		if dk, ok := by[a.OrgID+"\x00"+a.Subject]; ok {
			out = append(out, dk)
		}
	}
	return out
}
