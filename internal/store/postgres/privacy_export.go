package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// PutExport inserts or replaces the export of e.RequestID (a retried job
// writes its bundle again).
func (db *DB) PutExport(ctx context.Context, e privacy.Export) error {
	_, err := db.pool.exec(ctx, `INSERT INTO gdpr_exports (org_id, request_id, content, size, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (org_id, request_id) DO UPDATE SET content = EXCLUDED.content, size = EXCLUDED.size,
			created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
		e.OrgID, e.RequestID, e.Content, e.Size, presage.StoredTime(e.CreatedAt), presage.StoredTime(e.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put export: %w", err)
	}
	return nil
}

// GetExport returns the export of requestID of orgID.
func (db *DB) GetExport(ctx context.Context, orgID, requestID string) (privacy.Export, error) {
	var e privacy.Export
	err := db.pool.queryRow(ctx, `SELECT org_id, request_id, content, size, created_at, expires_at
		FROM gdpr_exports WHERE org_id = $1 AND request_id = $2`, orgID, requestID).
		Scan(&e.OrgID, &e.RequestID, &e.Content, &e.Size, &e.CreatedAt, &e.ExpiresAt)
	if err != nil {
		return privacy.Export{}, fmt.Errorf("get export: %w", notFound(err))
	}
	e.CreatedAt, e.ExpiresAt = e.CreatedAt.UTC(), e.ExpiresAt.UTC()
	return e, nil
}

// DeleteExports deletes the exports of every organization that expired
// before before and returns which.
func (db *DB) DeleteExports(ctx context.Context, before time.Time) ([]privacy.Export, error) {
	rows, err := db.pool.query(ctx, `DELETE FROM gdpr_exports WHERE expires_at < $1 RETURNING org_id, request_id`, presage.StoredTime(before))
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
