package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// The audit log. An organization's appends serialize, across nodes, on a
// transaction-level advisory lock of its own: the next seq is read after the
// lock is taken (READ COMMITTED: each statement sees the last holder's
// commit) and used in the same transaction.

// auditLockClass namespaces the audit log's advisory locks (the two-key
// form: class, hashtext(org_id)); a hash collision only serializes two
// organizations' appends.
const auditLockClass = `hashtext('presage.audit_log')`

// AppendAudit appends entries in order, in one transaction, and assigns each
// its Seq (in the caller's slice too).
func (db *DB) AppendAudit(ctx context.Context, entries []privacy.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	// Lock in one order, whatever the entries' order, so two appends that
	// span the same organizations cannot deadlock.
	var orgs []string
	for _, e := range entries {
		orgs = append(orgs, e.OrgID)
	}
	slices.Sort(orgs)
	orgs = slices.Compact(orgs)
	seqs := make([]int64, len(entries))
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		next := map[string]int64{}
		for _, org := range orgs {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+auditLockClass+`, hashtext($1))`, org); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			var seq int64
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE org_id = $1`, org).
				Scan(&seq); err != nil {
				return fmt.Errorf("read last seq: %w", err)
			}
			next[org] = seq
		}
		for i, e := range entries {
			seq := next[e.OrgID] + 1
			detail := string(e.Detail)
			if detail == "" {
				detail = "{}"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO audit_log (org_id, seq, at, actor, action, target, detail)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				e.OrgID, seq, presage.StoredTime(e.At), e.Actor, e.Action, e.Target, detail); err != nil {
				return err
			}
			next[e.OrgID], seqs[i] = seq, seq
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	// Only a committed append numbers the caller's entries.
	for i := range entries {
		entries[i].Seq = seqs[i]
	}
	return nil
}

// ListAudit returns up to limit entries of orgID after afterSeq, of target
// ("" for all), oldest first.
func (db *DB) ListAudit(ctx context.Context, orgID, target string, afterSeq int64, limit int) ([]privacy.AuditEntry, error) {
	rows, err := db.pool.query(ctx, `SELECT org_id, seq, at, actor, action, target, detail FROM audit_log
		WHERE org_id = $1 AND seq > $2 AND ($3 = '' OR target = $3) ORDER BY seq LIMIT $4`,
		orgID, afterSeq, target, limit)
	out, err := scanAll(rows, err, func(row pgx.Row) (privacy.AuditEntry, error) {
		var e privacy.AuditEntry
		var detail string
		err := row.Scan(&e.OrgID, &e.Seq, &e.At, &e.Actor, &e.Action, &e.Target, &detail)
		e.At, e.Detail = e.At.UTC(), rowjson.Raw(detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
