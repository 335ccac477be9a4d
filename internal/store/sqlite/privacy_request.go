package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/requestrow"
)

// Data subject requests: the API creates them, job runners on any node claim
// them (under the single writer, so a claim is atomic) and save their
// progress, fenced by the lease.

// CreateRequest inserts r; an id that exists is a conflict.
func (db *DB) CreateRequest(ctx context.Context, r privacy.Request) error {
	j, err := requestrow.Encode(r)
	if err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO gdpr_requests (`+requestrow.Columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.OrgID, r.ID, string(r.Type), string(r.Status), j.Terms, j.Replacements, r.RequestedBy,
		unixMilli(r.ReceivedAt), unixMilli(r.DueAt), r.ExtensionReason, j.Progress, j.Result, r.Error, r.Attempts,
		unixMilli(r.NextRunAt), r.LeaseHolder, nullMS(r.LeaseUntil), unixMilli(r.UpdatedAt), nullMS(r.CompletedAt),
		r.Scrubbed)
	if isUnique(err) {
		err = conflict(fmt.Sprintf("request %s exists", r.ID), err)
	}
	if err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	return nil
}

// GetRequest returns request id of orgID.
func (db *DB) GetRequest(ctx context.Context, orgID, id string) (privacy.Request, error) {
	r, err := scanRequest(db.read.QueryRowContext(ctx, `SELECT `+requestrow.Columns+` FROM gdpr_requests
		WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return privacy.Request{}, fmt.Errorf("get request: %w", notFound(err))
	}
	return r, nil
}

// ListRequests returns page number (from 1) of size requests of orgID,
// newest received first, and how many orgID has in all.
func (db *DB) ListRequests(ctx context.Context, orgID string, size, number int) ([]privacy.Request, int, error) {
	if size < 1 || number < 1 {
		return nil, 0, presage.Errorf(presage.CodeInvalid, "page size and number must be positive")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM gdpr_requests WHERE org_id = ?`, orgID).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list requests: count: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+requestrow.Columns+` FROM gdpr_requests WHERE org_id = ?
		ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?`, orgID, size, int64(number-1)*int64(size))
	out, err := scanAll(rows, err, scanRequest)
	if err != nil {
		return nil, 0, fmt.Errorf("list requests: %w", err)
	}
	return out, total, nil
}

// ClaimRequest leases to holder, until now+ttl, the oldest received request
// of any organization that is not terminal, is due to run and whose lease is
// free or expired (a node that died mid-job left it so: the job resumes).
func (db *DB) ClaimRequest(ctx context.Context, holder string, now time.Time, ttl time.Duration) (privacy.Request, bool, error) {
	var r privacy.Request
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRequest(tx.QueryRowContext(ctx, `UPDATE gdpr_requests SET lease_holder = ?1, lease_until = ?2
			WHERE (org_id, id) = (SELECT org_id, id FROM gdpr_requests
				WHERE `+requestrow.NotTerminal+` AND next_run_at <= ?3
					AND (lease_holder = '' OR lease_until IS NULL OR lease_until < ?3)
				ORDER BY received_at, org_id, id LIMIT 1)
			RETURNING `+requestrow.Columns, holder, unixMilli(now.Add(ttl)), unixMilli(now)))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return privacy.Request{}, false, nil
	}
	if err != nil {
		return privacy.Request{}, false, fmt.Errorf("claim request: %w", err)
	}
	return r, true, nil
}

// SaveRequest writes every mutable field of r if holder still holds its
// lease ("" writes without the check); a lost lease is a conflict.
func (db *DB) SaveRequest(ctx context.Context, r privacy.Request, holder string) error {
	j, err := requestrow.Encode(r)
	if err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE gdpr_requests SET status = ?, terms = ?, replacements = ?, due_at = ?,
				extension_reason = ?, progress = ?, result = ?, error = ?, attempts = ?, next_run_at = ?,
				lease_holder = ?, lease_until = ?, updated_at = ?, completed_at = ?, scrubbed = ?
			WHERE org_id = ? AND id = ? AND (? = '' OR lease_holder = ?)`,
			string(r.Status), j.Terms, j.Replacements, unixMilli(r.DueAt), r.ExtensionReason, j.Progress, j.Result,
			r.Error, r.Attempts, unixMilli(r.NextRunAt), r.LeaseHolder, nullMS(r.LeaseUntil), unixMilli(r.UpdatedAt),
			nullMS(r.CompletedAt), r.Scrubbed, r.OrgID, r.ID, holder, holder)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM gdpr_requests WHERE org_id = ? AND id = ?)`,
			r.OrgID, r.ID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return presage.ErrNotFound
		}
		return presage.Errorf(presage.CodeConflict, "request %s: lease lost by %s", r.ID, holder)
	})
	if err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	return nil
}

func scanRequest(s scanner) (privacy.Request, error) {
	var r privacy.Request
	var typ, status, terms, replacements, progress string
	var result *string // NULL until the request completed
	var received, due, next, updated int64
	var leaseUntil, completed sql.NullInt64
	if err := s.Scan(&r.OrgID, &r.ID, &typ, &status, &terms, &replacements, &r.RequestedBy, &received, &due,
		&r.ExtensionReason, &progress, &result, &r.Error, &r.Attempts, &next, &r.LeaseHolder, &leaseUntil,
		&updated, &completed, &r.Scrubbed); err != nil {
		return privacy.Request{}, err
	}
	r.Type, r.Status = privacy.RequestType(typ), privacy.Status(status)
	r.ReceivedAt, r.DueAt, r.NextRunAt, r.UpdatedAt = fromMS(received), fromMS(due), fromMS(next), fromMS(updated)
	r.LeaseUntil, r.CompletedAt = fromNullMS(leaseUntil), fromNullMS(completed)
	if err := requestrow.Decode(&r, requestrow.JSON{Terms: terms, Replacements: replacements, Progress: progress, Result: result}); err != nil {
		return privacy.Request{}, fmt.Errorf("request %s: %w", r.ID, err)
	}
	return r, nil
}
