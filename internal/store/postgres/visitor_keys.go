package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// insertVisitorKeys records, in the commit's transaction, which data keys
// seal the writes' visitors' values. Rows go in key order, so that commits
// running at once take their row locks in one order.
func insertVisitorKeys(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	n := len(p.VisitorKeys)
	if n == 0 {
		return nil
	}
	rows := slices.Clone(p.VisitorKeys)
	slices.SortFunc(rows, func(a, b commitplan.VisitorKeyRow) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.VisitorID, b.VisitorID), cmp.Compare(a.KeyID, b.KeyID))
	})
	org, visitor, key, at := make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, r := range rows {
		org[i], visitor[i], key[i], at[i] = r.OrgID, r.VisitorID, r.KeyID, r.At
	}
	if _, err := tx.Exec(ctx, `INSERT INTO visitor_keys (org_id, visitor_id, key_id, created_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
		ON CONFLICT DO NOTHING`, org, visitor, key, at); err != nil {
		return fmt.Errorf("insert visitor keys: %w", err)
	}
	return nil
}

// VisitorKeyIDs returns the ids of the data keys recorded as sealing the
// visitors' values.
func (db *DB) VisitorKeyIDs(ctx context.Context, orgID string, visitorIDs []string) ([]string, error) {
	if len(visitorIDs) == 0 {
		return nil, nil
	}
	rows, err := db.pool.query(ctx, `SELECT DISTINCT key_id FROM visitor_keys WHERE org_id = $1 AND visitor_id = ANY($2::text[])
		ORDER BY key_id`, orgID, visitorIDs)
	if err != nil {
		return nil, fmt.Errorf("visitor key ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("visitor key ids: %w", err)
	}
	return ids, nil
}

// DeleteVisitorKeys deletes the visitors' key records (their keys destroyed).
func (db *DB) DeleteVisitorKeys(ctx context.Context, orgID string, visitorIDs []string) (int64, error) {
	if len(visitorIDs) == 0 {
		return 0, nil
	}
	tag, err := db.pool.exec(ctx, `DELETE FROM visitor_keys WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, orgID, visitorIDs)
	if err != nil {
		return 0, fmt.Errorf("delete visitor keys: %w", err)
	}
	return tag.RowsAffected(), nil
}
