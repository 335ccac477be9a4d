package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/store/internal/commitplan"
)

// eventColumns are bound per inserted event; eventChunk rows go in one
// statement (well under SQLite's 32766 variables).
const (
	eventColumns = 13
	eventChunk   = 256
)

// CommitWrites applies writes in one transaction: events first (to learn which
// are new), then sessions, visitors and identifications.
func (db *DB) CommitWrites(ctx context.Context, writes []collect.Write) ([]collect.Outcome, error) {
	if len(writes) == 0 {
		return []collect.Outcome{}, nil
	}
	p, err := commitplan.New(writes)
	if err != nil {
		return nil, fmt.Errorf("commit writes: %w", err)
	}
	if err := db.prepare(ctx, p); err != nil {
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
		for _, id := range p.Identifications() {
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

func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	seqs := make(map[commitplan.Key]int64, len(p.Events))
	args := make([]any, 0, eventColumns*min(len(p.Events), eventChunk))
	for start := 0; start < len(p.Events); start += eventChunk {
		chunk := p.Events[start:min(start+eventChunk, len(p.Events))]
		stmt, err := db.stmt(ctx, tx, insertEventsSQL(len(chunk)))
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

func insertEventsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (org_id, id, session_id, visitor_id, type, name, occurred_at, received_at, url, title, referrer, attributes, context) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(` ON CONFLICT (org_id, id) DO NOTHING RETURNING org_id, id, seq`)
	return b.String()
}

const (
	insertSessionSQL = `INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count,
		landing_url, referrer, device, browser, os, referrer_class, utm, ip_prefix, time_zone, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, id) DO NOTHING`
	updateSessionSQL = `UPDATE sessions SET started_at = MIN(started_at, ?), last_event_at = MAX(last_event_at, ?),
		event_count = event_count + ? WHERE org_id = ? AND id = ?`
	upsertVisitorSQL = `INSERT INTO visitors (org_id, id, first_seen_at, last_seen_at, session_count)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, id) DO UPDATE SET
		first_seen_at = MIN(first_seen_at, excluded.first_seen_at),
		last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
		session_count = session_count + excluded.session_count`
)

// upsertSessions inserts new sessions with their landing fields; existing ones
// only widen their time span and count the stored events.
func (db *DB) upsertSessions(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	ins, err := db.stmt(ctx, tx, insertSessionSQL)
	if err != nil {
		return fmt.Errorf("prepare insert session: %w", err)
	}
	upd, err := db.stmt(ctx, tx, updateSessionSQL)
	if err != nil {
		return fmt.Errorf("prepare update session: %w", err)
	}
	for _, s := range p.Sessions {
		c := s.Context
		res, err := ins.ExecContext(ctx, s.OrgID, s.ID, s.VisitorID, ms(s.StartedAt), ms(s.LastEventAt), s.Stored,
			s.LandingURL, s.Referrer, c.Device, c.Browser, c.OS, c.ReferrerClass, s.UTM, s.IPPrefix, s.TimeZone, s.Language)
		if err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert session: %w", err)
		} else if n == 1 {
			p.Created(s)
			continue
		}
		if _, err := upd.ExecContext(ctx, ms(s.StartedAt), ms(s.LastEventAt), s.Stored, s.OrgID, s.ID); err != nil {
			return fmt.Errorf("update session: %w", err)
		}
	}
	return nil
}

func (db *DB) upsertVisitors(ctx context.Context, tx *sql.Tx, p *commitplan.Plan) error {
	up, err := db.stmt(ctx, tx, upsertVisitorSQL)
	if err != nil {
		return fmt.Errorf("prepare upsert visitor: %w", err)
	}
	for _, v := range p.Visitors {
		if _, err := up.ExecContext(ctx, v.OrgID, v.ID, ms(v.FirstSeenAt), ms(v.LastSeenAt), v.NewSessions); err != nil {
			return fmt.Errorf("upsert visitor: %w", err)
		}
	}
	return nil
}

// prepare readies the commit statements plan needs on the write connection.
// It runs before the transaction: that one connection is busy inside it.
func (db *DB) prepare(ctx context.Context, p *commitplan.Plan) error {
	queries := []string{insertSessionSQL, updateSessionSQL, upsertVisitorSQL}
	if len(p.Events) >= eventChunk {
		queries = append(queries, insertEventsSQL(eventChunk))
	}
	if rem := len(p.Events) % eventChunk; rem > 0 {
		queries = append(queries, insertEventsSQL(rem))
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
