package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// identify applies one identification inside the commit's transaction. The
// single write connection serializes it, so lookup then insert cannot race.
func (db *DB) identify(ctx context.Context, tx *sql.Tx, id commitplan.Identification) error {
	customerID, err := findCustomer(ctx, tx, id)
	if err != nil {
		return err
	}
	at := ms(commitplan.MS(id.At))
	if _, err := tx.ExecContext(ctx, `INSERT INTO customers (org_id, id, traits, created_at, updated_at)
		VALUES (?, ?, '{}', ?, ?) ON CONFLICT (org_id, id) DO NOTHING`, id.OrgID, customerID, at, at); err != nil {
		return fmt.Errorf("identify: create customer: %w", err)
	}
	for _, ident := range id.Identifiers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identifiers (org_id, kind, hash, customer_id)
			VALUES (?, ?, ?, ?) ON CONFLICT (org_id, kind, hash) DO NOTHING`, id.OrgID, ident.Kind, ident.Hash, customerID); err != nil {
			return fmt.Errorf("identify: record identifier: %w", err)
		}
	}
	var traits string
	if err := tx.QueryRowContext(ctx, `SELECT traits FROM customers WHERE org_id = ? AND id = ?`,
		id.OrgID, customerID).Scan(&traits); err != nil {
		return fmt.Errorf("identify: read traits: %w", err)
	}
	merged, err := commitplan.MergeTraits([]byte(traits), id.Traits)
	if err != nil {
		return fmt.Errorf("identify: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET traits = ?, updated_at = MAX(updated_at, ?) WHERE org_id = ? AND id = ?`,
		string(merged), at, id.OrgID, customerID); err != nil {
		return fmt.Errorf("identify: update traits: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO visitors (org_id, id, customer_id, first_seen_at, last_seen_at, session_count)
		VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (org_id, id) DO UPDATE SET customer_id = excluded.customer_id`,
		id.OrgID, id.VisitorID, customerID, at, at); err != nil {
		return fmt.Errorf("identify: link visitor: %w", err)
	}
	return nil
}

// findCustomer picks the owner of the first known identifier, else the
// visitor's customer, else the new customer id.
func findCustomer(ctx context.Context, tx *sql.Tx, id commitplan.Identification) (string, error) {
	for _, ident := range id.Identifiers {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identifiers WHERE org_id = ? AND kind = ? AND hash = ?`,
			id.OrgID, ident.Kind, ident.Hash).Scan(&owner)
		if err == nil {
			return owner, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("identify: look up identifier: %w", err)
		}
	}
	var current sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT customer_id FROM visitors WHERE org_id = ? AND id = ?`,
		id.OrgID, id.VisitorID).Scan(&current)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("identify: read visitor: %w", err)
	}
	if current.String != "" {
		return current.String, nil
	}
	if id.NewCustomerID != "" {
		return id.NewCustomerID, nil
	}
	return presage.NewID("cus"), nil
}
