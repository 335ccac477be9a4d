package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

const (
	visitorKeyCols  = 4
	visitorKeyChunk = 512
)

var insertVisitorKeysSQL = memo(func(n int) string {
	return `INSERT OR IGNORE INTO visitor_keys (org_id, visitor_id, key_id, created_at) VALUES ` + placeholders(n, visitorKeyCols)
})

// insertVisitorKeys records, in the commit's transaction, which data keys
// seal the writes' visitors' values.
func (db *DB) insertVisitorKeys(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	return execRows(ctx, db, tx, "insert visitor keys", p.VisitorKeys, visitorKeyChunk, visitorKeyCols, insertVisitorKeysSQL,
		func(args []any, k commitplan.VisitorKeyRow) []any {
			return append(args, k.OrgID, k.VisitorID, k.KeyID, unixMilli(k.At))
		})
}

// VisitorKeyIDs returns the ids of the data keys recorded as sealing the
// visitors' values.
func (db *DB) VisitorKeyIDs(ctx context.Context, orgID string, visitorIDs []string) ([]string, error) {
	if len(visitorIDs) == 0 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT key_id FROM visitor_keys WHERE org_id = ? AND visitor_id`+inIDs+`
		ORDER BY key_id`, orgID, idList(visitorIDs))
	ids, err := scanAll(rows, err, scanString)
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
	var n int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = execCount(ctx, tx, `DELETE FROM visitor_keys WHERE org_id = ? AND visitor_id`+inIDs, orgID, idList(visitorIDs))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete visitor keys: %w", err)
	}
	return n, nil
}
