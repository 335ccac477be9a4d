package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// CommitWrites applies writes in one transaction: events first (to learn which
// are new), then sessions, visitors and identifications. Every kind of row
// goes in multi-row statements, so a transaction runs a handful of statements
// whatever the number of writes it groups.
func (db *DB) CommitWrites(ctx context.Context, writes []collect.Write) ([]collect.Outcome, error) {
	if len(writes) == 0 {
		return []collect.Outcome{}, nil
	}
	p, err := commitplan.New(writes)
	if err != nil {
		return nil, fmt.Errorf("commit writes: %w", err)
	}
	ids := p.Identifications()
	if err := db.prepare(ctx, p, len(ids) > 0); err != nil {
		return nil, fmt.Errorf("commit writes: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := db.insertEvents(ctx, tx, p); err != nil {
			return err
		}
		if err := db.upsertSessions(ctx, tx, p); err != nil {
			return err
		}
		if err := db.upsertVisitors(ctx, tx, p); err != nil {
			return err
		}
		for _, id := range ids {
			if err := db.identify(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("commit writes: %w", err)
	}
	return p.Finish(), nil
}

// Multi-row statements bind columns × rows variables (SQLite allows 32766).
// Their text depends on the row count, and each text is prepared once and
// kept, so chunks takes row counts from a small set: any count up to
// exactChunk, else a power of two up to the statement's maximum.
const (
	eventCols    = 13
	eventChunk   = 256
	sessionCols  = 16
	sessionChunk = 256
	visitorCols  = 5
	visitorChunk = 512
	exactChunk   = 32
)

// chunks splits n rows into statement sizes: at most max, exact up to
// exactChunk, else powers of two.
func chunks(n, max int) []int {
	var out []int
	for n > 0 {
		size := min(n, max)
		if size > exactChunk {
			size = exactChunk
			for size*2 <= min(n, max) {
				size *= 2
			}
		}
		out = append(out, size)
		n -= size
	}
	return out
}

// placeholders returns n comma-separated groups of cols placeholders.
func placeholders(n, cols int) string {
	group := "(" + strings.Repeat("?,", cols-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(group) + 1))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}

// insertEventsSQL inserts n events. OR IGNORE skips an event whose (org_id, id)
// is stored already (the dedupe); every other constraint holds for the values
// bound, so nothing else can be ignored. Unlike ON CONFLICT … DO NOTHING it
// lets SQLite skip the statement journal. RETURNING lists the rows inserted.
func insertEventsSQL(n int) string {
	return `INSERT OR IGNORE INTO events (org_id, id, session_id, visitor_id, type, name, occurred_at, received_at, url, title, referrer, attributes, context) VALUES ` +
		placeholders(n, eventCols) + ` RETURNING org_id, id, seq`
}

func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	seqs := make(map[commitplan.Key]int64, len(p.Events))
	args := make([]any, 0, eventCols*min(len(p.Events), eventChunk))
	start := 0
	for _, n := range chunks(len(p.Events), eventChunk) {
		chunk := p.Events[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, insertEventsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare insert events: %w", err)
		}
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			args = append(args, e.Key.OrgID, e.Key.ID, e.SessionID, e.VisitorID, e.Type, e.Name,
				ms(e.OccurredAt), ms(e.ReceivedAt), e.URL, e.Title, e.Referrer, e.Attributes, e.Context)
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		for rows.Next() {
			var k commitplan.Key
			var seq int64
			if err := rows.Scan(&k.OrgID, &k.ID, &seq); err != nil {
				rows.Close()
				return fmt.Errorf("insert events: %w", err)
			}
			seqs[k] = seq
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}
	p.Resolve(seqs)
	return nil
}

// existingSessionsSQL lists which of n sessions are stored already.
func existingSessionsSQL(n int) string {
	return `SELECT org_id, id FROM sessions WHERE (org_id, id) IN (VALUES ` + placeholders(n, 2) + `)`
}

// upsertSessionsSQL inserts n sessions with their landing fields; an existing
// one only widens its time span and counts the stored events.
func upsertSessionsSQL(n int) string {
	return `INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count,
		landing_url, referrer, device, browser, os, referrer_class, utm, ip_prefix, time_zone, language)
		VALUES ` + placeholders(n, sessionCols) + ` ON CONFLICT (org_id, id) DO UPDATE SET
		started_at = MIN(started_at, excluded.started_at),
		last_event_at = MAX(last_event_at, excluded.last_event_at),
		event_count = event_count + excluded.event_count`
}

// upsertVisitorsSQL upserts n visitors.
func upsertVisitorsSQL(n int) string {
	return `INSERT INTO visitors (org_id, id, first_seen_at, last_seen_at, session_count)
		VALUES ` + placeholders(n, visitorCols) + ` ON CONFLICT (org_id, id) DO UPDATE SET
		first_seen_at = MIN(first_seen_at, excluded.first_seen_at),
		last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
		session_count = session_count + excluded.session_count`
}

// upsertSessions first learns which sessions exist (the single write
// connection serializes commits, so the answer holds until the upsert), marks
// the others created, then upserts all of them.
func (db *DB) upsertSessions(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	var existing []commitplan.Key
	args := make([]any, 0, sessionCols*min(len(p.Sessions), sessionChunk))
	start := 0
	for _, n := range chunks(len(p.Sessions), sessionChunk) {
		chunk := p.Sessions[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, existingSessionsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare find sessions: %w", err)
		}
		args = args[:0]
		for _, s := range chunk {
			args = append(args, s.OrgID, s.ID)
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("find sessions: %w", err)
		}
		for rows.Next() {
			var k commitplan.Key
			if err := rows.Scan(&k.OrgID, &k.ID); err != nil {
				rows.Close()
				return fmt.Errorf("find sessions: %w", err)
			}
			existing = append(existing, k)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("find sessions: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find sessions: %w", err)
		}
	}
	found := make(map[commitplan.Key]struct{}, len(existing))
	for _, k := range existing {
		found[k] = struct{}{}
	}
	for _, s := range p.Sessions {
		if _, ok := found[commitplan.Key{OrgID: s.OrgID, ID: s.ID}]; !ok {
			p.Created(s)
		}
	}
	start = 0
	for _, n := range chunks(len(p.Sessions), sessionChunk) {
		chunk := p.Sessions[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, upsertSessionsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare upsert sessions: %w", err)
		}
		args = args[:0]
		for _, s := range chunk {
			c := s.Context
			args = append(args, s.OrgID, s.ID, s.VisitorID, ms(s.StartedAt), ms(s.LastEventAt), s.Stored,
				s.LandingURL, s.Referrer, c.Device, c.Browser, c.OS, c.ReferrerClass, s.UTM, s.IPPrefix, s.TimeZone, s.Language)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert sessions: %w", err)
		}
	}
	return nil
}

func (db *DB) upsertVisitors(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	args := make([]any, 0, visitorCols*min(len(p.Visitors), visitorChunk))
	start := 0
	for _, n := range chunks(len(p.Visitors), visitorChunk) {
		chunk := p.Visitors[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, upsertVisitorsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare upsert visitors: %w", err)
		}
		args = args[:0]
		for _, v := range chunk {
			args = append(args, v.OrgID, v.ID, ms(v.FirstSeenAt), ms(v.LastSeenAt), v.NewSessions)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert visitors: %w", err)
		}
	}
	return nil
}

// prepare readies the commit statements plan needs on the write connection.
// It runs before the transaction: that one connection is busy inside it.
func (db *DB) prepare(ctx context.Context, p *commitplan.Plan, identify bool) error {
	var queries []string
	for _, n := range chunks(len(p.Events), eventChunk) {
		queries = append(queries, insertEventsSQL(n))
	}
	for _, n := range chunks(len(p.Sessions), sessionChunk) {
		queries = append(queries, existingSessionsSQL(n), upsertSessionsSQL(n))
	}
	for _, n := range chunks(len(p.Visitors), visitorChunk) {
		queries = append(queries, upsertVisitorsSQL(n))
	}
	if identify {
		queries = append(queries, identifySQL[:]...)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, q := range queries {
		if _, ok := db.stmts[q]; ok {
			continue
		}
		s, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		db.stmts[q] = s
	}
	return nil
}

// stmt returns the prepared query bound to tx (prepare made it).
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	s, ok := db.stmts[query]
	db.mu.Unlock()
	if !ok {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, s), nil
}
