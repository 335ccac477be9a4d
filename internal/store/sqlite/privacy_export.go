package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/privacy"
)

// PutExport inserts or replaces the export of e.RequestID (a retried job
// writes its bundle again).
func (db *DB) PutExport(ctx context.Context, e privacy.Export) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO gdpr_exports (org_id, request_id, content, size, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, request_id) DO UPDATE SET content = excluded.content, size = excluded.size,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		e.OrgID, e.RequestID, e.Content, e.Size, unixMilli(e.CreatedAt), unixMilli(e.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put export: %w", err)
	}
	return nil
}

// GetExport returns the export of requestID of orgID.
func (db *DB) GetExport(ctx context.Context, orgID, requestID string) (privacy.Export, error) {
	var e privacy.Export
	var created, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT org_id, request_id, content, size, created_at, expires_at
		FROM gdpr_exports WHERE org_id = ? AND request_id = ?`, orgID, requestID).
		Scan(&e.OrgID, &e.RequestID, &e.Content, &e.Size, &created, &expires)
	if err != nil {
		return privacy.Export{}, fmt.Errorf("get export: %w", notFound(err))
	}
	e.CreatedAt, e.ExpiresAt = fromMS(created), fromMS(expires)
	return e, nil
}

// DeleteExports deletes the exports of every organization that expired
// before before and returns which.
func (db *DB) DeleteExports(ctx context.Context, before time.Time) ([]privacy.Export, error) {
	rows, err := db.write.QueryContext(ctx, `DELETE FROM gdpr_exports WHERE expires_at < ? RETURNING org_id, request_id`, unixMilli(before))
	if err != nil {
		return nil, fmt.Errorf("delete exports: %w", err)
	}
	defer rows.Close()
	var out []privacy.Export
	for rows.Next() {
		var e privacy.Export
		if err := rows.Scan(&e.OrgID, &e.RequestID); err != nil {
			return nil, fmt.Errorf("delete exports: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delete exports: %w", err)
	}
	return out, nil
}
