package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
	"sync"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// CommitWrites applies writes in one transaction: events first (to learn which
// are new), then sessions, visitors, identifications, predictions and
// achievements. Every kind of row goes in multi-row statements, so a
// transaction runs a handful of statements whatever the number of writes it
// groups (and none for a kind it has no rows of).
func (db *DB) CommitWrites(ctx context.Context, writes []collect.Write) ([]collect.CommitResult, error) {
	if len(writes) == 0 {
		return []collect.CommitResult{}, nil
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
		if err := db.upsertPredictions(ctx, tx, p); err != nil {
			return err
		}
		if err := db.insertVisitorKeys(ctx, tx, p); err != nil {
			return err
		}
		return db.insertAchievements(ctx, tx, p)
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
	eventCols        = 13
	eventChunk       = 256
	sessionCols      = 18
	sessionChunk     = 256
	visitorCols      = 5
	visitorChunk     = 512
	touchCols        = 4 // visitors; sessions bind 6 (touchSessionCols)
	touchSessionCols = 6
	touchChunk       = 512
	exactChunk       = 32

	predictionCols   = 11
	predictionChunk  = 256
	achievementCols  = 7
	achievementChunk = 256
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

// The statement texts by row count, built once: a commit asks for them
// several times, and the worker is the bottleneck.
var (
	insertEventsSQL       = memo(buildInsertEventsSQL)
	existingSessionsSQL   = memo(buildExistingSessionsSQL)
	upsertSessionsSQL     = memo(buildUpsertSessionsSQL)
	touchSessionsSQL      = memo(buildTouchSessionsSQL)
	existingVisitorsSQL   = memo(buildExistingVisitorsSQL)
	upsertVisitorsSQL     = memo(buildUpsertVisitorsSQL)
	touchVisitorsSQL      = memo(buildTouchVisitorsSQL)
	upsertPredictionsSQL  = memo(buildUpsertPredictionsSQL)
	insertAchievementsSQL = memo(buildInsertAchievementsSQL)
)

// memo returns build with its results kept (row counts are small and few).
func memo(build func(n int) string) func(n int) string {
	var mu sync.Mutex
	texts := map[int]string{}
	return func(n int) string {
		mu.Lock()
		defer mu.Unlock()
		t, ok := texts[n]
		if !ok {
			t = build(n)
			texts[n] = t
		}
		return t
	}
}

// chunkSizes yields every statement size chunks can produce for any count up
// to n: all counts up to exactChunk, then the powers of two up to max.
func chunkSizes(n, max int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for size := 1; size <= min(n, max); size++ {
			if size > exactChunk && size&(size-1) != 0 {
				continue
			}
			if !yield(size) {
				return
			}
		}
	}
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

// buildInsertEventsSQL returns the statement that inserts n events. OR IGNORE
// skips an event whose (org_id, id) is stored already (the dedupe); every other
// constraint holds for the values bound, so nothing else can be ignored. Unlike
// ON CONFLICT … DO NOTHING it lets SQLite skip the statement journal. RETURNING
// lists the rows inserted.
func buildInsertEventsSQL(n int) string {
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
				unixMilli(e.OccurredAt), unixMilli(e.ReceivedAt), e.URL, e.Title, e.Referrer, e.Attributes, e.Context)
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

// buildExistingSessionsSQL returns the statement that lists which of n sessions
// are stored already, with the columns that decide how each is updated.
func buildExistingSessionsSQL(n int) string {
	return `SELECT org_id, id, started_at, last_event_at FROM sessions WHERE (org_id, id) IN (VALUES ` +
		placeholders(n, 2) + `)`
}

// buildUpsertSessionsSQL returns the statement that inserts n sessions with
// their landing fields; an existing one only widens its time span and counts
// the stored events. It is used for new sessions and for the rare existing one
// whose start moves earlier.
func buildUpsertSessionsSQL(n int) string {
	return `INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count,
		landing_url, referrer, device, browser, os, referrer_class, utm, ip_prefix, time_zone, language, received_at, ends_at)
		VALUES ` + placeholders(n, sessionCols) + ` ON CONFLICT (org_id, id) DO UPDATE SET
		started_at = MIN(started_at, excluded.started_at),
		last_event_at = MAX(last_event_at, excluded.last_event_at),
		event_count = event_count + excluded.event_count,
		received_at = MAX(received_at, excluded.received_at),
		` + endsAtUpdate("ends_at", "excluded.received_at", "excluded.ends_at")
}

// endsAtUpdate returns the assignment of a stored session's ends_at given
// a batch received at received whose session would end at ends: a batch
// received while the session was open moves its end, one received after
// its end does not (presage.Session.EndsAt).
func endsAtUpdate(stored, received, ends string) string {
	return `ends_at = CASE WHEN ` + stored + ` > ` + received + ` THEN MAX(` + stored + `, ` + ends + `) ELSE ` + stored + ` END`
}

// buildTouchSessionsSQL returns the statement that updates n existing sessions
// whose start does not move: only last_event_at and event_count, so SQLite
// rewrites the row and sessions_last_event (the trainer's scan) but leaves
// sessions_started and sessions_visitor alone. Each row binds (org_id, id,
// last_event_at, stored events).
func buildTouchSessionsSQL(n int) string {
	return `UPDATE sessions SET last_event_at = MAX(sessions.last_event_at, v.column3),
		event_count = sessions.event_count + v.column4,
		received_at = MAX(sessions.received_at, v.column5),
		` + endsAtUpdate("sessions.ends_at", "v.column5", "v.column6") + `
		FROM (VALUES ` + placeholders(n, touchSessionCols) + `) AS v
		WHERE sessions.org_id = v.column1 AND sessions.id = v.column2`
}

// buildExistingVisitorsSQL returns the statement that lists which of n visitors
// are stored already.
func buildExistingVisitorsSQL(n int) string {
	return `SELECT org_id, id, first_seen_at, last_seen_at FROM visitors WHERE (org_id, id) IN (VALUES ` +
		placeholders(n, 2) + `)`
}

// buildUpsertVisitorsSQL returns the statement that upserts n visitors (new
// ones, and those whose first visit moves earlier).
func buildUpsertVisitorsSQL(n int) string {
	return `INSERT INTO visitors (org_id, id, first_seen_at, last_seen_at, session_count)
		VALUES ` + placeholders(n, visitorCols) + ` ON CONFLICT (org_id, id) DO UPDATE SET
		first_seen_at = MIN(first_seen_at, excluded.first_seen_at),
		last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
		session_count = session_count + excluded.session_count`
}

// buildTouchVisitorsSQL returns the statement that updates n existing visitors
// whose first visit does not move: only last_seen_at and session_count, so
// visitors_first_seen keeps its entries. Each row binds (org_id, id,
// last_seen_at, new sessions).
func buildTouchVisitorsSQL(n int) string {
	return `UPDATE visitors SET last_seen_at = MAX(visitors.last_seen_at, v.column3),
		session_count = visitors.session_count + v.column4
		FROM (VALUES ` + placeholders(n, touchCols) + `) AS v
		WHERE visitors.org_id = v.column1 AND visitors.id = v.column2`
}

// span is the stored time span of an existing session or visitor.
type span struct{ start, last int64 }

// findExisting runs the existence query for keys in chunks and returns the
// stored span of each key found.
func (db *DB) findExisting(ctx context.Context, tx *sql.Tx, what string, keys []commitplan.Key,
	query func(n int) string) (map[commitplan.Key]span, error) {
	found := make(map[commitplan.Key]span, len(keys))
	args := make([]any, 0, 2*min(len(keys), touchChunk))
	start := 0
	for _, n := range chunks(len(keys), touchChunk) {
		chunk := keys[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, query(n))
		if err != nil {
			return nil, fmt.Errorf("prepare find %s: %w", what, err)
		}
		args = args[:0]
		for _, k := range chunk {
			args = append(args, k.OrgID, k.ID)
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", what, err)
		}
		for rows.Next() {
			var k commitplan.Key
			var sp span
			if err := rows.Scan(&k.OrgID, &k.ID, &sp.start, &sp.last); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find %s: %w", what, err)
			}
			found[k] = sp
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("find %s: %w", what, err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find %s: %w", what, err)
		}
	}
	return found, nil
}

// touchRow is one row of a touch statement.
type touchRow struct {
	key  commitplan.Key
	last int64
	add  int
	// received and ends: a session's ReceivedAt and EndsAt (unix ms).
	received, ends int64
}

// touch runs a touch statement over rows in chunks.
func (db *DB) touch(ctx context.Context, tx *sql.Tx, what string, rows []touchRow, cols int, query func(n int) string) error {
	args := make([]any, 0, cols*min(len(rows), touchChunk))
	start := 0
	for _, n := range chunks(len(rows), touchChunk) {
		chunk := rows[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, query(n))
		if err != nil {
			return fmt.Errorf("prepare update %s: %w", what, err)
		}
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r.key.OrgID, r.key.ID, r.last, r.add)
			if cols == touchSessionCols {
				args = append(args, r.received, r.ends)
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("update %s: %w", what, err)
		}
	}
	return nil
}

// upsertSessions first learns which sessions exist and their stored span
// (the single write connection serializes commits, so the answer holds until
// the writes), marks the others created, then inserts the new ones (and any
// whose start moves earlier) and touches only the counters and last event time
// of the rest. Nothing is written for a session whose commit stored no event
// and does not extend it (a retried batch).
func (db *DB) upsertSessions(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	keys := make([]commitplan.Key, len(p.Sessions))
	for i, s := range p.Sessions {
		keys[i] = commitplan.Key{OrgID: s.OrgID, ID: s.ID}
	}
	found, err := db.findExisting(ctx, tx, "sessions", keys, existingSessionsSQL)
	if err != nil {
		return err
	}
	var full []*commitplan.SessionRow
	var touched []touchRow
	for i, s := range p.Sessions {
		sp, ok := found[keys[i]]
		switch {
		case !ok:
			p.Created(s)
			full = append(full, s)
		case unixMilli(s.StartedAt) < sp.start:
			full = append(full, s)
		case s.Stored > 0 || unixMilli(s.LastEventAt) > sp.last:
			received, ends := sessionExtent(s)
			touched = append(touched, touchRow{key: keys[i], last: unixMilli(s.LastEventAt), add: s.Stored,
				received: received, ends: ends})
		}
	}
	args := make([]any, 0, sessionCols*min(len(full), sessionChunk))
	start := 0
	for _, n := range chunks(len(full), sessionChunk) {
		chunk := full[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, upsertSessionsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare upsert sessions: %w", err)
		}
		args = args[:0]
		for _, s := range chunk {
			c := s.Context
			received, ends := sessionExtent(s)
			args = append(args, s.OrgID, s.ID, s.VisitorID, unixMilli(s.StartedAt), unixMilli(s.LastEventAt), s.Stored,
				s.LandingURL, s.Referrer, c.Device, c.Browser, c.OS, c.ReferrerClass, s.UTM, s.IPPrefix, s.TimeZone, s.Language,
				received, ends)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert sessions: %w", err)
		}
	}
	return db.touch(ctx, tx, "sessions", touched, touchSessionCols, touchSessionsSQL)
}

// sessionExtent returns the received_at and ends_at (unix ms) to bind for
// s: its own for a new session or a batch that stored events, else zeros,
// which leave a stored session's as they are (only a batch that stored
// events extends a session, as on PostgreSQL).
func sessionExtent(s *commitplan.SessionRow) (received, ends int64) {
	if !s.New && s.Stored == 0 {
		return 0, 0
	}
	return unixMilli(s.ReceivedAt), unixMilli(s.EndsAt)
}

// upsertVisitors does for visitors what upsertSessions does for sessions.
func (db *DB) upsertVisitors(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	keys := make([]commitplan.Key, len(p.Visitors))
	for i, v := range p.Visitors {
		keys[i] = commitplan.Key{OrgID: v.OrgID, ID: v.ID}
	}
	found, err := db.findExisting(ctx, tx, "visitors", keys, existingVisitorsSQL)
	if err != nil {
		return err
	}
	var full []*commitplan.VisitorRow
	var touched []touchRow
	for i, v := range p.Visitors {
		sp, ok := found[keys[i]]
		switch {
		case !ok || unixMilli(v.FirstSeenAt) < sp.start:
			full = append(full, v)
		case v.NewSessions > 0 || unixMilli(v.LastSeenAt) > sp.last:
			touched = append(touched, touchRow{key: keys[i], last: unixMilli(v.LastSeenAt), add: v.NewSessions})
		}
	}
	args := make([]any, 0, visitorCols*min(len(full), visitorChunk))
	start := 0
	for _, n := range chunks(len(full), visitorChunk) {
		chunk := full[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, upsertVisitorsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare upsert visitors: %w", err)
		}
		args = args[:0]
		for _, v := range chunk {
			args = append(args, v.OrgID, v.ID, unixMilli(v.FirstSeenAt), unixMilli(v.LastSeenAt), v.NewSessions)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert visitors: %w", err)
		}
	}
	return db.touch(ctx, tx, "visitors", touched, touchCols, touchVisitorsSQL)
}

// buildUpsertPredictionsSQL returns the statement that upserts n predictions: a
// stored one takes the new values but keeps the higher maximum.
func buildUpsertPredictionsSQL(n int) string {
	return `INSERT INTO predictions (org_id, session_id, outcome_id, visitor_id, probability, max_probability,
		percentile, model_version, events, updated_at, history)
		VALUES ` + placeholders(n, predictionCols) + ` ON CONFLICT (org_id, session_id, outcome_id) DO UPDATE SET
		probability = excluded.probability,
		max_probability = MAX(max_probability, excluded.max_probability),
		percentile = excluded.percentile,
		model_version = excluded.model_version,
		events = excluded.events,
		updated_at = excluded.updated_at,
		history = excluded.history`
}

// upsertPredictions writes the plan's predictions (one row per key: the plan
// merged the writes).
func (db *DB) upsertPredictions(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	return execRows(ctx, db, tx, "upsert predictions", p.Predictions, predictionChunk, predictionCols, upsertPredictionsSQL,
		func(args []any, r *commitplan.PredictionRow) []any {
			return append(args, r.OrgID, r.SessionID, r.OutcomeID, r.VisitorID, r.Probability, r.MaxProbability,
				r.Percentile, r.ModelVersion, r.Events, unixMilli(r.UpdatedAt), r.History)
		})
}

// buildInsertAchievementsSQL returns the statement that inserts n achievements;
// OR IGNORE keeps the stored achievement of an (outcome, session), the only
// constraint the bound values can break, and lets SQLite skip the statement
// journal.
func buildInsertAchievementsSQL(n int) string {
	return `INSERT OR IGNORE INTO achievements (org_id, outcome_id, session_id, visitor_id, event_id, achieved_at, value)
		VALUES ` + placeholders(n, achievementCols)
}

func (db *DB) insertAchievements(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	return execRows(ctx, db, tx, "insert achievements", p.Achievements, achievementChunk, achievementCols, insertAchievementsSQL,
		func(args []any, a *presage.Achievement) []any {
			return append(args, a.OrgID, a.OutcomeID, a.SessionID, a.VisitorID, a.EventID, unixMilli(a.AchievedAt), a.Value)
		})
}

// execRows runs the multi-row statement query(n) over rows in chunks of at
// most chunk rows; bind appends the cols values of one row.
func execRows[T any](ctx context.Context, db *DB, tx *sql.Tx, what string, rows []T, chunk, cols int,
	query func(n int) string, bind func(args []any, row T) []any) error {
	args := make([]any, 0, cols*min(len(rows), chunk))
	start := 0
	for _, n := range chunks(len(rows), chunk) {
		part := rows[start : start+n]
		start += n
		stmt, err := db.stmt(ctx, tx, query(n))
		if err != nil {
			return fmt.Errorf("prepare %s: %w", what, err)
		}
		args = args[:0]
		for _, r := range part {
			args = bind(args, r)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
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
	db.mu.Lock()
	defer db.mu.Unlock()
	// Which sessions and visitors are new is known only inside the
	// transaction; prepare the statements for any split of the rows, that is
	// every size up to the row count (once: readyRows remembers the largest).
	sessions, visitors := len(p.Sessions), len(p.Visitors)
	if sessions > db.readyRows.sessions {
		for n := range chunkSizes(sessions, touchChunk) {
			queries = append(queries, existingSessionsSQL(n), touchSessionsSQL(n))
		}
		for n := range chunkSizes(sessions, sessionChunk) {
			queries = append(queries, upsertSessionsSQL(n))
		}
	}
	if visitors > db.readyRows.visitors {
		for n := range chunkSizes(visitors, touchChunk) {
			queries = append(queries, existingVisitorsSQL(n), touchVisitorsSQL(n))
		}
		for n := range chunkSizes(visitors, visitorChunk) {
			queries = append(queries, upsertVisitorsSQL(n))
		}
	}
	if identify {
		queries = append(queries, identifySQL[:]...)
	}
	for _, n := range chunks(len(p.Predictions), predictionChunk) {
		queries = append(queries, upsertPredictionsSQL(n))
	}
	for _, n := range chunks(len(p.Achievements), achievementChunk) {
		queries = append(queries, insertAchievementsSQL(n))
	}
	for _, n := range chunks(len(p.VisitorKeys), visitorKeyChunk) {
		queries = append(queries, insertVisitorKeysSQL(n))
	}
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
	db.readyRows.sessions = max(db.readyRows.sessions, sessions)
	db.readyRows.visitors = max(db.readyRows.visitors, visitors)
	return nil
}

// stmt returns the prepared query bound to tx (prepare made it).
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	s, ok := db.stmts[query]
	db.mu.Unlock()
	if !ok {
		// Correct, but a statement prepared inside the commit's
		// transaction costs more than the rows it inserts: prepare
		// should have made it (TestCommitStatementsArePrepared).
		db.unprepared.Add(1)
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, s), nil
}
