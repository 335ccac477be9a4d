package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const eventSelect = `SELECT seq, org_id, id, session_id, visitor_id, type, name, occurred_at, received_at,
	url, title, referrer, attributes, context FROM events`

// ListEvents lists the events of orgID's session sessionID, oldest first.
func (db *DB) ListEvents(ctx context.Context, orgID, sessionID string, page presage.Page) ([]presage.Event, bool, error) {
	var q query
	q.sql = eventSelect + ` WHERE org_id = ` + q.arg(orgID) + ` AND session_id = ` + q.arg(sessionID)
	if a := page.After; a != nil {
		q.sql += ` AND (occurred_at, seq) > (` + q.arg(presage.StoredTime(a.T)) + `, ` + q.arg(a.Seq) + `)`
	}
	q.sql += ` ORDER BY occurred_at, seq`
	return list(ctx, db, "events", q, page, scanEvent)
}

func scanEvent(row pgx.Row) (presage.Event, error) {
	var e presage.Event
	var typ, attrs, ctxJSON string
	if err := row.Scan(&e.Seq, &e.OrgID, &e.ID, &e.SessionID, &e.VisitorID, &typ, &e.Name, &e.OccurredAt, &e.ReceivedAt,
		&e.URL, &e.Title, &e.Referrer, &attrs, &ctxJSON); err != nil {
		return presage.Event{}, err
	}
	if err := json.Unmarshal([]byte(ctxJSON), &e.Context); err != nil {
		return presage.Event{}, fmt.Errorf("decode event context: %w", err)
	}
	e.Type = presage.EventType(typ)
	e.Attributes = rowjson.Raw(attrs)
	e.OccurredAt, e.ReceivedAt = e.OccurredAt.UTC(), e.ReceivedAt.UTC()
	return e, nil
}
