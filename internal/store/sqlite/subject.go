package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// inIDs is the SQL of "column is one of the ids of a JSON array argument":
// one bound parameter, whatever the number of ids, so a subject with
// thousands of visitors never reaches SQLite's variable limit.
const inIDs = ` IN (SELECT value FROM json_each(?))`

// idList returns ids as the JSON array inIDs reads.
func idList(ids []string) string {
	b, _ := json.Marshal(rowjson.NonNil(ids)) // a string slice always marshals
	return string(b)
}

// CountSubject counts the rows held about the customers and visitors.
func (db *DB) CountSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string) (map[string]int64, error) {
	cs, vs := idList(customerIDs), idList(visitorIDs)
	counts := []struct {
		key, query, ids string
	}{
		{"customers", `SELECT COUNT(*) FROM customers WHERE org_id = ? AND id` + inIDs, cs},
		{"identifiers", `SELECT COUNT(*) FROM customer_identifiers WHERE org_id = ? AND customer_id` + inIDs, cs},
		{"lookups", `SELECT COUNT(*) FROM customer_lookups WHERE org_id = ? AND customer_id` + inIDs, cs},
		{"visitors", `SELECT COUNT(*) FROM visitors WHERE org_id = ? AND id` + inIDs, vs},
		{"sessions", `SELECT COUNT(*) FROM sessions WHERE org_id = ? AND visitor_id` + inIDs, vs},
		{"events", `SELECT COUNT(*) FROM events WHERE org_id = ? AND visitor_id` + inIDs, vs},
		{"predictions", `SELECT COUNT(*) FROM predictions WHERE org_id = ? AND visitor_id` + inIDs, vs},
		{"achievements", `SELECT COUNT(*) FROM achievements WHERE org_id = ? AND visitor_id` + inIDs, vs},
	}
	out := make(map[string]int64, len(counts))
	for _, c := range counts {
		var n int64
		if err := db.read.QueryRowContext(ctx, c.query, orgID, c.ids).Scan(&n); err != nil {
			return nil, fmt.Errorf("count subject %s: %w", c.key, err)
		}
		out[c.key] = n
	}
	return out, nil
}

// EraseSubject deletes up to batch of the visitors' events and, once none
// is left, the rest of their journey and the customers.
func (db *DB) EraseSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string, batch int) (journey.Erased, bool, error) {
	if batch < 1 {
		return journey.Erased{}, false, fmt.Errorf("erase subject: batch must be positive, got %d", batch)
	}
	var out journey.Erased
	more := false
	cs, vs := idList(customerIDs), idList(visitorIDs)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		// By seq through events_visitor (whose rows end with the rowid, seq):
		// each batch starts where the last one stopped.
		n, err := execCount(ctx, tx, `DELETE FROM events WHERE seq IN (SELECT seq FROM events
			WHERE org_id = ? AND visitor_id`+inIDs+` ORDER BY seq LIMIT ?)`, orgID, vs, batch)
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		out.Events = n
		if n == int64(batch) {
			more = true
			return nil
		}
		steps := []struct {
			name, query, ids string
			count            *int64
		}{
			{"sessions", `DELETE FROM sessions WHERE org_id = ? AND visitor_id` + inIDs, vs, &out.Sessions},
			{"visitor keys", `DELETE FROM visitor_keys WHERE org_id = ? AND visitor_id` + inIDs, vs, &out.KeyRecords},
			{"visitors", `DELETE FROM visitors WHERE org_id = ? AND id` + inIDs, vs, &out.Visitors},
			{"unlink visitors", `UPDATE visitors SET customer_id = NULL WHERE org_id = ? AND customer_id` + inIDs, cs, new(int64)},
			{"identifiers", `DELETE FROM customer_identifiers WHERE org_id = ? AND customer_id` + inIDs, cs, &out.Identifiers},
			{"lookups", `DELETE FROM customer_lookups WHERE org_id = ? AND customer_id` + inIDs, cs, &out.Lookups},
			{"customers", `DELETE FROM customers WHERE org_id = ? AND id` + inIDs, cs, &out.Customers},
		}
		for _, s := range steps {
			if *s.count, err = execCount(ctx, tx, s.query, orgID, s.ids); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return journey.Erased{}, false, fmt.Errorf("erase subject: %w", err)
	}
	return out, more, nil
}

// execCount runs a statement in tx and returns how many rows it changed.
func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// VisitorEvents returns up to limit events of the visitor after afterSeq.
func (db *DB) VisitorEvents(ctx context.Context, orgID, visitorID string, afterSeq int64, limit int) ([]presage.Event, error) {
	if limit < 1 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, eventSelect+` WHERE org_id = ? AND visitor_id = ? AND seq > ?
		ORDER BY seq LIMIT ?`, orgID, visitorID, afterSeq, limit)
	evs, err := scanAll(rows, err, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("visitor events: %w", err)
	}
	return evs, nil
}

// UpdateEventTexts rewrites the free-text fields of each event.
func (db *DB) UpdateEventTexts(ctx context.Context, orgID string, events []presage.Event) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE events SET url = ?, title = ?, referrer = ?, attributes = ?
			WHERE org_id = ? AND id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range events {
			if _, err := stmt.ExecContext(ctx, e.URL, e.Title, e.Referrer, string(e.Attributes), orgID, e.ID); err != nil {
				return fmt.Errorf("event %s: %w", e.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update event texts: %w", err)
	}
	return nil
}

// UpdateSessionTexts rewrites the landing URL and referrer of each session.
func (db *DB) UpdateSessionTexts(ctx context.Context, orgID string, sessions []presage.Session) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE sessions SET landing_url = ?, referrer = ? WHERE org_id = ? AND id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, s := range sessions {
			if _, err := stmt.ExecContext(ctx, s.LandingURL, s.Referrer, orgID, s.ID); err != nil {
				return fmt.Errorf("session %s: %w", s.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update session texts: %w", err)
	}
	return nil
}

// PutTraits replaces the customer's traits.
func (db *DB) PutTraits(ctx context.Context, orgID, customerID string, traits json.RawMessage, at time.Time) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		n, err := execCount(ctx, tx, `UPDATE customers SET traits = ?, updated_at = MAX(updated_at, ?)
			WHERE org_id = ? AND id = ?`, string(traits), unixMilli(presage.StoredTime(at)), orgID, customerID)
		if err == nil && n == 0 {
			err = presage.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("put traits: %w", err)
	}
	return nil
}

// ReplaceIndex moves the customer's entries of kind from oldHash to newHash.
func (db *DB) ReplaceIndex(ctx context.Context, orgID, customerID, kind, oldHash, newHash string) error {
	if oldHash == newHash {
		return nil
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []struct{ table, conflict string }{
			{"customer_identifiers", "(org_id, kind, hash)"},
			{"customer_lookups", "(org_id, kind, hash, customer_id)"},
		} {
			n, err := execCount(ctx, tx, `DELETE FROM `+t.table+` WHERE org_id = ? AND kind = ? AND hash = ? AND customer_id = ?`,
				orgID, kind, oldHash, customerID)
			if err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
			if n == 0 || newHash == "" {
				continue // nothing to move, or a removal
			}
			// An identifier already owned by another customer stays theirs.
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (org_id, kind, hash, customer_id) VALUES (?, ?, ?, ?)
				ON CONFLICT `+t.conflict+` DO NOTHING`, orgID, kind, newHash, customerID); err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace index: %w", err)
	}
	return nil
}

// IndexKinds counts the customers' identifier and lookup entries by kind.
func (db *DB) IndexKinds(ctx context.Context, orgID string, customerIDs []string) ([]journey.IndexKind, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT customer_id, 'identifiers', kind, COUNT(*) FROM customer_identifiers
			WHERE org_id = ?1 AND customer_id IN (SELECT value FROM json_each(?2)) GROUP BY customer_id, kind
		UNION ALL SELECT customer_id, 'lookups', kind, COUNT(*) FROM customer_lookups
			WHERE org_id = ?1 AND customer_id IN (SELECT value FROM json_each(?2)) GROUP BY customer_id, kind
		ORDER BY 1, 2, 3`, orgID, idList(customerIDs))
	out, err := scanAll(rows, err, func(s scanner) (journey.IndexKind, error) {
		var k journey.IndexKind
		return k, s.Scan(&k.CustomerID, &k.Table, &k.Kind, &k.Count)
	})
	if err != nil {
		return nil, fmt.Errorf("index kinds: %w", err)
	}
	return out, nil
}
