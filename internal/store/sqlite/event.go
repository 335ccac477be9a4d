package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const eventSelect = `SELECT seq, org_id, id, session_id, visitor_id, type, name, occurred_at, received_at,
	url, title, referrer, attributes, context FROM events`

// ListEvents lists the events of orgID's session sessionID, oldest first.
func (db *DB) ListEvents(ctx context.Context, orgID, sessionID string, page presage.Page) ([]presage.Event, bool, error) {
	q := eventSelect + ` WHERE org_id = ? AND session_id = ?`
	args := []any{orgID, sessionID}
	if a := page.After; a != nil {
		q += ` AND (occurred_at, seq) > (?, ?)`
		args = append(args, unixMilli(a.T), a.Seq)
	}
	q += ` ORDER BY occurred_at, seq LIMIT ?`
	return list(ctx, db, "events", q, args, page, scanEvent)
}

func scanEvent(s scanner) (presage.Event, error) {
	var e presage.Event
	var occurred, received int64
	var attrs, ctxJSON string
	if err := s.Scan(&e.Seq, &e.OrgID, &e.ID, &e.SessionID, &e.VisitorID, &e.Type, &e.Name, &occurred, &received,
		&e.URL, &e.Title, &e.Referrer, &attrs, &ctxJSON); err != nil {
		return presage.Event{}, err
	}
	if err := json.Unmarshal([]byte(ctxJSON), &e.Context); err != nil {
		return presage.Event{}, fmt.Errorf("decode event context: %w", err)
	}
	e.Attributes = rowjson.Raw(attrs)
	e.OccurredAt, e.ReceivedAt = fromMS(occurred), fromMS(received)
	return e, nil
}
