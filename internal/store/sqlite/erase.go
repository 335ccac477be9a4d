package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/store/internal/erasure"
)

// EraseVisitor deletes a visitor's journey in one transaction: its events,
// sessions, predictions, achievements and visitor row, and its customer (with
// identifiers) when no other visitor points at that customer.
func (db *DB) EraseVisitor(ctx context.Context, orgID, visitorID string) (journey.Erased, error) {
	var out journey.Erased
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var customerID sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM visitors WHERE org_id = ? AND id = ?`, orgID, visitorID).Scan(&customerID)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		for _, t := range erasure.VisitorTables {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+t.Name+` WHERE org_id = ? AND visitor_id = ?`, orgID, visitorID)
			if err != nil {
				return err
			}
			*t.Count(&out), _ = res.RowsAffected()
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM visitors WHERE org_id = ? AND id = ?`, orgID, visitorID)
		if err != nil {
			return err
		}
		out.Visitors, _ = res.RowsAffected()
		if !customerID.Valid || customerID.String == "" {
			return nil
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM visitors WHERE org_id = ? AND customer_id = ?`, orgID, customerID.String).Scan(&others); err != nil {
			return err
		}
		if others > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_identifiers WHERE org_id = ? AND customer_id = ?`, orgID, customerID.String); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_lookups WHERE org_id = ? AND customer_id = ?`, orgID, customerID.String); err != nil {
			return err
		}
		if res, err = tx.ExecContext(ctx, `DELETE FROM customers WHERE org_id = ? AND id = ?`, orgID, customerID.String); err != nil {
			return err
		}
		out.Customers, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return journey.Erased{}, fmt.Errorf("erase visitor: %w", err)
	}
	return out, nil
}
