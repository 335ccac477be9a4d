package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

// Purge deletes one batch of what the retention periods have expired:
// sessions, then visitors, then customers (see journey.SubjectStore).
func (db *DB) Purge(ctx context.Context, orgID string, c journey.PurgeCutoffs, batch int) (journey.Purged, bool, error) {
	if batch < 1 {
		return journey.Purged{}, false, fmt.Errorf("purge: batch must be positive, got %d", batch)
	}
	var out journey.Purged
	more := false
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		out, more = journey.Purged{}, false
		if !c.SessionsBefore.IsZero() {
			full, err := purgeSessions(ctx, tx, orgID, c.SessionsBefore, batch, &out)
			if err != nil || full {
				more = full
				return err
			}
		}
		if !c.VisitorsBefore.IsZero() {
			ids, err := deleteIDs(ctx, tx, `DELETE FROM visitors WHERE org_id = $1 AND id IN (
				SELECT v.id FROM visitors v WHERE v.org_id = $1 AND v.last_seen_at < $2
					AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.org_id = v.org_id AND s.visitor_id = v.id)
				ORDER BY v.last_seen_at, v.id LIMIT $3) RETURNING id`, orgID, presage.StoredTime(c.VisitorsBefore), batch)
			if err != nil {
				return fmt.Errorf("visitors: %w", err)
			}
			out.VisitorIDs, out.Visitors = ids, int64(len(ids))
			if len(ids) == batch {
				more = true
				return nil
			}
		}
		if !c.CustomersBefore.IsZero() {
			ids, err := deleteIDs(ctx, tx, `DELETE FROM customers WHERE org_id = $1 AND id IN (
				SELECT c.id FROM customers c WHERE c.org_id = $1 AND c.updated_at < $2
					AND NOT EXISTS (SELECT 1 FROM visitors v WHERE v.org_id = c.org_id AND v.customer_id = c.id)
				ORDER BY c.updated_at, c.id LIMIT $3) RETURNING id`, orgID, presage.StoredTime(c.CustomersBefore), batch)
			if err != nil {
				return fmt.Errorf("customers: %w", err)
			}
			out.CustomerIDs, out.Customers = ids, int64(len(ids))
			for _, s := range []struct {
				table string
				count *int64
			}{{"customer_identifiers", &out.Identifiers}, {"customer_lookups", &out.Lookups}} {
				tag, err := tx.Exec(ctx, `DELETE FROM `+s.table+` WHERE org_id = $1 AND customer_id = ANY($2::text[])`, orgID, ids)
				if err != nil {
					return fmt.Errorf("%s: %w", s.table, err)
				}
				*s.count = tag.RowsAffected()
			}
			more = len(ids) == batch
		}
		return nil
	})
	if err != nil {
		return journey.Purged{}, false, fmt.Errorf("purge: %w", err)
	}
	return out, more, nil
}

// purgeSessions deletes up to batch sessions whose last event is before the
// cutoff, with the rows that belong to them, and reports whether it filled
// the batch.
func purgeSessions(ctx context.Context, tx pgx.Tx, orgID string, before time.Time, batch int, out *journey.Purged) (bool, error) {
	ids, err := deleteIDs(ctx, tx, `DELETE FROM sessions WHERE org_id = $1 AND id IN (
		SELECT id FROM sessions WHERE org_id = $1 AND last_event_at < $2 ORDER BY last_event_at, id LIMIT $3)
		RETURNING id`, orgID, presage.StoredTime(before), batch)
	if err != nil {
		return false, fmt.Errorf("sessions: %w", err)
	}
	out.Sessions = int64(len(ids))
	if len(ids) == 0 {
		return false, nil
	}
	for _, s := range []struct {
		table string
		count *int64
	}{{"events", &out.Events}, {"predictions", &out.Predictions}, {"achievements", &out.Achievements}} {
		tag, err := tx.Exec(ctx, `DELETE FROM `+s.table+` WHERE org_id = $1 AND session_id = ANY($2::text[])`, orgID, ids)
		if err != nil {
			return false, fmt.Errorf("%s: %w", s.table, err)
		}
		*s.count = tag.RowsAffected()
	}
	return len(ids) == batch, nil
}

// deleteIDs runs a DELETE … RETURNING id in tx and returns the ids.
func deleteIDs(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	return scanAll(rows, err, scanString)
}
