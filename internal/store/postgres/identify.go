package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// identify applies one identification inside the commit's transaction. The
// identifier locks taken at the start make lookup-then-insert safe across
// nodes; INSERT … ON CONFLICT DO NOTHING and a re-read of the owner keep it
// safe even without them.
func identify(ctx context.Context, tx pgx.Tx, id commitplan.Identification) error {
	customerID, err := findCustomer(ctx, tx, id)
	if err != nil {
		return err
	}
	at := presage.StoredTime(id.At)
	tag, err := tx.Exec(ctx, `INSERT INTO customers (org_id, id, traits, created_at, updated_at)
		VALUES ($1, $2, '{}', $3, $3) ON CONFLICT (org_id, id) DO NOTHING`, id.OrgID, customerID, at)
	if err != nil {
		return fmt.Errorf("identify: create customer: %w", err)
	}
	created := tag.RowsAffected() == 1
	for _, ident := range id.Identifiers {
		tag, err := tx.Exec(ctx, `INSERT INTO customer_identifiers (org_id, kind, hash, customer_id)
			VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, kind, hash) DO NOTHING`, id.OrgID, ident.Kind, ident.Hash, customerID)
		if err != nil {
			return fmt.Errorf("identify: record identifier: %w", err)
		}
		if tag.RowsAffected() == 1 || !created {
			continue
		}
		// Another transaction recorded this identifier first: its customer
		// wins over the one created here.
		var owner string
		if err := tx.QueryRow(ctx, `SELECT customer_id FROM customer_identifiers WHERE org_id = $1 AND kind = $2 AND hash = $3`,
			id.OrgID, ident.Kind, ident.Hash).Scan(&owner); err != nil {
			return fmt.Errorf("identify: re-read identifier: %w", err)
		}
		if owner != customerID {
			if err := adopt(ctx, tx, id.OrgID, customerID, owner); err != nil {
				return err
			}
			customerID, created = owner, false
		}
	}
	// Lookups are recorded for the customer chosen above, once adoption is
	// settled, so they never need moving.
	for _, l := range id.Lookups {
		if _, err := tx.Exec(ctx, `INSERT INTO customer_lookups (org_id, kind, hash, customer_id)
			VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, kind, hash, customer_id) DO NOTHING`,
			id.OrgID, l.Kind, l.Hash, customerID); err != nil {
			return fmt.Errorf("identify: record lookup: %w", err)
		}
	}
	var traits string
	if err := tx.QueryRow(ctx, `SELECT traits FROM customers WHERE org_id = $1 AND id = $2 FOR UPDATE`,
		id.OrgID, customerID).Scan(&traits); err != nil {
		return fmt.Errorf("identify: read traits: %w", err)
	}
	merged, err := commitplan.MergeTraits([]byte(traits), id.Traits)
	if err != nil {
		return fmt.Errorf("identify: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE customers SET traits = $1, updated_at = GREATEST(updated_at, $2) WHERE org_id = $3 AND id = $4`,
		string(merged), at, id.OrgID, customerID); err != nil {
		return fmt.Errorf("identify: update traits: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO visitors (org_id, id, customer_id, first_seen_at, last_seen_at, session_count)
		VALUES ($1, $2, $3, $4, $4, 0) ON CONFLICT (org_id, id) DO UPDATE SET customer_id = EXCLUDED.customer_id`,
		id.OrgID, id.VisitorID, customerID, at); err != nil {
		return fmt.Errorf("identify: link visitor: %w", err)
	}
	return nil
}

// adopt moves the identifiers of the customer just created in this
// transaction to owner and deletes it.
func adopt(ctx context.Context, tx pgx.Tx, orgID, fresh, owner string) error {
	if _, err := tx.Exec(ctx, `UPDATE customer_identifiers SET customer_id = $1 WHERE org_id = $2 AND customer_id = $3`,
		owner, orgID, fresh); err != nil {
		return fmt.Errorf("identify: move identifiers: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM customers WHERE org_id = $1 AND id = $2`, orgID, fresh); err != nil {
		return fmt.Errorf("identify: drop duplicate customer: %w", err)
	}
	return nil
}

// findCustomer picks the owner of the first known identifier, else the
// visitor's customer, else the new customer id.
func findCustomer(ctx context.Context, tx pgx.Tx, id commitplan.Identification) (string, error) {
	for _, ident := range id.Identifiers {
		var owner string
		err := tx.QueryRow(ctx, `SELECT customer_id FROM customer_identifiers WHERE org_id = $1 AND kind = $2 AND hash = $3`,
			id.OrgID, ident.Kind, ident.Hash).Scan(&owner)
		if err == nil {
			return owner, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("identify: look up identifier: %w", err)
		}
	}
	var current *string
	err := tx.QueryRow(ctx, `SELECT customer_id FROM visitors WHERE org_id = $1 AND id = $2`,
		id.OrgID, id.VisitorID).Scan(&current)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("identify: read visitor: %w", err)
	}
	if current != nil && *current != "" {
		return *current, nil
	}
	if id.NewCustomerID != "" {
		return id.NewCustomerID, nil
	}
	return presage.NewID("cus"), nil
}
