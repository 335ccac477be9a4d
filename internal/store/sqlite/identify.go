package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// The statements of identify, prepared once on the write connection.
const (
	createCustomerSQL = `INSERT INTO customers (org_id, id, traits, created_at, updated_at)
		VALUES (?, ?, '{}', ?, ?) ON CONFLICT (org_id, id) DO NOTHING`
	recordIdentifierSQL = `INSERT INTO customer_identifiers (org_id, kind, hash, customer_id)
		VALUES (?, ?, ?, ?) ON CONFLICT (org_id, kind, hash) DO NOTHING`
	recordLookupSQL = `INSERT INTO customer_lookups (org_id, kind, hash, customer_id)
		VALUES (?, ?, ?, ?) ON CONFLICT (org_id, kind, hash, customer_id) DO NOTHING`
	readTraitsSQL   = `SELECT traits FROM customers WHERE org_id = ? AND id = ?`
	updateTraitsSQL = `UPDATE customers SET traits = ?, updated_at = MAX(updated_at, ?) WHERE org_id = ? AND id = ?`
	linkVisitorSQL  = `INSERT INTO visitors (org_id, id, customer_id, first_seen_at, last_seen_at, session_count)
		VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (org_id, id) DO UPDATE SET customer_id = excluded.customer_id`
	findIdentifierSQL  = `SELECT customer_id FROM customer_identifiers WHERE org_id = ? AND kind = ? AND hash = ?`
	visitorCustomerSQL = `SELECT customer_id FROM visitors WHERE org_id = ? AND id = ?`
)

var identifySQL = [...]string{createCustomerSQL, recordIdentifierSQL, recordLookupSQL, readTraitsSQL, updateTraitsSQL, linkVisitorSQL,
	findIdentifierSQL, visitorCustomerSQL}

// identify applies one identification inside the commit's transaction. The
// single write connection serializes it, so lookup then insert cannot race.
func (db *DB) identify(ctx context.Context, tx *sql.Tx, id commitplan.Identification) error {
	customerID, err := db.findCustomer(ctx, tx, id)
	if err != nil {
		return err
	}
	at := unixMilli(presage.StoredTime(id.At))
	if err := db.exec(ctx, tx, createCustomerSQL, id.OrgID, customerID, at, at); err != nil {
		return fmt.Errorf("identify: create customer: %w", err)
	}
	for _, ident := range id.Identifiers {
		if err := db.exec(ctx, tx, recordIdentifierSQL, id.OrgID, ident.Kind, ident.Hash, customerID); err != nil {
			return fmt.Errorf("identify: record identifier: %w", err)
		}
	}
	for _, l := range id.Lookups {
		if err := db.exec(ctx, tx, recordLookupSQL, id.OrgID, l.Kind, l.Hash, customerID); err != nil {
			return fmt.Errorf("identify: record lookup: %w", err)
		}
	}
	var traits string
	if err := db.queryRow(ctx, tx, readTraitsSQL, id.OrgID, customerID).Scan(&traits); err != nil {
		return fmt.Errorf("identify: read traits: %w", err)
	}
	merged, err := commitplan.MergeTraits([]byte(traits), id.Traits)
	if err != nil {
		return fmt.Errorf("identify: %w", err)
	}
	if err := db.exec(ctx, tx, updateTraitsSQL, string(merged), at, id.OrgID, customerID); err != nil {
		return fmt.Errorf("identify: update traits: %w", err)
	}
	if err := db.exec(ctx, tx, linkVisitorSQL, id.OrgID, id.VisitorID, customerID, at, at); err != nil {
		return fmt.Errorf("identify: link visitor: %w", err)
	}
	return nil
}

// findCustomer picks the owner of the first known identifier, else the
// visitor's customer, else the new customer id.
func (db *DB) findCustomer(ctx context.Context, tx *sql.Tx, id commitplan.Identification) (string, error) {
	for _, ident := range id.Identifiers {
		var owner string
		err := db.queryRow(ctx, tx, findIdentifierSQL, id.OrgID, ident.Kind, ident.Hash).Scan(&owner)
		if err == nil {
			return owner, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("identify: look up identifier: %w", err)
		}
	}
	var current sql.NullString
	err := db.queryRow(ctx, tx, visitorCustomerSQL, id.OrgID, id.VisitorID).Scan(&current)
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

// exec runs a statement prepare made, in tx.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	s, err := db.stmt(ctx, tx, query)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(ctx, args...)
	return err
}

// queryRow runs a query prepare made, in tx.
func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) rowScanner {
	s, err := db.stmt(ctx, tx, query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

type rowScanner interface{ Scan(dest ...any) error }

// errRow is a row whose Scan fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
