package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/requestrow"
)

// Data subject requests: the API creates them, job runners on any node claim
// them (FOR UPDATE SKIP LOCKED: two nodes never take the same request, and
// neither waits on the other) and save their progress, fenced by the lease.

// CreateRequest inserts r; an id that exists is a conflict.
func (db *DB) CreateRequest(ctx context.Context, r privacy.Request) error {
	j, err := requestrow.Encode(r)
	if err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	_, err = db.pool.exec(ctx, `INSERT INTO gdpr_requests (`+requestrow.Columns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		r.OrgID, r.ID, string(r.Type), string(r.Status), j.Terms, j.Replacements, r.RequestedBy,
		presage.StoredTime(r.ReceivedAt), presage.StoredTime(r.DueAt), r.ExtensionReason, j.Progress, j.Result,
		r.Error, r.Attempts, presage.StoredTime(r.NextRunAt), r.LeaseHolder, nullTime(r.LeaseUntil),
		presage.StoredTime(r.UpdatedAt), nullTime(r.CompletedAt), r.Scrubbed)
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
	r, err := scanRequest(db.pool.queryRow(ctx, `SELECT `+requestrow.Columns+` FROM gdpr_requests
		WHERE org_id = $1 AND id = $2`, orgID, id))
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
	if err := db.pool.queryRow(ctx, `SELECT COUNT(*) FROM gdpr_requests WHERE org_id = $1`, orgID).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list requests: count: %w", err)
	}
	rows, err := db.pool.query(ctx, `SELECT `+requestrow.Columns+` FROM gdpr_requests WHERE org_id = $1
		ORDER BY received_at DESC, id COLLATE "C" DESC LIMIT $2 OFFSET $3`,
		orgID, size, int64(number-1)*int64(size))
	out, err := scanAll(rows, err, scanRequest)
	if err != nil {
		return nil, 0, fmt.Errorf("list requests: %w", err)
	}
	return out, total, nil
}

// ClaimRequest leases to holder, until now+ttl, the oldest received request
// of any organization that is not terminal, is due to run and whose lease is
// free or expired (a node that died mid-job left it so: the job resumes).
// One statement: the row lock taken by the subquery is held by the update.
func (db *DB) ClaimRequest(ctx context.Context, holder string, now time.Time, ttl time.Duration) (privacy.Request, bool, error) {
	r, err := scanRequest(db.pool.queryRow(ctx, `UPDATE gdpr_requests SET lease_holder = $1, lease_until = $2
		WHERE (org_id, id) = (SELECT org_id, id FROM gdpr_requests
			WHERE `+requestrow.NotTerminal+` AND next_run_at <= $3
				AND (lease_holder = '' OR lease_until IS NULL OR lease_until < $3)
			ORDER BY received_at, org_id COLLATE "C", id COLLATE "C" LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING `+requestrow.Columns, holder, presage.StoredTime(now.Add(ttl)), presage.StoredTime(now)))
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := db.pool.exec(ctx, `UPDATE gdpr_requests SET status = $1, terms = $2, replacements = $3, due_at = $4,
			extension_reason = $5, progress = $6, result = $7, error = $8, attempts = $9, next_run_at = $10,
			lease_holder = $11, lease_until = $12, updated_at = $13, completed_at = $14, scrubbed = $15
		WHERE org_id = $16 AND id = $17 AND ($18 = '' OR lease_holder = $18)`,
		string(r.Status), j.Terms, j.Replacements, presage.StoredTime(r.DueAt), r.ExtensionReason, j.Progress,
		j.Result, r.Error, r.Attempts, presage.StoredTime(r.NextRunAt), r.LeaseHolder, nullTime(r.LeaseUntil),
		presage.StoredTime(r.UpdatedAt), nullTime(r.CompletedAt), r.Scrubbed, r.OrgID, r.ID, holder)
	if err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Nothing written: tell a missing request from a lost lease. The check
	// runs after the update, but a request is never deleted, so a row seen
	// now existed then.
	var exists bool
	if err := db.pool.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gdpr_requests WHERE org_id = $1 AND id = $2)`,
		r.OrgID, r.ID).Scan(&exists); err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	if !exists {
		return fmt.Errorf("save request: %w", presage.ErrNotFound)
	}
	return fmt.Errorf("save request: %w", presage.Errorf(presage.CodeConflict, "request %s: lease lost by %s", r.ID, holder))
}

func scanRequest(row pgx.Row) (privacy.Request, error) {
	var r privacy.Request
	var typ, status, terms, replacements, progress string
	var result *string
	var leaseUntil, completed *time.Time
	if err := row.Scan(&r.OrgID, &r.ID, &typ, &status, &terms, &replacements, &r.RequestedBy, &r.ReceivedAt,
		&r.DueAt, &r.ExtensionReason, &progress, &result, &r.Error, &r.Attempts, &r.NextRunAt, &r.LeaseHolder,
		&leaseUntil, &r.UpdatedAt, &completed, &r.Scrubbed); err != nil {
		return privacy.Request{}, err
	}
	r.Type, r.Status = privacy.RequestType(typ), privacy.Status(status)
	r.ReceivedAt, r.DueAt, r.NextRunAt, r.UpdatedAt = r.ReceivedAt.UTC(), r.DueAt.UTC(), r.NextRunAt.UTC(), r.UpdatedAt.UTC()
	r.LeaseUntil, r.CompletedAt = fromNull(leaseUntil), fromNull(completed)
	if err := requestrow.Decode(&r, requestrow.JSON{Terms: terms, Replacements: replacements, Progress: progress, Result: result}); err != nil {
		return privacy.Request{}, fmt.Errorf("request %s: %w", r.ID, err)
	}
	return r, nil
}
