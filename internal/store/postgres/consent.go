package postgres

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/consentplan"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// The consent store. An organization's appends serialize on its
// consent_heads row (SELECT … FOR UPDATE), across nodes; its notice versions
// and signing key need no lock, their primary keys refuse a second row.

// ListPurposes returns orgID's purposes by name.
func (db *DB) ListPurposes(ctx context.Context, orgID string) ([]consent.Purpose, error) {
	rows, err := db.pool.query(ctx, `SELECT org_id, name, basis, description, updated_at
		FROM consent_purposes WHERE org_id = $1 ORDER BY name`, orgID)
	out, err := scanAll(rows, err, func(row pgx.Row) (consent.Purpose, error) {
		var p consent.Purpose
		var basis string
		err := row.Scan(&p.OrgID, &p.Name, &basis, &p.Description, &p.UpdatedAt)
		p.Basis, p.UpdatedAt = consent.Basis(basis), p.UpdatedAt.UTC()
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list purposes: %w", err)
	}
	return out, nil
}

// PutPurposes inserts or replaces ps (keyed by name) for orgID in one
// transaction.
func (db *DB) PutPurposes(ctx context.Context, orgID string, ps []consent.Purpose) error {
	if len(ps) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, p := range ps {
		b.Queue(`INSERT INTO consent_purposes (org_id, name, basis, description, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (org_id, name) DO UPDATE SET basis = EXCLUDED.basis, description = EXCLUDED.description,
				updated_at = EXCLUDED.updated_at`,
			orgID, p.Name, string(p.Basis), p.Description, presage.StoredTime(p.UpdatedAt))
	}
	err := db.pool.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("put purposes: %w", err)
	}
	return nil
}

// GetSettings returns orgID's consent settings.
func (db *DB) GetSettings(ctx context.Context, orgID string) (consent.Settings, error) {
	var s consent.Settings
	var gpc string
	var ttl int64
	err := db.pool.queryRow(ctx, `SELECT org_id, gpc_objects, honour_dnt, ttl_ms, erase_on_withdrawal, updated_at
		FROM consent_settings WHERE org_id = $1`, orgID).
		Scan(&s.OrgID, &gpc, &s.HonourDNT, &ttl, &s.EraseOnWithdrawal, &s.UpdatedAt)
	if err != nil {
		return consent.Settings{}, fmt.Errorf("get consent settings: %w", notFound(err))
	}
	if err := json.Unmarshal([]byte(gpc), &s.GPCObjects); err != nil {
		return consent.Settings{}, fmt.Errorf("get consent settings: decode gpc objects: %w", err)
	}
	s.TTL, s.UpdatedAt = time.Duration(ttl)*time.Millisecond, s.UpdatedAt.UTC()
	return s, nil
}

// PutSettings inserts or replaces the settings of s.OrgID.
func (db *DB) PutSettings(ctx context.Context, s consent.Settings) error {
	gpc, err := rowjson.Encode(s.GPCObjects)
	if err != nil {
		return fmt.Errorf("put consent settings: %w", err)
	}
	_, err = db.pool.exec(ctx, `INSERT INTO consent_settings
			(org_id, gpc_objects, honour_dnt, ttl_ms, erase_on_withdrawal, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (org_id) DO UPDATE SET gpc_objects = EXCLUDED.gpc_objects, honour_dnt = EXCLUDED.honour_dnt,
			ttl_ms = EXCLUDED.ttl_ms, erase_on_withdrawal = EXCLUDED.erase_on_withdrawal, updated_at = EXCLUDED.updated_at`,
		s.OrgID, gpc, s.HonourDNT, s.TTL.Milliseconds(), s.EraseOnWithdrawal, presage.StoredTime(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put consent settings: %w", err)
	}
	return nil
}

const noticeColumns = `org_id, version, language, title, texts, bases, sha256, created_at`

// CreateNotice inserts n; the primary key (org_id, version) refuses a
// version that exists, also one another node inserted.
func (db *DB) CreateNotice(ctx context.Context, n consent.Notice) error {
	if err := consentplan.CheckNotice(n); err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	texts, err := rowjson.Encode(n.Texts)
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	bases, err := consentplan.EncodeBases(n.Bases)
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	_, err = db.pool.exec(ctx, `INSERT INTO consent_notices (`+noticeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		n.OrgID, n.Version, n.Language, n.Title, texts, bases, n.SHA256, presage.StoredTime(n.CreatedAt))
	if isUnique(err) {
		err = conflict(fmt.Sprintf("notice version %d exists", n.Version), err)
	}
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	return nil
}

// GetNotice returns version of orgID's notice.
func (db *DB) GetNotice(ctx context.Context, orgID string, version int) (consent.Notice, error) {
	n, err := scanNotice(db.pool.queryRow(ctx, `SELECT `+noticeColumns+` FROM consent_notices
		WHERE org_id = $1 AND version = $2`, orgID, version))
	if err != nil {
		return consent.Notice{}, fmt.Errorf("get notice: %w", notFound(err))
	}
	return n, nil
}

// ListNotices returns every version of orgID's notice, newest first.
func (db *DB) ListNotices(ctx context.Context, orgID string) ([]consent.Notice, error) {
	rows, err := db.pool.query(ctx, `SELECT `+noticeColumns+` FROM consent_notices
		WHERE org_id = $1 ORDER BY version DESC`, orgID)
	out, err := scanAll(rows, err, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return out, nil
}

func scanNotice(row pgx.Row) (consent.Notice, error) {
	var n consent.Notice
	var texts, bases string
	if err := row.Scan(&n.OrgID, &n.Version, &n.Language, &n.Title, &texts, &bases, &n.SHA256, &n.CreatedAt); err != nil {
		return consent.Notice{}, err
	}
	if err := json.Unmarshal([]byte(texts), &n.Texts); err != nil {
		return consent.Notice{}, fmt.Errorf("decode notice texts: %w", err)
	}
	if err := consentplan.DecodeBases(bases, &n); err != nil {
		return consent.Notice{}, err
	}
	n.CreatedAt = n.CreatedAt.UTC()
	return n, nil
}

const recordColumns = `org_id, seq, id, visitor_id, customer_id, action, decisions, notice_version, notice_hash,
	method, recorded_at, ip_prefix, user_agent, artefact, subject_salt, subject_commitment, prev_hash, hash`

const stateColumns = `org_id, visitor_id, purpose, decision, record_seq, decided_at, expires_at`

// appendAttempts bounds retries of an append aborted by a deadlock or
// serialization failure (the transaction rolled back, so build runs again on
// the then current head).
const appendAttempts = 3

// buildError carries the error of Append's build out of the transaction
// unchanged.
type buildError struct{ err error }

func (e *buildError) Error() string { return e.err.Error() }

// Append adds one record to orgID's chain. The transaction creates the head
// row if needed and locks it FOR UPDATE before reading anything, so appends
// of one organization run one after another on every node.
func (db *DB) Append(ctx context.Context, orgID, visitorID string,
	build func(head consent.Head, current []consent.State) (consent.Record, []consent.State, error)) (consent.Record, error) {
	for attempt := 1; ; attempt++ {
		var out consent.Record
		err := db.pool.tx(ctx, func(tx pgx.Tx) error {
			var err error
			out, err = appendRecord(ctx, tx, orgID, visitorID, build)
			return err
		})
		var be *buildError
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &be):
			return consent.Record{}, be.err
		case !isRetryable(err) || attempt == appendAttempts || ctx.Err() != nil:
			return consent.Record{}, fmt.Errorf("append consent record: %w", err)
		}
		time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
	}
}

func appendRecord(ctx context.Context, tx pgx.Tx, orgID, visitorID string,
	build func(consent.Head, []consent.State) (consent.Record, []consent.State, error)) (consent.Record, error) {
	// One round trip: create the head, lock it, then read the visitor's states.
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO consent_heads (org_id, seq, hash) VALUES ($1, 0, '') ON CONFLICT (org_id) DO NOTHING`, orgID)
	b.Queue(`SELECT seq, hash FROM consent_heads WHERE org_id = $1 FOR UPDATE`, orgID)
	b.Queue(`SELECT `+stateColumns+` FROM consent_states WHERE org_id = $1 AND visitor_id = $2 ORDER BY purpose`,
		orgID, visitorID)
	br := tx.SendBatch(ctx, b)
	var head consent.Head
	if _, err := br.Exec(); err != nil {
		br.Close()
		return consent.Record{}, fmt.Errorf("create head: %w", err)
	}
	if err := br.QueryRow().Scan(&head.Seq, &head.Hash); err != nil {
		br.Close()
		return consent.Record{}, fmt.Errorf("lock head: %w", err)
	}
	rows, err := br.Query()
	current, err := scanAll(rows, err, scanState)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return consent.Record{}, fmt.Errorf("read states: %w", err)
	}

	rec, states, err := build(head, current)
	if err != nil {
		return consent.Record{}, &buildError{err}
	}
	if rec, states, err = consentplan.CheckAppend(orgID, visitorID, head, rec, states); err != nil {
		return consent.Record{}, err
	}
	decisions, err := rowjson.Encode(rec.Decisions)
	if err != nil {
		return consent.Record{}, err
	}
	var artefact *string
	if len(rec.Artefact) > 0 {
		s := string(rec.Artefact)
		artefact = &s
	}

	// One more round trip: the record, the states and the head.
	b = &pgx.Batch{}
	b.Queue(`INSERT INTO consent_records (`+recordColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		rec.OrgID, rec.Seq, rec.ID, rec.VisitorID, rec.CustomerID, string(rec.Action), decisions, rec.NoticeVersion,
		rec.NoticeHash, string(rec.Method), rec.RecordedAt, rec.IPPrefix, rec.UserAgent, artefact, nullString(rec.SubjectSalt),
		rec.SubjectCommitment, rec.PrevHash, rec.Hash)
	if n := len(states); n > 0 {
		purpose, decision, seq := make([]string, n), make([]string, n), make([]int64, n)
		decided, expires := make([]time.Time, n), make([]*time.Time, n)
		for i, s := range states {
			purpose[i], decision[i], seq[i] = s.Purpose, string(s.Decision), s.RecordSeq
			decided[i], expires[i] = presage.StoredTime(s.DecidedAt), nullTime(s.ExpiresAt)
		}
		b.Queue(`INSERT INTO consent_states (`+stateColumns+`)
			SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::timestamptz[])
			ON CONFLICT (org_id, visitor_id, purpose) DO UPDATE SET decision = EXCLUDED.decision,
				record_seq = EXCLUDED.record_seq, decided_at = EXCLUDED.decided_at, expires_at = EXCLUDED.expires_at`,
			orgID, visitorID, purpose, decision, seq, decided, expires)
	}
	b.Queue(`UPDATE consent_heads SET seq = $2, hash = $3 WHERE org_id = $1`, orgID, rec.Seq, rec.Hash)
	err = tx.SendBatch(ctx, b).Close()
	if isUnique(err) {
		return consent.Record{}, conflict("a consent record with this id or sequence number exists", err)
	}
	if err != nil {
		return consent.Record{}, fmt.Errorf("write record: %w", err)
	}
	return rec, nil
}

// Head returns orgID's chain head (zero for an empty chain).
func (db *DB) Head(ctx context.Context, orgID string) (consent.Head, error) {
	var h consent.Head
	err := db.pool.queryRow(ctx, `SELECT seq, hash FROM consent_heads WHERE org_id = $1`, orgID).Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return consent.Head{}, fmt.Errorf("read consent head: %w", err)
	}
	return h, nil
}

// Records returns up to limit records of orgID with Seq > after, by Seq.
func (db *DB) Records(ctx context.Context, orgID string, after int64, limit int) ([]consent.Record, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.query(ctx, `SELECT `+recordColumns+` FROM consent_records
		WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, orgID, after, limit)
	out, err := scanAll(rows, err, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("list consent records: %w", err)
	}
	return out, nil
}

// SubjectRecords returns the records of visitorID or, when customerID is set,
// those recorded for customerID and those of every visitor now linked to it
// (records of a visitor made before it was identified carry no customer).
func (db *DB) SubjectRecords(ctx context.Context, orgID, visitorID, customerID string) ([]consent.Record, error) {
	q, args := `SELECT `+recordColumns+` FROM consent_records WHERE org_id = $1 AND visitor_id = $2 ORDER BY seq`, []any{orgID, visitorID}
	switch {
	case customerID != "":
		// Two index searches (by customer, by the customer's visitors), not
		// a scan of the organization's ledger.
		q = `SELECT ` + recordColumns + ` FROM consent_records WHERE org_id = $1 AND seq IN (
				SELECT seq FROM consent_records WHERE org_id = $1 AND customer_id = $2
				UNION ALL
				SELECT seq FROM consent_records WHERE org_id = $1
					AND visitor_id IN (SELECT id FROM visitors WHERE org_id = $1 AND customer_id = $2))
			ORDER BY seq`
		args = []any{orgID, customerID}
	case visitorID == "":
		return nil, nil
	}
	rows, err := db.pool.query(ctx, q, args...)
	out, err := scanAll(rows, err, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("list subject consent records: %w", err)
	}
	return out, nil
}

func scanRecord(row pgx.Row) (consent.Record, error) {
	var r consent.Record
	var action, method, decisions string
	var artefact, salt *string
	if err := row.Scan(&r.OrgID, &r.Seq, &r.ID, &r.VisitorID, &r.CustomerID, &action, &decisions, &r.NoticeVersion,
		&r.NoticeHash, &method, &r.RecordedAt, &r.IPPrefix, &r.UserAgent, &artefact, &salt, &r.SubjectCommitment,
		&r.PrevHash, &r.Hash); err != nil {
		return consent.Record{}, err
	}
	if salt != nil {
		r.SubjectSalt = *salt
	}
	if err := json.Unmarshal([]byte(decisions), &r.Decisions); err != nil {
		return consent.Record{}, fmt.Errorf("decode decisions of record %d: %w", r.Seq, err)
	}
	if artefact != nil {
		r.Artefact = rowjson.Raw(*artefact)
	}
	r.Action, r.Method, r.RecordedAt = consent.Action(action), consent.Method(method), r.RecordedAt.UTC()
	return r, nil
}

// States returns the current states of visitorID by purpose.
func (db *DB) States(ctx context.Context, orgID, visitorID string) ([]consent.State, error) {
	rows, err := db.pool.query(ctx, `SELECT `+stateColumns+` FROM consent_states
		WHERE org_id = $1 AND visitor_id = $2 ORDER BY purpose`, orgID, visitorID)
	out, err := scanAll(rows, err, scanState)
	if err != nil {
		return nil, fmt.Errorf("list consent states: %w", err)
	}
	return out, nil
}

// StatesOf returns the state of purpose for each of visitorIDs that has one,
// in one query.
func (db *DB) StatesOf(ctx context.Context, orgID, purpose string, visitorIDs []string) (map[string]consent.State, error) {
	out := make(map[string]consent.State, len(visitorIDs))
	if len(visitorIDs) == 0 {
		return out, nil
	}
	rows, err := db.pool.query(ctx, `SELECT `+stateColumns+` FROM consent_states
		WHERE org_id = $1 AND purpose = $2 AND visitor_id = ANY($3::text[])`, orgID, purpose, visitorIDs)
	states, err := scanAll(rows, err, scanState)
	if err != nil {
		return nil, fmt.Errorf("consent states of visitors: %w", err)
	}
	for _, s := range states {
		out[s.VisitorID] = s
	}
	return out, nil
}

// ExpiredStates returns up to limit granted or denied states of any
// organization with ExpiresAt ≤ at, soonest first.
func (db *DB) ExpiredStates(ctx context.Context, at time.Time, limit int) ([]consent.State, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.query(ctx, `SELECT `+stateColumns+` FROM consent_states
		WHERE decision IN ('granted', 'denied') AND expires_at <= $1
		ORDER BY expires_at, org_id, visitor_id, purpose LIMIT $2`, presage.StoredTime(at), limit)
	out, err := scanAll(rows, err, scanState)
	if err != nil {
		return nil, fmt.Errorf("list expired consent states: %w", err)
	}
	return out, nil
}

func scanState(row pgx.Row) (consent.State, error) {
	var s consent.State
	var decision string
	var expires *time.Time
	if err := row.Scan(&s.OrgID, &s.VisitorID, &s.Purpose, &decision, &s.RecordSeq, &s.DecidedAt, &expires); err != nil {
		return consent.State{}, err
	}
	s.Decision, s.DecidedAt, s.ExpiresAt = consent.Decision(decision), s.DecidedAt.UTC(), fromNull(expires)
	return s, nil
}

const signingKeyColumns = `org_id, kid, private_key, created_at`

// SigningKey returns orgID's receipt-signing key.
func (db *DB) SigningKey(ctx context.Context, orgID string) (consent.SigningKey, error) {
	k, err := scanSigningKey(db.pool.queryRow(ctx, `SELECT `+signingKeyColumns+` FROM consent_signing_keys
		WHERE org_id = $1`, orgID))
	if err != nil {
		return consent.SigningKey{}, fmt.Errorf("signing key: %w", notFound(err))
	}
	return k, nil
}

// CreateSigningKey inserts k unless its organization has a key and returns
// the key stored. INSERT … DO NOTHING waits for a concurrent insert of the
// same organization to commit, and the read after it, a statement of its
// own, sees that committed key: every node gets the first key.
func (db *DB) CreateSigningKey(ctx context.Context, k consent.SigningKey) (consent.SigningKey, error) {
	if err := consentplan.CheckSigningKey(k); err != nil {
		return consent.SigningKey{}, fmt.Errorf("create signing key: %w", err)
	}
	if _, err := db.pool.exec(ctx, `INSERT INTO consent_signing_keys (`+signingKeyColumns+`)
		VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO NOTHING`,
		k.OrgID, k.KID, []byte(k.Private), presage.StoredTime(k.CreatedAt)); err != nil {
		return consent.SigningKey{}, fmt.Errorf("create signing key: %w", err)
	}
	return db.SigningKey(ctx, k.OrgID)
}

func scanSigningKey(row pgx.Row) (consent.SigningKey, error) {
	var k consent.SigningKey
	var priv []byte
	if err := row.Scan(&k.OrgID, &k.KID, &priv, &k.CreatedAt); err != nil {
		return consent.SigningKey{}, err
	}
	// A key wrapped by the master key (store/sealed) is longer than the
	// 64 bytes of one stored in clear; the decorator unwraps and checks it.
	if len(priv) < ed25519.PrivateKeySize {
		return consent.SigningKey{}, fmt.Errorf("stored key has %d bytes", len(priv))
	}
	k.Private, k.CreatedAt = ed25519.PrivateKey(priv), k.CreatedAt.UTC()
	return k, nil
}
