package sqlite

import "context"

// Unprepared returns how many commit statements db prepared inside their
// transaction (prepare should make them all ahead).
func Unprepared(db *DB) int64 { return db.unprepared.Load() }

// MigrateTo applies db's migrations up to version v.
func MigrateTo(ctx context.Context, db *DB, v int) error { return db.migrateTo(ctx, v) }
