package sqlite

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const customerColumns = `org_id, id, traits, created_at, updated_at`

// GetCustomer returns orgID's customer id.
func (db *DB) GetCustomer(ctx context.Context, orgID, id string) (presage.Customer, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE org_id = ? AND id = ?`, orgID, id)
	c, err := scanCustomer(row)
	if err != nil {
		return presage.Customer{}, fmt.Errorf("get customer: %w", notFound(err))
	}
	return c, nil
}

// ListCustomers lists orgID's customers, newest first.
func (db *DB) ListCustomers(ctx context.Context, orgID string, page presage.Page) ([]presage.Customer, bool, error) {
	q := `SELECT ` + customerColumns + ` FROM customers WHERE org_id = ?`
	args := []any{orgID}
	if a := page.After; a != nil {
		q += ` AND (created_at, id) < (?, ?)`
		args = append(args, unixMilli(a.T), a.ID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	return list(ctx, db, "customers", q, args, page, scanCustomer)
}

func scanCustomer(s scanner) (presage.Customer, error) {
	var c presage.Customer
	var traits string
	var created, updated int64
	if err := s.Scan(&c.OrgID, &c.ID, &traits, &created, &updated); err != nil {
		return presage.Customer{}, err
	}
	c.Traits = rowjson.Raw(traits)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}
