package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// maxAttempts bounds retries of a commit aborted by a deadlock with another
// node's commit (the whole transaction rolled back, so a retry is safe).
const maxAttempts = 5

// CommitWrites applies writes in one transaction of a handful of round trips:
// identity locks, events, sessions, visitors (each one array statement), then
// identifications, then predictions and achievements (one array statement
// each, none when there are none).
func (db *DB) CommitWrites(ctx context.Context, writes []collect.Write) ([]collect.CommitResult, error) {
	if len(writes) == 0 {
		return []collect.CommitResult{}, nil
	}
	for attempt := 1; ; attempt++ {
		p, err := commitplan.New(writes)
		if err != nil {
			return nil, fmt.Errorf("commit writes: %w", err)
		}
		err = db.pool.tx(ctx, func(tx pgx.Tx) error { return commit(ctx, tx, p) })
		if err == nil {
			return p.Finish(), nil
		}
		if !isRetryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return nil, fmt.Errorf("commit writes: %w", err)
		}
		time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
	}
}

func commit(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	ids := p.Identifications()
	if err := lockIdentifiers(ctx, tx, ids); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, p); err != nil {
		return err
	}
	if err := upsertSessions(ctx, tx, p); err != nil {
		return err
	}
	if err := upsertVisitors(ctx, tx, p); err != nil {
		return err
	}
	for _, id := range ids {
		if err := identify(ctx, tx, id); err != nil {
			return err
		}
	}
	if err := upsertPredictions(ctx, tx, p); err != nil {
		return err
	}
	if err := insertVisitorKeys(ctx, tx, p); err != nil {
		return err
	}
	return insertAchievements(ctx, tx, p)
}

// identifyLockClass is the first key of the transaction advisory locks taken
// per identifier, so two nodes identifying one person take turns.
const identifyLockClass int32 = 0x70726573

// lockIdentifiers takes, in one sorted order, a transaction lock per
// identifier the commit will look up.
func lockIdentifiers(ctx context.Context, tx pgx.Tx, ids []commitplan.Identification) error {
	var keys []string
	for _, id := range ids {
		for _, ident := range id.Identifiers {
			keys = append(keys, id.OrgID+"/"+ident.Kind+"/"+ident.Hash)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(k)) FROM unnest($2::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n`,
		identifyLockClass, keys)
	if err != nil {
		return fmt.Errorf("lock identifiers: %w", err)
	}
	return nil
}

func insertEvents(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	n := len(p.Events)
	org, id, session, visitor, typ, name := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	occurred, received := make([]time.Time, n), make([]time.Time, n)
	url, title, ref, attrs, ectx := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i := range p.Events {
		e := &p.Events[i]
		org[i], id[i], session[i], visitor[i], typ[i], name[i] = e.Key.OrgID, e.Key.ID, e.SessionID, e.VisitorID, e.Type, e.Name
		occurred[i], received[i] = e.OccurredAt, e.ReceivedAt
		url[i], title[i], ref[i], attrs[i], ectx[i] = e.URL, e.Title, e.Referrer, e.Attributes, e.Context
	}
	rows, err := tx.Query(ctx, `INSERT INTO events (org_id, id, session_id, visitor_id, type, name, occurred_at, received_at,
			url, title, referrer, attributes, context)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
		ON CONFLICT (org_id, id) DO NOTHING
		RETURNING org_id, id, seq`,
		org, id, session, visitor, typ, name, occurred, received, url, title, ref, attrs, ectx)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	seqs := make(map[commitplan.Key]int64, n)
	var k commitplan.Key
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&k.OrgID, &k.ID, &seq}, func() error {
		seqs[k] = seq
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	p.Resolve(seqs)
	return nil
}

// upsertSessions inserts new sessions with their landing fields; existing ones
// only widen their time span and count the stored events. xmax = 0 marks the
// rows this statement inserted.
func upsertSessions(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	n := len(p.Sessions)
	org, id, visitor := make([]string, n), make([]string, n), make([]string, n)
	started, last, count := make([]time.Time, n), make([]time.Time, n), make([]int32, n)
	landing, ref, device, browser, os, class := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	utm, ip, tz, lang := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	received, ends := make([]time.Time, n), make([]time.Time, n)
	byKey := make(map[commitplan.Key]*commitplan.SessionRow, n)
	for i, s := range p.Sessions {
		byKey[commitplan.Key{OrgID: s.OrgID, ID: s.ID}] = s
		org[i], id[i], visitor[i] = s.OrgID, s.ID, s.VisitorID
		started[i], last[i], count[i] = s.StartedAt, s.LastEventAt, int32(s.Stored)
		landing[i], ref[i] = s.LandingURL, s.Referrer
		device[i], browser[i], os[i], class[i] = s.Context.Device, s.Context.Browser, s.Context.OS, s.Context.ReferrerClass
		utm[i], ip[i], tz[i], lang[i] = s.UTM, s.IPPrefix, s.TimeZone, s.Language
		received[i], ends[i] = s.ReceivedAt, s.EndsAt
	}
	rows, err := tx.Query(ctx, `INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count,
			landing_url, referrer, device, browser, os, referrer_class, utm, ip_prefix, time_zone, language, received_at, ends_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[],
			$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
			$17::timestamptz[], $18::timestamptz[])
		ON CONFLICT (org_id, id) DO UPDATE SET
			started_at = LEAST(sessions.started_at, EXCLUDED.started_at),
			last_event_at = GREATEST(sessions.last_event_at, EXCLUDED.last_event_at),
			event_count = sessions.event_count + EXCLUDED.event_count,
			-- only a batch that stored events extends the session, and one
			-- received after the session ended does not move its end
			-- (presage.Session.EndsAt)
			received_at = CASE WHEN EXCLUDED.event_count > 0
				THEN GREATEST(sessions.received_at, EXCLUDED.received_at) ELSE sessions.received_at END,
			ends_at = CASE WHEN EXCLUDED.event_count > 0 AND sessions.ends_at > EXCLUDED.received_at
				THEN GREATEST(sessions.ends_at, EXCLUDED.ends_at) ELSE sessions.ends_at END
		RETURNING org_id, id, (xmax = 0)`,
		org, id, visitor, started, last, count, landing, ref, device, browser, os, class, utm, ip, tz, lang, received, ends)
	if err != nil {
		return fmt.Errorf("upsert sessions: %w", err)
	}
	var k commitplan.Key
	var inserted bool
	_, err = pgx.ForEachRow(rows, []any{&k.OrgID, &k.ID, &inserted}, func() error {
		if s := byKey[k]; inserted && s != nil {
			p.Created(s)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upsert sessions: %w", err)
	}
	return nil
}

func upsertVisitors(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	n := len(p.Visitors)
	org, id := make([]string, n), make([]string, n)
	first, last, sessions := make([]time.Time, n), make([]time.Time, n), make([]int32, n)
	for i, v := range p.Visitors {
		org[i], id[i], first[i], last[i], sessions[i] = v.OrgID, v.ID, v.FirstSeenAt, v.LastSeenAt, int32(v.NewSessions)
	}
	_, err := tx.Exec(ctx, `INSERT INTO visitors (org_id, id, first_seen_at, last_seen_at, session_count)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[])
		ON CONFLICT (org_id, id) DO UPDATE SET
			first_seen_at = LEAST(visitors.first_seen_at, EXCLUDED.first_seen_at),
			last_seen_at = GREATEST(visitors.last_seen_at, EXCLUDED.last_seen_at),
			session_count = visitors.session_count + EXCLUDED.session_count`,
		org, id, first, last, sessions)
	if err != nil {
		return fmt.Errorf("upsert visitors: %w", err)
	}
	return nil
}

// upsertPredictions writes the plan's predictions, one row per key (the plan
// merged the writes: PostgreSQL refuses to update a row twice in one
// statement); a stored one takes the new values but keeps the higher maximum.
func upsertPredictions(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	n := len(p.Predictions)
	if n == 0 {
		return nil
	}
	org, session, outcome, visitor := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	prob, maxProb, pct := make([]float64, n), make([]float64, n), make([]float64, n)
	version, events := make([]int64, n), make([]int32, n)
	updated, history := make([]time.Time, n), make([]string, n)
	for i, r := range p.Predictions {
		org[i], session[i], outcome[i], visitor[i] = r.OrgID, r.SessionID, r.OutcomeID, r.VisitorID
		prob[i], maxProb[i], pct[i] = r.Probability, r.MaxProbability, r.Percentile
		version[i], events[i], updated[i], history[i] = r.ModelVersion, int32(r.Events), r.UpdatedAt, r.History
	}
	_, err := tx.Exec(ctx, `INSERT INTO predictions (org_id, session_id, outcome_id, visitor_id, probability, max_probability,
			percentile, model_version, events, updated_at, history)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[],
			$8::bigint[], $9::int[], $10::timestamptz[], $11::text[])
		ON CONFLICT (org_id, session_id, outcome_id) DO UPDATE SET
			probability = EXCLUDED.probability,
			max_probability = GREATEST(predictions.max_probability, EXCLUDED.max_probability),
			percentile = EXCLUDED.percentile,
			model_version = EXCLUDED.model_version,
			events = EXCLUDED.events,
			updated_at = EXCLUDED.updated_at,
			history = EXCLUDED.history`,
		org, session, outcome, visitor, prob, maxProb, pct, version, events, updated, history)
	if err != nil {
		return fmt.Errorf("upsert predictions: %w", err)
	}
	return nil
}

// insertAchievements inserts the plan's achievements; a stored one of the
// same (outcome, session) stays.
func insertAchievements(ctx context.Context, tx pgx.Tx, p *commitplan.Plan) error {
	n := len(p.Achievements)
	if n == 0 {
		return nil
	}
	org, outcome, session, visitor, event := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at, value := make([]time.Time, n), make([]*float64, n)
	for i, a := range p.Achievements {
		org[i], outcome[i], session[i], visitor[i], event[i] = a.OrgID, a.OutcomeID, a.SessionID, a.VisitorID, a.EventID
		at[i], value[i] = a.AchievedAt, a.Value
	}
	_, err := tx.Exec(ctx, `INSERT INTO achievements (org_id, outcome_id, session_id, visitor_id, event_id, achieved_at, value)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::float8[])
		ON CONFLICT (org_id, outcome_id, session_id) DO NOTHING`,
		org, outcome, session, visitor, event, at, value)
	if err != nil {
		return fmt.Errorf("insert achievements: %w", err)
	}
	return nil
}
