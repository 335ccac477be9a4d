package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
)

const outcomeColumns = `org_id, id, name, description, direction, condition, value_field, created_at, updated_at`

// outcomeLockClass is the first key of the transaction advisory lock that
// serializes the outcome creations of one organization across nodes.
const outcomeLockClass int32 = 0x6f757463

// CreateOutcome inserts o unless orgID has max outcomes already. A
// transaction lock per organization makes the count and the insert atomic
// across nodes.
func (db *DB) CreateOutcome(ctx context.Context, o presage.Outcome, max int) error {
	cond, err := outcomerow.EncodeCondition(o.Condition)
	if err != nil {
		return fmt.Errorf("create outcome: %w", err)
	}
	err = db.pool.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, outcomeLockClass, o.OrgID); err != nil {
			return fmt.Errorf("lock outcomes: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM outcomes WHERE org_id = $1`, o.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return outcomerow.LimitReached(max)
		}
		_, err := tx.Exec(ctx, `INSERT INTO outcomes (`+outcomeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			o.OrgID, o.ID, o.Name, o.Description, string(o.Direction), cond, o.ValueField, presage.StoredTime(o.CreatedAt), presage.StoredTime(o.UpdatedAt))
		return outcomeConflict(o, err)
	})
	if err != nil {
		return fmt.Errorf("create outcome: %w", err)
	}
	return nil
}

// outcomeConflict turns a unique violation into the caller's conflict.
func outcomeConflict(o presage.Outcome, err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) || e.Code != "23505" {
		return err
	}
	if e.ConstraintName == "outcomes_pkey" {
		return outcomerow.IDTaken(err)
	}
	return outcomerow.NameTaken(o.Name, err)
}

// UpdateOutcome rewrites the definition of (o.OrgID, o.ID), keeping CreatedAt.
func (db *DB) UpdateOutcome(ctx context.Context, o presage.Outcome) error {
	cond, err := outcomerow.EncodeCondition(o.Condition)
	if err != nil {
		return fmt.Errorf("update outcome: %w", err)
	}
	tag, err := db.pool.exec(ctx, `UPDATE outcomes SET name = $1, description = $2, direction = $3, condition = $4,
		value_field = $5, updated_at = $6 WHERE org_id = $7 AND id = $8`,
		o.Name, o.Description, string(o.Direction), cond, o.ValueField, presage.StoredTime(o.UpdatedAt), o.OrgID, o.ID)
	if err != nil {
		return fmt.Errorf("update outcome: %w", outcomeConflict(o, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update outcome: %w", presage.ErrNotFound)
	}
	return nil
}

// GetOutcome returns orgID's outcome id.
func (db *DB) GetOutcome(ctx context.Context, orgID, id string) (presage.Outcome, error) {
	o, err := scanOutcome(db.pool.queryRow(ctx, `SELECT `+outcomeColumns+` FROM outcomes WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return presage.Outcome{}, fmt.Errorf("get outcome: %w", notFound(err))
	}
	return o, nil
}

// ListOutcomes lists orgID's outcomes, oldest first.
func (db *DB) ListOutcomes(ctx context.Context, orgID string) ([]presage.Outcome, error) {
	rows, err := db.pool.query(ctx, `SELECT `+outcomeColumns+` FROM outcomes WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	out, err := scanAll(rows, err, scanOutcome)
	if err != nil {
		return nil, fmt.Errorf("list outcomes: %w", err)
	}
	return out, nil
}

// DeleteOutcome deletes the outcome and every row that belongs to it.
func (db *DB) DeleteOutcome(ctx context.Context, orgID, id string) error {
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM outcomes WHERE org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return presage.ErrNotFound
		}
		for _, table := range outcomerow.OutcomeTables {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE org_id = $1 AND outcome_id = $2`, orgID, id); err != nil {
				return fmt.Errorf("delete %s: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete outcome: %w", err)
	}
	return nil
}

// ListAchievements lists orgID's achievements matching f, newest first.
func (db *DB) ListAchievements(ctx context.Context, orgID string, f outcome.AchievementFilter, page presage.Page) ([]presage.Achievement, bool, error) {
	var q query
	q.sql = outcomerow.AchievementSelect + ` WHERE a.org_id = ` + q.arg(orgID)
	if f.OutcomeID != "" {
		q.sql += ` AND a.outcome_id = ` + q.arg(f.OutcomeID)
	}
	if f.SessionID != "" {
		q.sql += ` AND a.session_id = ` + q.arg(f.SessionID)
	}
	if f.VisitorID != "" {
		q.sql += ` AND a.visitor_id = ` + q.arg(f.VisitorID)
	}
	if f.CustomerID != "" {
		q.sql += ` AND v.customer_id = ` + q.arg(f.CustomerID)
	}
	if a := page.After; a != nil {
		session, outcome := outcomerow.SplitAchievementCursor(a.ID)
		q.sql += ` AND (a.achieved_at, a.session_id, a.outcome_id) < (` + q.arg(presage.StoredTime(a.T)) + `, ` + q.arg(session) + `, ` + q.arg(outcome) + `)`
	}
	q.sql += ` ORDER BY a.achieved_at DESC, a.session_id DESC, a.outcome_id DESC`
	return list(ctx, db, "achievements", q, page, scanAchievement)
}

func scanOutcome(row pgx.Row) (presage.Outcome, error) {
	var o presage.Outcome
	var direction, cond string
	if err := row.Scan(&o.OrgID, &o.ID, &o.Name, &o.Description, &direction, &cond, &o.ValueField, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return presage.Outcome{}, err
	}
	c, err := outcomerow.DecodeCondition(cond)
	if err != nil {
		return presage.Outcome{}, err
	}
	o.Direction, o.Condition = presage.Direction(direction), c
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, nil
}

func scanAchievement(row pgx.Row) (presage.Achievement, error) {
	var a presage.Achievement
	if err := row.Scan(&a.OrgID, &a.OutcomeID, &a.SessionID, &a.VisitorID, &a.CustomerID, &a.EventID, &a.AchievedAt, &a.Value); err != nil {
		return presage.Achievement{}, err
	}
	a.AchievedAt = a.AchievedAt.UTC()
	return a, nil
}
