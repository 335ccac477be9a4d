package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/privacy"
)

// AddTombstones inserts ts in one transaction; a tombstone that exists is
// kept with its first date.
func (db *DB) AddTombstones(ctx context.Context, ts []privacy.Tombstone) error {
	if len(ts) == 0 {
		return nil
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, t := range ts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO erasure_tombstones (org_id, kind, hash, created_at)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, t.OrgID, t.Kind, t.Hash, unixMilli(t.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add tombstones: %w", err)
	}
	return nil
}

// Tombstoned returns which of hashes of kind are tombstoned in orgID, sorted.
func (db *DB) Tombstoned(ctx context.Context, orgID, kind string, hashes []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT hash FROM erasure_tombstones
		WHERE org_id = ?1 AND kind = ?2 AND hash IN (SELECT value FROM json_each(?3)) ORDER BY hash`,
		hashes, orgID, kind)
	if err != nil {
		return nil, fmt.Errorf("tombstoned: %w", err)
	}
	return out, nil
}

// AllTombstones returns every tombstone of orgID by kind and hash.
func (db *DB) AllTombstones(ctx context.Context, orgID string) ([]privacy.Tombstone, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT org_id, kind, hash, created_at FROM erasure_tombstones
		WHERE org_id = ? ORDER BY kind, hash`, orgID)
	out, err := scanAll(rows, err, func(s scanner) (privacy.Tombstone, error) {
		var t privacy.Tombstone
		var created int64
		err := s.Scan(&t.OrgID, &t.Kind, &t.Hash, &created)
		t.CreatedAt = fromMS(created)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("all tombstones: %w", err)
	}
	return out, nil
}
