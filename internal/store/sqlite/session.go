package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

const sessionColumns = `s.org_id, s.id, s.visitor_id, s.started_at, s.last_event_at, s.event_count, s.landing_url,
	s.referrer, s.device, s.browser, s.os, s.referrer_class, s.utm, s.ip_prefix, s.time_zone, s.language, s.received_at, s.ends_at`

// GetSession returns orgID's session id.
func (db *DB) GetSession(ctx context.Context, orgID, id string) (presage.Session, error) {
	row := db.hotQueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.org_id = ? AND s.id = ?`, orgID, id)
	s, err := scanSession(row)
	if err != nil {
		return presage.Session{}, fmt.Errorf("get session: %w", notFound(err))
	}
	return s, nil
}

// ListSessions lists orgID's sessions matching f, newest first.
func (db *DB) ListSessions(ctx context.Context, orgID string, f journey.SessionFilter, page presage.Page) ([]presage.Session, bool, error) {
	q := `SELECT ` + sessionColumns + ` FROM sessions s`
	if f.CustomerID != "" {
		q += ` JOIN visitors v ON v.org_id = s.org_id AND v.id = s.visitor_id`
	}
	q += ` WHERE s.org_id = ?`
	args := []any{orgID}
	if f.VisitorID != "" {
		q += ` AND s.visitor_id = ?`
		args = append(args, f.VisitorID)
	}
	if f.CustomerID != "" {
		q += ` AND v.customer_id = ?`
		args = append(args, f.CustomerID)
	}
	if a := page.After; a != nil {
		q += ` AND (s.started_at, s.id) < (?, ?)`
		args = append(args, unixMilli(a.T), a.ID)
	}
	q += ` ORDER BY s.started_at DESC, s.id DESC LIMIT ?`
	return list(ctx, db, "sessions", q, args, page, scanSession)
}

func scanSession(sc scanner) (presage.Session, error) {
	var s presage.Session
	var started, last, received, ends int64
	var utm string
	c := &s.Context
	if err := sc.Scan(&s.OrgID, &s.ID, &s.VisitorID, &started, &last, &s.EventCount, &s.LandingURL, &s.Referrer,
		&c.Device, &c.Browser, &c.OS, &c.ReferrerClass, &utm, &s.IPPrefix, &s.TimeZone, &s.Language, &received, &ends); err != nil {
		return presage.Session{}, err
	}
	if err := json.Unmarshal([]byte(utm), &c.UTM); err != nil {
		return presage.Session{}, fmt.Errorf("decode utm: %w", err)
	}
	s.StartedAt, s.LastEventAt, s.ReceivedAt, s.EndsAt = fromMS(started), fromMS(last), fromMS(received), fromMS(ends)
	return s, nil
}
