package sqlite

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// Subject resolution: search terms to customers and visitors. Id lists are
// bound as one JSON array (json_each), so a subject with thousands of
// visitors never meets SQLite's limit on bound variables.

// CustomersByIndex returns the customers of orgID owning an identifier or a
// lookup entry of kind with one of hashes, distinct and sorted.
func (db *DB) CustomersByIndex(ctx context.Context, orgID, kind string, hashes []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT customer_id FROM customer_identifiers
		WHERE org_id = ?1 AND kind = ?2 AND hash IN (SELECT value FROM json_each(?3))
		UNION
		SELECT customer_id FROM customer_lookups
		WHERE org_id = ?1 AND kind = ?2 AND hash IN (SELECT value FROM json_each(?3))
		ORDER BY 1`, hashes, orgID, kind)
	if err != nil {
		return nil, fmt.Errorf("customers by index: %w", err)
	}
	return out, nil
}

// VisitorsOfCustomers returns the visitors pointing at any of customerIDs.
func (db *DB) VisitorsOfCustomers(ctx context.Context, orgID string, customerIDs []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT DISTINCT id FROM visitors
		WHERE org_id = ?1 AND customer_id IN (SELECT value FROM json_each(?2)) ORDER BY id`, customerIDs, orgID)
	if err != nil {
		return nil, fmt.Errorf("visitors of customers: %w", err)
	}
	return out, nil
}

// ExistingVisitors returns those of ids that are visitors of orgID.
func (db *DB) ExistingVisitors(ctx context.Context, orgID string, ids []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT id FROM visitors
		WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id`, ids, orgID)
	if err != nil {
		return nil, fmt.Errorf("existing visitors: %w", err)
	}
	return out, nil
}

// ExistingCustomers returns those of ids that are customers of orgID.
func (db *DB) ExistingCustomers(ctx context.Context, orgID string, ids []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT id FROM customers
		WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id`, ids, orgID)
	if err != nil {
		return nil, fmt.Errorf("existing customers: %w", err)
	}
	return out, nil
}

// CustomersOfVisitors returns the customers visitorIDs point at.
func (db *DB) CustomersOfVisitors(ctx context.Context, orgID string, visitorIDs []string) ([]string, error) {
	out, err := db.stringsIn(ctx, `SELECT DISTINCT customer_id FROM visitors
		WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2)) AND customer_id IS NOT NULL
			AND customer_id <> '' ORDER BY customer_id`, visitorIDs, orgID)
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
	list, err := rowjson.Encode(customerIDs)
	if err != nil {
		return nil, fmt.Errorf("customer identifiers: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT kind, hash FROM customer_identifiers
		WHERE org_id = ? AND customer_id IN (SELECT value FROM json_each(?)) ORDER BY kind, hash`, orgID, list)
	out, err := scanAll(rows, err, func(s scanner) (privacy.Tombstone, error) {
		t := privacy.Tombstone{OrgID: orgID}
		err := s.Scan(&t.Kind, &t.Hash)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("customer identifiers: %w", err)
	}
	return out, nil
}

// stringsIn runs a one-column query on the read pool whose last parameter
// is list, as a JSON array, after args; an empty list matches nothing and
// runs no query.
func (db *DB) stringsIn(ctx context.Context, query string, list []string, args ...any) ([]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	enc, err := rowjson.Encode(list)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, query, append(args, enc)...)
	return scanAll(rows, err, func(s scanner) (string, error) {
		var v string
		err := s.Scan(&v)
		return v, err
	})
}
