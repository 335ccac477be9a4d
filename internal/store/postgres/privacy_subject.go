package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/privacy"
)

// Subject resolution: search terms to customers and visitors. Id lists are
// bound as one text[] (= ANY), so their length never meets a limit on
// parameters; results sort in byte order (COLLATE "C"), as SQLite's do.

// CustomersByIndex returns the customers of orgID owning an identifier or a
// lookup entry of kind with one of hashes, distinct and sorted.
func (db *DB) CustomersByIndex(ctx context.Context, orgID, kind string, hashes []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT customer_id COLLATE "C" FROM customer_identifiers
		WHERE org_id = $1 AND kind = $2 AND hash = ANY($3::text[])
		UNION
		SELECT customer_id COLLATE "C" FROM customer_lookups
		WHERE org_id = $1 AND kind = $2 AND hash = ANY($3::text[])
		ORDER BY 1`, hashes, orgID, kind)
	if err != nil {
		return nil, fmt.Errorf("customers by index: %w", err)
	}
	return out, nil
}

// VisitorsOfCustomers returns the visitors pointing at any of customerIDs.
func (db *DB) VisitorsOfCustomers(ctx context.Context, orgID string, customerIDs []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT DISTINCT id COLLATE "C" FROM visitors
		WHERE org_id = $1 AND customer_id = ANY($2::text[]) ORDER BY 1`, customerIDs, orgID)
	if err != nil {
		return nil, fmt.Errorf("visitors of customers: %w", err)
	}
	return out, nil
}

// ExistingVisitors returns those of ids that are visitors of orgID.
func (db *DB) ExistingVisitors(ctx context.Context, orgID string, ids []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT id COLLATE "C" FROM visitors
		WHERE org_id = $1 AND id = ANY($2::text[]) ORDER BY 1`, ids, orgID)
	if err != nil {
		return nil, fmt.Errorf("existing visitors: %w", err)
	}
	return out, nil
}

// ExistingCustomers returns those of ids that are customers of orgID.
func (db *DB) ExistingCustomers(ctx context.Context, orgID string, ids []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT id COLLATE "C" FROM customers
		WHERE org_id = $1 AND id = ANY($2::text[]) ORDER BY 1`, ids, orgID)
	if err != nil {
		return nil, fmt.Errorf("existing customers: %w", err)
	}
	return out, nil
}

// CustomersOfVisitors returns the customers visitorIDs point at.
func (db *DB) CustomersOfVisitors(ctx context.Context, orgID string, visitorIDs []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT DISTINCT customer_id COLLATE "C" FROM visitors
		WHERE org_id = $1 AND id = ANY($2::text[]) AND customer_id IS NOT NULL AND customer_id <> ''
		ORDER BY 1`, visitorIDs, orgID)
	if err != nil {
		return nil, fmt.Errorf("customers of visitors: %w", err)
	}
	return out, nil
}

// CustomerIdentifiers returns the identifiers customerIDs own, by kind and
// hash (what an erasure tombstones).
func (db *DB) CustomerIdentifiers(ctx context.Context, orgID string, customerIDs []string) ([]privacy.Tombstone, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	rows, err := db.pool.query(ctx, `SELECT DISTINCT kind COLLATE "C", hash COLLATE "C" FROM customer_identifiers
		WHERE org_id = $1 AND customer_id = ANY($2::text[]) ORDER BY 1, 2`, orgID, customerIDs)
	out, err := scanAll(rows, err, func(row pgx.Row) (privacy.Tombstone, error) {
		t := privacy.Tombstone{OrgID: orgID}
		err := row.Scan(&t.Kind, &t.Hash)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("customer identifiers: %w", err)
	}
	return out, nil
}

// stringsIn runs a one-column query whose last parameter is list, after
// args; an empty list matches nothing and runs no query.
func (db *DB) stringsIn(ctx context.Context, query string, list []string, args ...any) ([]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	rows, err := db.pool.query(ctx, query, append(args, list)...)
	return scanAll(rows, err, func(row pgx.Row) (string, error) {
		var v string
		err := row.Scan(&v)
		return v, err
	})
}
