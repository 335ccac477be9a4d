package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// AddTombstones inserts ts in one transaction; a tombstone that exists is
// kept with its first date.
func (db *DB) AddTombstones(ctx context.Context, ts []privacy.Tombstone) error {
	if len(ts) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, t := range ts {
		b.Queue(`INSERT INTO erasure_tombstones (org_id, kind, hash, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, t.OrgID, t.Kind, t.Hash, presage.StoredTime(t.CreatedAt))
	}
	if err := db.pool.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }); err != nil {
		return fmt.Errorf("add tombstones: %w", err)
	}
	return nil
}

// Tombstoned returns which of hashes of kind are tombstoned in orgID, sorted.
func (db *DB) Tombstoned(ctx context.Context, orgID, kind string, hashes []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT hash COLLATE "C" FROM erasure_tombstones
		WHERE org_id = $1 AND kind = $2 AND hash = ANY($3::text[]) ORDER BY 1`, hashes, orgID, kind)
	if err != nil {
		return nil, fmt.Errorf("tombstoned: %w", err)
	}
	return out, nil
}

// AllTombstones returns every tombstone of orgID by kind and hash.
func (db *DB) AllTombstones(ctx context.Context, orgID string) ([]privacy.Tombstone, error) {
	rows, err := db.pool.query(ctx, `SELECT org_id, kind, hash, created_at FROM erasure_tombstones
		WHERE org_id = $1 ORDER BY kind COLLATE "C", hash COLLATE "C"`, orgID)
	out, err := scanAll(rows, err, func(row pgx.Row) (privacy.Tombstone, error) {
		var t privacy.Tombstone
		err := row.Scan(&t.OrgID, &t.Kind, &t.Hash, &t.CreatedAt)
		t.CreatedAt = t.CreatedAt.UTC()
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("all tombstones: %w", err)
	}
	return out, nil
}
