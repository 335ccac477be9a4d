package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// The audit log. Appends run on the single writer, which serializes them:
// each organization's next seq is read and used in the same transaction.

// AppendAudit appends entries in order, in one transaction, and assigns each
// its Seq (in the caller's slice too).
func (db *DB) AppendAudit(ctx context.Context, entries []privacy.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		next := map[string]int64{}
		for i := range entries {
			e := &entries[i]
			seq, ok := next[e.OrgID]
			if !ok {
				if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE org_id = ?`,
					e.OrgID).Scan(&seq); err != nil {
					return fmt.Errorf("read last seq: %w", err)
				}
			}
			seq++
			detail := string(e.Detail)
			if detail == "" {
				detail = "{}"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (org_id, seq, at, actor, action, target, detail)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, e.OrgID, seq, unixMilli(e.At), e.Actor, e.Action, e.Target, detail); err != nil {
				return err
			}
			next[e.OrgID], e.Seq = seq, seq
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// ListAudit returns up to limit entries of orgID after afterSeq, of target
// ("" for all), oldest first.
func (db *DB) ListAudit(ctx context.Context, orgID, target string, afterSeq int64, limit int) ([]privacy.AuditEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT org_id, seq, at, actor, action, target, detail FROM audit_log
		WHERE org_id = ?1 AND seq > ?2 AND (?3 = '' OR target = ?3) ORDER BY seq LIMIT ?4`,
		orgID, afterSeq, target, limit)
	out, err := scanAll(rows, err, func(s scanner) (privacy.AuditEntry, error) {
		var e privacy.AuditEntry
		var at int64
		var detail string
		err := s.Scan(&e.OrgID, &e.Seq, &at, &e.Actor, &e.Action, &e.Target, &detail)
		e.At, e.Detail = fromMS(at), rowjson.Raw(detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
