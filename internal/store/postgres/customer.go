package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const customerColumns = `org_id, id, traits, created_at, updated_at`

// GetCustomer returns orgID's customer id.
func (db *DB) GetCustomer(ctx context.Context, orgID, id string) (presage.Customer, error) {
	c, err := scanCustomer(db.pool.queryRow(ctx, `SELECT `+customerColumns+` FROM customers WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return presage.Customer{}, fmt.Errorf("get customer: %w", notFound(err))
	}
	return c, nil
}

// ListCustomers lists orgID's customers, newest first.
func (db *DB) ListCustomers(ctx context.Context, orgID string, page presage.Page) ([]presage.Customer, bool, error) {
	var q query
	q.sql = `SELECT ` + customerColumns + ` FROM customers WHERE org_id = ` + q.arg(orgID)
	if a := page.After; a != nil {
		q.sql += ` AND (created_at, id) < (` + q.arg(presage.StoredTime(a.T)) + `, ` + q.arg(a.ID) + `)`
	}
	q.sql += ` ORDER BY created_at DESC, id DESC`
	return list(ctx, db, "customers", q, page, scanCustomer)
}

func scanCustomer(row pgx.Row) (presage.Customer, error) {
	var c presage.Customer
	var traits string
	if err := row.Scan(&c.OrgID, &c.ID, &traits, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return presage.Customer{}, err
	}
	c.Traits = rowjson.Raw(traits)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}
