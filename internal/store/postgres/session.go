package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

const sessionColumns = `s.org_id, s.id, s.visitor_id, s.started_at, s.last_event_at, s.event_count, s.landing_url,
	s.referrer, s.device, s.browser, s.os, s.referrer_class, s.utm, s.ip_prefix, s.time_zone, s.language, s.received_at, s.ends_at`

// GetSession returns orgID's session id.
func (db *DB) GetSession(ctx context.Context, orgID, id string) (presage.Session, error) {
	s, err := scanSession(db.pool.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.org_id = $1 AND s.id = $2`, orgID, id))
	if err != nil {
		return presage.Session{}, fmt.Errorf("get session: %w", notFound(err))
	}
	return s, nil
}

// ListSessions lists orgID's sessions matching f, newest first.
func (db *DB) ListSessions(ctx context.Context, orgID string, f journey.SessionFilter, page presage.Page) ([]presage.Session, bool, error) {
	var q query
	q.sql = `SELECT ` + sessionColumns + ` FROM sessions s`
	if f.CustomerID != "" {
		q.sql += ` JOIN visitors v ON v.org_id = s.org_id AND v.id = s.visitor_id`
	}
	q.sql += ` WHERE s.org_id = ` + q.arg(orgID)
	if f.VisitorID != "" {
		q.sql += ` AND s.visitor_id = ` + q.arg(f.VisitorID)
	}
	if f.CustomerID != "" {
		q.sql += ` AND v.customer_id = ` + q.arg(f.CustomerID)
	}
	if a := page.After; a != nil {
		q.sql += ` AND (s.started_at, s.id) < (` + q.arg(presage.StoredTime(a.T)) + `, ` + q.arg(a.ID) + `)`
	}
	q.sql += ` ORDER BY s.started_at DESC, s.id DESC`
	return list(ctx, db, "sessions", q, page, scanSession)
}

func scanSession(row pgx.Row) (presage.Session, error) {
	var s presage.Session
	var count int32
	var utm string
	c := &s.Context
	if err := row.Scan(&s.OrgID, &s.ID, &s.VisitorID, &s.StartedAt, &s.LastEventAt, &count, &s.LandingURL, &s.Referrer,
		&c.Device, &c.Browser, &c.OS, &c.ReferrerClass, &utm, &s.IPPrefix, &s.TimeZone, &s.Language, &s.ReceivedAt, &s.EndsAt); err != nil {
		return presage.Session{}, err
	}
	if err := json.Unmarshal([]byte(utm), &c.UTM); err != nil {
		return presage.Session{}, fmt.Errorf("decode utm: %w", err)
	}
	s.EventCount = int(count)
	s.StartedAt, s.LastEventAt, s.ReceivedAt, s.EndsAt = s.StartedAt.UTC(), s.LastEventAt.UTC(), s.ReceivedAt.UTC(), s.EndsAt.UTC()
	return s, nil
}
