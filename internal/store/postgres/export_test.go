package postgres

import "context"

// MigrateTo applies db's migrations up to version v.
func MigrateTo(ctx context.Context, db *DB, v int) error { return db.migrateTo(ctx, v) }
