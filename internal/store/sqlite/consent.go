package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/store/internal/consentplan"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// The consent store. Every write runs on the single writer connection, which
// is also what serializes an organization's appends.

// ListPurposes returns orgID's purposes by name.
func (db *DB) ListPurposes(ctx context.Context, orgID string) ([]consent.Purpose, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT org_id, name, basis, description, updated_at
		FROM consent_purposes WHERE org_id = ? ORDER BY name`, orgID)
	out, err := scanAll(rows, err, func(s scanner) (consent.Purpose, error) {
		var p consent.Purpose
		var updated int64
		err := s.Scan(&p.OrgID, &p.Name, &p.Basis, &p.Description, &updated)
		p.UpdatedAt = fromMS(updated)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list purposes: %w", err)
	}
	return out, nil
}

// PutPurposes inserts or replaces ps (keyed by name) for orgID.
func (db *DB) PutPurposes(ctx context.Context, orgID string, ps []consent.Purpose) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, p := range ps {
			if _, err := tx.ExecContext(ctx, `INSERT INTO consent_purposes (org_id, name, basis, description, updated_at)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (org_id, name) DO UPDATE SET basis = excluded.basis, description = excluded.description,
					updated_at = excluded.updated_at`,
				orgID, p.Name, string(p.Basis), p.Description, unixMilli(p.UpdatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put purposes: %w", err)
	}
	return nil
}

// GetSettings returns orgID's consent settings.
func (db *DB) GetSettings(ctx context.Context, orgID string) (consent.Settings, error) {
	var s consent.Settings
	var gpc string
	var ttl, updated int64
	err := db.read.QueryRowContext(ctx, `SELECT org_id, gpc_objects, honour_dnt, ttl_ms, erase_on_withdrawal, updated_at
		FROM consent_settings WHERE org_id = ?`, orgID).
		Scan(&s.OrgID, &gpc, &s.HonourDNT, &ttl, &s.EraseOnWithdrawal, &updated)
	if err != nil {
		return consent.Settings{}, fmt.Errorf("get consent settings: %w", notFound(err))
	}
	if err := json.Unmarshal([]byte(gpc), &s.GPCObjects); err != nil {
		return consent.Settings{}, fmt.Errorf("get consent settings: decode gpc objects: %w", err)
	}
	s.TTL, s.UpdatedAt = time.Duration(ttl)*time.Millisecond, fromMS(updated)
	return s, nil
}

// PutSettings inserts or replaces the settings of s.OrgID.
func (db *DB) PutSettings(ctx context.Context, s consent.Settings) error {
	gpc, err := rowjson.Encode(s.GPCObjects)
	if err != nil {
		return fmt.Errorf("put consent settings: %w", err)
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO consent_settings
			(org_id, gpc_objects, honour_dnt, ttl_ms, erase_on_withdrawal, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET gpc_objects = excluded.gpc_objects, honour_dnt = excluded.honour_dnt,
			ttl_ms = excluded.ttl_ms, erase_on_withdrawal = excluded.erase_on_withdrawal, updated_at = excluded.updated_at`,
		s.OrgID, gpc, s.HonourDNT, s.TTL.Milliseconds(), s.EraseOnWithdrawal, unixMilli(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put consent settings: %w", err)
	}
	return nil
}

const noticeColumns = `org_id, version, language, title, texts, bases, sha256, created_at`

// CreateNotice inserts n; the primary key (org_id, version) refuses a
// version that exists.
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
	_, err = db.write.ExecContext(ctx, `INSERT INTO consent_notices (`+noticeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.OrgID, n.Version, n.Language, n.Title, texts, bases, n.SHA256, unixMilli(n.CreatedAt))
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
	n, err := scanNotice(db.read.QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM consent_notices
		WHERE org_id = ? AND version = ?`, orgID, version))
	if err != nil {
		return consent.Notice{}, fmt.Errorf("get notice: %w", notFound(err))
	}
	return n, nil
}

// ListNotices returns every version of orgID's notice, newest first.
func (db *DB) ListNotices(ctx context.Context, orgID string) ([]consent.Notice, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+noticeColumns+` FROM consent_notices
		WHERE org_id = ? ORDER BY version DESC`, orgID)
	out, err := scanAll(rows, err, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return out, nil
}

func scanNotice(s scanner) (consent.Notice, error) {
	var n consent.Notice
	var texts, bases string
	var created int64
	if err := s.Scan(&n.OrgID, &n.Version, &n.Language, &n.Title, &texts, &bases, &n.SHA256, &created); err != nil {
		return consent.Notice{}, err
	}
	if err := json.Unmarshal([]byte(texts), &n.Texts); err != nil {
		return consent.Notice{}, fmt.Errorf("decode notice texts: %w", err)
	}
	if err := consentplan.DecodeBases(bases, &n); err != nil {
		return consent.Notice{}, err
	}
	n.CreatedAt = fromMS(created)
	return n, nil
}

const recordColumns = `org_id, seq, id, visitor_id, customer_id, action, decisions, notice_version, notice_hash,
	method, recorded_at, ip_prefix, user_agent, artefact, subject_salt, subject_commitment, prev_hash, hash`

const stateColumns = `org_id, visitor_id, purpose, decision, record_seq, decided_at, expires_at`

// buildError carries the error of Append's build out of the transaction
// unchanged.
type buildError struct{ err error }

func (e *buildError) Error() string { return e.err.Error() }

// Append adds one record to orgID's chain in the writer's transaction.
func (db *DB) Append(ctx context.Context, orgID, visitorID string,
	build func(head consent.Head, current []consent.State) (consent.Record, []consent.State, error)) (consent.Record, error) {
	var out consent.Record
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = appendRecord(ctx, tx, orgID, visitorID, build)
		return err
	})
	var be *buildError
	if errors.As(err, &be) {
		return consent.Record{}, be.err
	}
	if err != nil {
		return consent.Record{}, fmt.Errorf("append consent record: %w", err)
	}
	return out, nil
}

func appendRecord(ctx context.Context, tx *sql.Tx, orgID, visitorID string,
	build func(consent.Head, []consent.State) (consent.Record, []consent.State, error)) (consent.Record, error) {
	var head consent.Head
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM consent_heads WHERE org_id = ?`, orgID).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return consent.Record{}, fmt.Errorf("read head: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+stateColumns+` FROM consent_states
		WHERE org_id = ? AND visitor_id = ? ORDER BY purpose`, orgID, visitorID)
	current, err := scanAll(rows, err, scanState)
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
	if err := insertRecord(ctx, tx, rec); err != nil {
		return consent.Record{}, err
	}
	for _, s := range states {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_states (`+stateColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id, visitor_id, purpose) DO UPDATE SET decision = excluded.decision,
				record_seq = excluded.record_seq, decided_at = excluded.decided_at, expires_at = excluded.expires_at`,
			s.OrgID, s.VisitorID, s.Purpose, string(s.Decision), s.RecordSeq, unixMilli(s.DecidedAt), nullMS(s.ExpiresAt)); err != nil {
			return consent.Record{}, fmt.Errorf("upsert state: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO consent_heads (org_id, seq, hash) VALUES (?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, orgID, rec.Seq, rec.Hash); err != nil {
		return consent.Record{}, fmt.Errorf("move head: %w", err)
	}
	return rec, nil
}

func insertRecord(ctx context.Context, tx *sql.Tx, r consent.Record) error {
	decisions, err := rowjson.Encode(r.Decisions)
	if err != nil {
		return err
	}
	var artefact, salt any
	if len(r.Artefact) > 0 {
		artefact = string(r.Artefact)
	}
	if r.SubjectSalt != "" {
		salt = r.SubjectSalt
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO consent_records (`+recordColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.OrgID, r.Seq, r.ID, r.VisitorID, r.CustomerID, string(r.Action), decisions, r.NoticeVersion, r.NoticeHash,
		string(r.Method), unixMilli(r.RecordedAt), r.IPPrefix, r.UserAgent, artefact, salt, r.SubjectCommitment, r.PrevHash, r.Hash)
	if isUnique(err) {
		return conflict("a consent record with this id or sequence number exists", err)
	}
	if err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	return nil
}

// Head returns orgID's chain head (zero for an empty chain).
func (db *DB) Head(ctx context.Context, orgID string) (consent.Head, error) {
	var h consent.Head
	err := db.read.QueryRowContext(ctx, `SELECT seq, hash FROM consent_heads WHERE org_id = ?`, orgID).Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return consent.Head{}, fmt.Errorf("read consent head: %w", err)
	}
	return h, nil
}

// Records returns up to limit records of orgID with Seq > after, by Seq.
func (db *DB) Records(ctx context.Context, orgID string, after int64, limit int) ([]consent.Record, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+recordColumns+` FROM consent_records
		WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`, orgID, after, limit)
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
	q, args := `SELECT `+recordColumns+` FROM consent_records WHERE org_id = ? AND visitor_id = ? ORDER BY seq`, []any{orgID, visitorID}
	switch {
	case customerID != "":
		// Two index searches (by customer, by the customer's visitors), not
		// a scan of the organization's ledger.
		q = `SELECT ` + recordColumns + ` FROM consent_records WHERE org_id = ?1 AND seq IN (
				SELECT seq FROM consent_records WHERE org_id = ?1 AND customer_id = ?2
				UNION ALL
				SELECT seq FROM consent_records WHERE org_id = ?1
					AND visitor_id IN (SELECT id FROM visitors WHERE org_id = ?1 AND customer_id = ?2))
			ORDER BY seq`
		args = []any{orgID, customerID}
	case visitorID == "":
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	out, err := scanAll(rows, err, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("list subject consent records: %w", err)
	}
	return out, nil
}

func scanRecord(s scanner) (consent.Record, error) {
	var r consent.Record
	var decisions string
	var artefact, salt sql.NullString
	var recorded int64
	if err := s.Scan(&r.OrgID, &r.Seq, &r.ID, &r.VisitorID, &r.CustomerID, &r.Action, &decisions, &r.NoticeVersion,
		&r.NoticeHash, &r.Method, &recorded, &r.IPPrefix, &r.UserAgent, &artefact, &salt, &r.SubjectCommitment,
		&r.PrevHash, &r.Hash); err != nil {
		return consent.Record{}, err
	}
	r.SubjectSalt = salt.String
	if err := json.Unmarshal([]byte(decisions), &r.Decisions); err != nil {
		return consent.Record{}, fmt.Errorf("decode decisions of record %d: %w", r.Seq, err)
	}
	r.Artefact = rowjson.Raw(artefact.String)
	r.RecordedAt = fromMS(recorded)
	return r, nil
}

// States returns the current states of visitorID by purpose.
func (db *DB) States(ctx context.Context, orgID, visitorID string) ([]consent.State, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+stateColumns+` FROM consent_states
		WHERE org_id = ? AND visitor_id = ? ORDER BY purpose`, orgID, visitorID)
	out, err := scanAll(rows, err, scanState)
	if err != nil {
		return nil, fmt.Errorf("list consent states: %w", err)
	}
	return out, nil
}

// statesOfSQL is the consent gate's read, run for every batch.
const statesOfSQL = `SELECT ` + stateColumns + ` FROM consent_states
	WHERE org_id = ? AND purpose = ? AND visitor_id IN (SELECT value FROM json_each(?))`

// StatesOf returns the state of purpose for each of visitorIDs that has one,
// in one query (the list travels as one JSON parameter).
func (db *DB) StatesOf(ctx context.Context, orgID, purpose string, visitorIDs []string) (map[string]consent.State, error) {
	out := make(map[string]consent.State, len(visitorIDs))
	if len(visitorIDs) == 0 {
		return out, nil
	}
	ids, err := rowjson.Encode(visitorIDs)
	if err != nil {
		return nil, fmt.Errorf("consent states of visitors: %w", err)
	}
	stmt, err := db.readStmt(ctx, statesOfSQL)
	if err != nil {
		return nil, fmt.Errorf("consent states of visitors: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, orgID, purpose, ids)
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
	rows, err := db.read.QueryContext(ctx, `SELECT `+stateColumns+` FROM consent_states
		WHERE decision IN ('granted', 'denied') AND expires_at <= ?
		ORDER BY expires_at, org_id, visitor_id, purpose LIMIT ?`, unixMilli(at), limit)
	out, err := scanAll(rows, err, scanState)
	if err != nil {
		return nil, fmt.Errorf("list expired consent states: %w", err)
	}
	return out, nil
}

func scanState(sc scanner) (consent.State, error) {
	var s consent.State
	var decided int64
	var expires sql.NullInt64
	if err := sc.Scan(&s.OrgID, &s.VisitorID, &s.Purpose, &s.Decision, &s.RecordSeq, &decided, &expires); err != nil {
		return consent.State{}, err
	}
	s.DecidedAt, s.ExpiresAt = fromMS(decided), fromNullMS(expires)
	return s, nil
}

const signingKeyColumns = `org_id, kid, private_key, created_at`

// SigningKey returns orgID's receipt-signing key.
func (db *DB) SigningKey(ctx context.Context, orgID string) (consent.SigningKey, error) {
	k, err := scanSigningKey(db.read.QueryRowContext(ctx, `SELECT `+signingKeyColumns+` FROM consent_signing_keys
		WHERE org_id = ?`, orgID))
	if err != nil {
		return consent.SigningKey{}, fmt.Errorf("signing key: %w", notFound(err))
	}
	return k, nil
}

// CreateSigningKey inserts k unless its organization has a key (INSERT …
// DO NOTHING: the first stored key stays) and returns the key stored.
func (db *DB) CreateSigningKey(ctx context.Context, k consent.SigningKey) (consent.SigningKey, error) {
	if err := consentplan.CheckSigningKey(k); err != nil {
		return consent.SigningKey{}, fmt.Errorf("create signing key: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO consent_signing_keys (`+signingKeyColumns+`)
		VALUES (?, ?, ?, ?) ON CONFLICT (org_id) DO NOTHING`, k.OrgID, k.KID, []byte(k.Private), unixMilli(k.CreatedAt)); err != nil {
		return consent.SigningKey{}, fmt.Errorf("create signing key: %w", err)
	}
	return db.SigningKey(ctx, k.OrgID)
}

func scanSigningKey(s scanner) (consent.SigningKey, error) {
	var k consent.SigningKey
	var priv []byte
	var created int64
	if err := s.Scan(&k.OrgID, &k.KID, &priv, &created); err != nil {
		return consent.SigningKey{}, err
	}
	// A key wrapped by the master key (store/sealed) is longer than the
	// 64 bytes of one stored in clear; the decorator unwraps and checks it.
	if len(priv) < ed25519.PrivateKeySize {
		return consent.SigningKey{}, fmt.Errorf("stored key has %d bytes", len(priv))
	}
	k.Private, k.CreatedAt = ed25519.PrivateKey(priv), fromMS(created)
	return k, nil
}
