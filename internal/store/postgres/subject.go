package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// CountSubject counts the rows held about the customers and visitors.
func (db *DB) CountSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string) (map[string]int64, error) {
	cs, vs := rowjson.NonNil(customerIDs), rowjson.NonNil(visitorIDs)
	counts := []struct {
		key, query string
		ids        []string
	}{
		{"customers", `SELECT COUNT(*) FROM customers WHERE org_id = $1 AND id = ANY($2::text[])`, cs},
		{"identifiers", `SELECT COUNT(*) FROM customer_identifiers WHERE org_id = $1 AND customer_id = ANY($2::text[])`, cs},
		{"lookups", `SELECT COUNT(*) FROM customer_lookups WHERE org_id = $1 AND customer_id = ANY($2::text[])`, cs},
		{"visitors", `SELECT COUNT(*) FROM visitors WHERE org_id = $1 AND id = ANY($2::text[])`, vs},
		{"sessions", `SELECT COUNT(*) FROM sessions WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, vs},
		{"events", `SELECT COUNT(*) FROM events WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, vs},
		{"predictions", `SELECT COUNT(*) FROM predictions WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, vs},
		{"achievements", `SELECT COUNT(*) FROM achievements WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, vs},
	}
	out := make(map[string]int64, len(counts))
	for _, c := range counts {
		var n int64
		if err := db.pool.queryRow(ctx, c.query, orgID, c.ids).Scan(&n); err != nil {
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
	cs, vs := rowjson.NonNil(customerIDs), rowjson.NonNil(visitorIDs)
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		out, more = journey.Erased{}, false // a retried transaction starts over
		tag, err := tx.Exec(ctx, `DELETE FROM events WHERE seq IN (SELECT seq FROM events
			WHERE org_id = $1 AND visitor_id = ANY($2::text[]) ORDER BY seq LIMIT $3)`, orgID, vs, batch)
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if out.Events = tag.RowsAffected(); out.Events == int64(batch) {
			more = true
			return nil
		}
		steps := []struct {
			name, query string
			ids         []string
			count       *int64
		}{
			{"sessions", `DELETE FROM sessions WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, vs, &out.Sessions},
			{"visitor keys", `DELETE FROM visitor_keys WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, vs, &out.KeyRecords},
			{"visitors", `DELETE FROM visitors WHERE org_id = $1 AND id = ANY($2::text[])`, vs, &out.Visitors},
			{"unlink visitors", `UPDATE visitors SET customer_id = NULL WHERE org_id = $1 AND customer_id = ANY($2::text[])`, cs, new(int64)},
			{"identifiers", `DELETE FROM customer_identifiers WHERE org_id = $1 AND customer_id = ANY($2::text[])`, cs, &out.Identifiers},
			{"lookups", `DELETE FROM customer_lookups WHERE org_id = $1 AND customer_id = ANY($2::text[])`, cs, &out.Lookups},
			{"customers", `DELETE FROM customers WHERE org_id = $1 AND id = ANY($2::text[])`, cs, &out.Customers},
		}
		for _, s := range steps {
			tag, err := tx.Exec(ctx, s.query, orgID, s.ids)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			*s.count = tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return journey.Erased{}, false, fmt.Errorf("erase subject: %w", err)
	}
	return out, more, nil
}

// VisitorEvents returns up to limit events of the visitor after afterSeq.
func (db *DB) VisitorEvents(ctx context.Context, orgID, visitorID string, afterSeq int64, limit int) ([]presage.Event, error) {
	if limit < 1 {
		return nil, nil
	}
	rows, err := db.pool.query(ctx, eventSelect+` WHERE org_id = $1 AND visitor_id = $2 AND seq > $3
		ORDER BY seq LIMIT $4`, orgID, visitorID, afterSeq, limit)
	evs, err := scanAll(rows, err, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("visitor events: %w", err)
	}
	return evs, nil
}

// UpdateEventTexts rewrites the free-text fields of each event, in one
// statement.
func (db *DB) UpdateEventTexts(ctx context.Context, orgID string, events []presage.Event) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	id, url, title, ref, attrs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		id[i], url[i], title[i], ref[i], attrs[i] = e.ID, e.URL, e.Title, e.Referrer, string(e.Attributes)
	}
	if _, err := db.pool.exec(ctx, `UPDATE events e SET url = u.url, title = u.title, referrer = u.referrer, attributes = u.attributes
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u (id, url, title, referrer, attributes)
		WHERE e.org_id = $1 AND e.id = u.id`, orgID, id, url, title, ref, attrs); err != nil {
		return fmt.Errorf("update event texts: %w", err)
	}
	return nil
}

// UpdateSessionTexts rewrites the landing URL and referrer of each session.
func (db *DB) UpdateSessionTexts(ctx context.Context, orgID string, sessions []presage.Session) error {
	if len(sessions) == 0 {
		return nil
	}
	n := len(sessions)
	id, landing, ref := make([]string, n), make([]string, n), make([]string, n)
	for i, s := range sessions {
		id[i], landing[i], ref[i] = s.ID, s.LandingURL, s.Referrer
	}
	if _, err := db.pool.exec(ctx, `UPDATE sessions s SET landing_url = u.landing_url, referrer = u.referrer
		FROM unnest($2::text[], $3::text[], $4::text[]) AS u (id, landing_url, referrer)
		WHERE s.org_id = $1 AND s.id = u.id`, orgID, id, landing, ref); err != nil {
		return fmt.Errorf("update session texts: %w", err)
	}
	return nil
}

// PutTraits replaces the customer's traits.
func (db *DB) PutTraits(ctx context.Context, orgID, customerID string, traits json.RawMessage, at time.Time) error {
	tag, err := db.pool.exec(ctx, `UPDATE customers SET traits = $1, updated_at = GREATEST(updated_at, $2)
		WHERE org_id = $3 AND id = $4`, string(traits), presage.StoredTime(at), orgID, customerID)
	if err != nil {
		return fmt.Errorf("put traits: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("put traits: %w", presage.ErrNotFound)
	}
	return nil
}

// ReplaceIndex moves the customer's entries of kind from oldHash to newHash.
func (db *DB) ReplaceIndex(ctx context.Context, orgID, customerID, kind, oldHash, newHash string) error {
	if oldHash == newHash {
		return nil
	}
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		for _, t := range []struct{ table, conflict string }{
			{"customer_identifiers", "(org_id, kind, hash)"},
			{"customer_lookups", "(org_id, kind, hash, customer_id)"},
		} {
			tag, err := tx.Exec(ctx, `DELETE FROM `+t.table+` WHERE org_id = $1 AND kind = $2 AND hash = $3 AND customer_id = $4`,
				orgID, kind, oldHash, customerID)
			if err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
			if tag.RowsAffected() == 0 || newHash == "" {
				continue // nothing to move, or a removal
			}
			// An identifier already owned by another customer stays theirs.
			if _, err := tx.Exec(ctx, `INSERT INTO `+t.table+` (org_id, kind, hash, customer_id) VALUES ($1, $2, $3, $4)
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
	// Ordered byte-wise (COLLATE "C"), the way SQLite and Go compare ids.
	rows, err := db.pool.query(ctx, `SELECT * FROM (
			SELECT customer_id, 'identifiers', kind, COUNT(*) FROM customer_identifiers
				WHERE org_id = $1 AND customer_id = ANY($2::text[]) GROUP BY customer_id, kind
			UNION ALL SELECT customer_id, 'lookups', kind, COUNT(*) FROM customer_lookups
				WHERE org_id = $1 AND customer_id = ANY($2::text[]) GROUP BY customer_id, kind
		) AS k (customer_id, tbl, kind, n)
		ORDER BY customer_id COLLATE "C", tbl COLLATE "C", kind COLLATE "C"`, orgID, rowjson.NonNil(customerIDs))
	out, err := scanAll(rows, err, func(row pgx.Row) (journey.IndexKind, error) {
		var k journey.IndexKind
		return k, row.Scan(&k.CustomerID, &k.Table, &k.Kind, &k.Count)
	})
	if err != nil {
		return nil, fmt.Errorf("index kinds: %w", err)
	}
	return out, nil
}
