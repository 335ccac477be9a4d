package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/store/internal/erasure"
)

// EraseVisitor deletes a visitor's journey in one transaction: its events,
// sessions, predictions, achievements and visitor row, and its customer (with
// identifiers) when no other visitor points at that customer.
func (db *DB) EraseVisitor(ctx context.Context, orgID, visitorID string) (journey.Erased, error) {
	var out journey.Erased
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		var customerID *string
		err := tx.QueryRow(ctx, `SELECT customer_id FROM visitors WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, visitorID).Scan(&customerID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		for _, t := range erasure.VisitorTables {
			tag, err := tx.Exec(ctx, `DELETE FROM `+t.Name+` WHERE org_id = $1 AND visitor_id = $2`, orgID, visitorID)
			if err != nil {
				return err
			}
			*t.Count(&out) = tag.RowsAffected()
		}
		tag, err := tx.Exec(ctx, `DELETE FROM visitors WHERE org_id = $1 AND id = $2`, orgID, visitorID)
		if err != nil {
			return err
		}
		out.Visitors = tag.RowsAffected()
		if customerID == nil || *customerID == "" {
			return nil
		}
		var others int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM visitors WHERE org_id = $1 AND customer_id = $2`, orgID, *customerID).Scan(&others); err != nil {
			return err
		}
		if others > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM customer_identifiers WHERE org_id = $1 AND customer_id = $2`, orgID, *customerID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM customer_lookups WHERE org_id = $1 AND customer_id = $2`, orgID, *customerID); err != nil {
			return err
		}
		if tag, err = tx.Exec(ctx, `DELETE FROM customers WHERE org_id = $1 AND id = $2`, orgID, *customerID); err != nil {
			return err
		}
		out.Customers = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return journey.Erased{}, fmt.Errorf("erase visitor: %w", err)
	}
	return out, nil
}
