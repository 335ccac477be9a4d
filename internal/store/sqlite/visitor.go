package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

const visitorColumns = `org_id, id, customer_id, first_seen_at, last_seen_at, session_count`

// GetVisitor returns orgID's visitor id.
func (db *DB) GetVisitor(ctx context.Context, orgID, id string) (presage.Visitor, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+visitorColumns+` FROM visitors WHERE org_id = ? AND id = ?`, orgID, id)
	v, err := scanVisitor(row)
	if err != nil {
		return presage.Visitor{}, fmt.Errorf("get visitor: %w", notFound(err))
	}
	return v, nil
}

// ListVisitors lists orgID's visitors matching f, newest first.
func (db *DB) ListVisitors(ctx context.Context, orgID string, f journey.VisitorFilter, page presage.Page) ([]presage.Visitor, bool, error) {
	q := `SELECT ` + visitorColumns + ` FROM visitors WHERE org_id = ?`
	args := []any{orgID}
	if f.CustomerID != "" {
		q += ` AND customer_id = ?`
		args = append(args, f.CustomerID)
	}
	if a := page.After; a != nil {
		q += ` AND (first_seen_at, id) < (?, ?)`
		args = append(args, unixMilli(a.T), a.ID)
	}
	q += ` ORDER BY first_seen_at DESC, id DESC LIMIT ?`
	return list(ctx, db, "visitors", q, args, page, scanVisitor)
}

func scanVisitor(s scanner) (presage.Visitor, error) {
	var v presage.Visitor
	var customer sql.NullString
	var first, last int64
	if err := s.Scan(&v.OrgID, &v.ID, &customer, &first, &last, &v.SessionCount); err != nil {
		return presage.Visitor{}, err
	}
	v.CustomerID = customer.String
	v.FirstSeenAt, v.LastSeenAt = fromMS(first), fromMS(last)
	return v, nil
}
