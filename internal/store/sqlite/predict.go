package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
)

// SessionEvents returns every event of orgID's session in Seq order.
func (db *DB) SessionEvents(ctx context.Context, orgID, sessionID string) ([]presage.Event, error) {
	rows, err := db.hotQuery(ctx, eventSelect+` WHERE org_id = ? AND session_id = ? ORDER BY seq`, orgID, sessionID)
	evs, err := scanAll(rows, err, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("session events: %w", err)
	}
	return evs, nil
}

// VisitorHistory summarizes visitorID's sessions but exceptSessionID that
// started before before. It runs on the request path for every new
// session, so it asks for achievements only when there are earlier sessions
// (most visitors are new).
func (db *DB) VisitorHistory(ctx context.Context, orgID, visitorID, exceptSessionID string, before time.Time) (predict.VisitorHistory, error) {
	var h predict.VisitorHistory
	var last sql.NullInt64
	const past = ` WHERE s.org_id = ?1 AND s.visitor_id = ?2 AND s.id <> ?3 AND s.started_at < ?4`
	if err := db.hotQueryRow(ctx, `SELECT COUNT(*), MAX(s.last_event_at) FROM sessions s`+past,
		orgID, visitorID, exceptSessionID, unixMilli(before)).Scan(&h.PastSessions, &last); err != nil {
		return predict.VisitorHistory{}, fmt.Errorf("visitor history: %w", err)
	}
	if h.PastSessions == 0 {
		return h, nil
	}
	h.LastVisit = fromNullMS(last)
	if cut := fromMS(unixMilli(before)); h.LastVisit.After(cut) { // as known when the session started
		h.LastVisit = cut
	}
	rows, err := db.hotQuery(ctx, `SELECT DISTINCT a.outcome_id FROM sessions s
		JOIN achievements a ON a.org_id = s.org_id AND a.session_id = s.id`+past+` AND a.achieved_at < ?4`,
		orgID, visitorID, exceptSessionID, unixMilli(before))
	achieved, err := scanAll(rows, err, func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
	if err != nil {
		return predict.VisitorHistory{}, fmt.Errorf("visitor history: achievements: %w", err)
	}
	if len(achieved) > 0 {
		slices.Sort(achieved)
		h.Achieved = achieved
	}
	return h, nil
}

const predictionColumns = `org_id, session_id, visitor_id, outcome_id, probability, max_probability, percentile,
	model_version, events, updated_at, history`

// SessionPredictions returns the stored predictions of orgID's session, by
// outcome id.
func (db *DB) SessionPredictions(ctx context.Context, orgID, sessionID string) ([]presage.Prediction, error) {
	rows, err := db.hotQuery(ctx, `SELECT `+predictionColumns+` FROM predictions
		WHERE org_id = ? AND session_id = ? ORDER BY outcome_id`, orgID, sessionID)
	out, err := scanAll(rows, err, scanPrediction)
	if err != nil {
		return nil, fmt.Errorf("session predictions: %w", err)
	}
	return out, nil
}

func scanPrediction(s scanner) (presage.Prediction, error) {
	var p presage.Prediction
	var updated int64
	var history string
	if err := s.Scan(&p.OrgID, &p.SessionID, &p.VisitorID, &p.OutcomeID, &p.Probability, &p.MaxProbability, &p.Percentile,
		&p.ModelVersion, &p.Events, &updated, &history); err != nil {
		return presage.Prediction{}, err
	}
	h, err := outcomerow.DecodeHistory(history)
	if err != nil {
		return presage.Prediction{}, err
	}
	p.History, p.UpdatedAt = h, fromMS(updated)
	return p, nil
}

// SessionAchievements returns the achievements of orgID's session, oldest
// first.
func (db *DB) SessionAchievements(ctx context.Context, orgID, sessionID string) ([]presage.Achievement, error) {
	rows, err := db.hotQuery(ctx, outcomerow.AchievementSelect+` WHERE a.org_id = ? AND a.session_id = ?
		ORDER BY a.achieved_at, a.outcome_id`, orgID, sessionID)
	out, err := scanAll(rows, err, scanAchievement)
	if err != nil {
		return nil, fmt.Errorf("session achievements: %w", err)
	}
	return out, nil
}

// OrganizationsWithOutcomes lists the organizations that define an outcome.
func (db *DB) OrganizationsWithOutcomes(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT org_id FROM outcomes ORDER BY org_id`)
	out, err := scanAll(rows, err, scanString)
	if err != nil {
		return nil, fmt.Errorf("organizations with outcomes: %w", err)
	}
	return out, nil
}

func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

// EndedSessions returns up to limit sessions after the cursor in
// (EndsAt, ID) order that ended before endedBefore.
func (db *DB) EndedSessions(ctx context.Context, orgID string, after presage.Cursor, endedBefore time.Time, limit int) ([]presage.Session, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.org_id = ? AND (s.ends_at, s.id) > (?, ?) AND s.ends_at < ?
		ORDER BY s.ends_at, s.id LIMIT ?`, orgID, unixMilli(after.T), after.ID, unixMilli(endedBefore), limit)
	out, err := scanAll(rows, err, scanSession)
	if err != nil {
		return nil, fmt.Errorf("ended sessions: %w", err)
	}
	return out, nil
}
