package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/journey"
)

// Purge deletes one batch of what the retention periods have expired:
// sessions, then visitors, then customers (see journey.SubjectStore).
func (db *DB) Purge(ctx context.Context, orgID string, c journey.PurgeCutoffs, batch int) (journey.Purged, bool, error) {
	if batch < 1 {
		return journey.Purged{}, false, fmt.Errorf("purge: batch must be positive, got %d", batch)
	}
	var out journey.Purged
	more := false
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if !c.SessionsBefore.IsZero() {
			full, err := purgeSessions(ctx, tx, orgID, unixMilli(c.SessionsBefore), batch, &out)
			if err != nil || full {
				more = full
				return err
			}
		}
		if !c.VisitorsBefore.IsZero() {
			ids, err := queryIDs(ctx, tx, `SELECT v.id FROM visitors v WHERE v.org_id = ? AND v.last_seen_at < ?
				AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.org_id = v.org_id AND s.visitor_id = v.id)
				ORDER BY v.last_seen_at, v.id LIMIT ?`, orgID, unixMilli(c.VisitorsBefore), batch)
			if err != nil {
				return fmt.Errorf("find visitors: %w", err)
			}
			if out.Visitors, err = execCount(ctx, tx, `DELETE FROM visitors WHERE org_id = ? AND id`+inIDs, orgID, idList(ids)); err != nil {
				return fmt.Errorf("visitors: %w", err)
			}
			out.VisitorIDs = ids
			if len(ids) == batch {
				more = true
				return nil
			}
		}
		if !c.CustomersBefore.IsZero() {
			ids, err := queryIDs(ctx, tx, `SELECT c.id FROM customers c WHERE c.org_id = ? AND c.updated_at < ?
				AND NOT EXISTS (SELECT 1 FROM visitors v WHERE v.org_id = c.org_id AND v.customer_id = c.id)
				ORDER BY c.updated_at, c.id LIMIT ?`, orgID, unixMilli(c.CustomersBefore), batch)
			if err != nil {
				return fmt.Errorf("find customers: %w", err)
			}
			cs := idList(ids)
			for _, s := range []struct {
				table, column string
				count         *int64
			}{
				{"customer_identifiers", "customer_id", &out.Identifiers},
				{"customer_lookups", "customer_id", &out.Lookups},
				{"customers", "id", &out.Customers},
			} {
				if *s.count, err = execCount(ctx, tx, `DELETE FROM `+s.table+` WHERE org_id = ? AND `+s.column+inIDs, orgID, cs); err != nil {
					return fmt.Errorf("%s: %w", s.table, err)
				}
			}
			out.CustomerIDs = ids
			more = len(ids) == batch
		}
		return nil
	})
	if err != nil {
		return journey.Purged{}, false, fmt.Errorf("purge: %w", err)
	}
	return out, more, nil
}

// purgeSessions deletes up to batch sessions whose last event is before
// the cutoff, with the rows that belong to them, and reports whether it
// filled the batch.
func purgeSessions(ctx context.Context, tx *sql.Tx, orgID string, before int64, batch int, out *journey.Purged) (bool, error) {
	ids, err := queryIDs(ctx, tx, `SELECT id FROM sessions WHERE org_id = ? AND last_event_at < ?
		ORDER BY last_event_at, id LIMIT ?`, orgID, before, batch)
	if err != nil {
		return false, fmt.Errorf("find sessions: %w", err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	ss := idList(ids)
	for _, s := range []struct {
		table, column string
		count         *int64
	}{
		{"events", "session_id", &out.Events},
		{"predictions", "session_id", &out.Predictions},
		{"achievements", "session_id", &out.Achievements},
		{"sessions", "id", &out.Sessions},
	} {
		if *s.count, err = execCount(ctx, tx, `DELETE FROM `+s.table+` WHERE org_id = ? AND `+s.column+inIDs, orgID, ss); err != nil {
			return false, fmt.Errorf("%s: %w", s.table, err)
		}
	}
	return len(ids) == batch, nil
}

// queryIDs runs a query of one text column in tx.
func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	return scanAll(rows, err, scanString)
}
