package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

const visitorColumns = `org_id, id, customer_id, first_seen_at, last_seen_at, session_count`

// GetVisitor returns orgID's visitor id.
func (db *DB) GetVisitor(ctx context.Context, orgID, id string) (presage.Visitor, error) {
	v, err := scanVisitor(db.pool.queryRow(ctx, `SELECT `+visitorColumns+` FROM visitors WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return presage.Visitor{}, fmt.Errorf("get visitor: %w", notFound(err))
	}
	return v, nil
}

// ListVisitors lists orgID's visitors matching f, newest first.
func (db *DB) ListVisitors(ctx context.Context, orgID string, f journey.VisitorFilter, page presage.Page) ([]presage.Visitor, bool, error) {
	var q query
	q.sql = `SELECT ` + visitorColumns + ` FROM visitors WHERE org_id = ` + q.arg(orgID)
	if f.CustomerID != "" {
		q.sql += ` AND customer_id = ` + q.arg(f.CustomerID)
	}
	if a := page.After; a != nil {
		q.sql += ` AND (first_seen_at, id) < (` + q.arg(presage.StoredTime(a.T)) + `, ` + q.arg(a.ID) + `)`
	}
	q.sql += ` ORDER BY first_seen_at DESC, id DESC`
	return list(ctx, db, "visitors", q, page, scanVisitor)
}

func scanVisitor(row pgx.Row) (presage.Visitor, error) {
	var v presage.Visitor
	var customer *string
	var sessions int32
	if err := row.Scan(&v.OrgID, &v.ID, &customer, &v.FirstSeenAt, &v.LastSeenAt, &sessions); err != nil {
		return presage.Visitor{}, err
	}
	if customer != nil {
		v.CustomerID = *customer
	}
	v.SessionCount = int(sessions)
	v.FirstSeenAt, v.LastSeenAt = v.FirstSeenAt.UTC(), v.LastSeenAt.UTC()
	return v, nil
}
