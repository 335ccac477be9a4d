package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
)

const outcomeColumns = `org_id, id, name, description, direction, condition, value_field, created_at, updated_at`

// CreateOutcome inserts o unless orgID has max outcomes already; the count
// and the insert share the write transaction, which SQLite serializes.
func (db *DB) CreateOutcome(ctx context.Context, o presage.Outcome, max int) error {
	cond, err := outcomerow.EncodeCondition(o.Condition)
	if err != nil {
		return fmt.Errorf("create outcome: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outcomes WHERE org_id = ?`, o.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return outcomerow.LimitReached(max)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO outcomes (`+outcomeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.OrgID, o.ID, o.Name, o.Description, o.Direction, cond, o.ValueField, unixMilli(o.CreatedAt), unixMilli(o.UpdatedAt))
		return outcomeConflict(o, err)
	})
	if err != nil {
		return fmt.Errorf("create outcome: %w", err)
	}
	return nil
}

// outcomeConflict turns a unique violation into the caller's conflict.
func outcomeConflict(o presage.Outcome, err error) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return outcomerow.IDTaken(err)
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return outcomerow.NameTaken(o.Name, err)
	}
	return err
}

// UpdateOutcome rewrites the definition of (o.OrgID, o.ID), keeping CreatedAt.
func (db *DB) UpdateOutcome(ctx context.Context, o presage.Outcome) error {
	cond, err := outcomerow.EncodeCondition(o.Condition)
	if err != nil {
		return fmt.Errorf("update outcome: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE outcomes SET name = ?, description = ?, direction = ?, condition = ?,
		value_field = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		o.Name, o.Description, o.Direction, cond, o.ValueField, unixMilli(o.UpdatedAt), o.OrgID, o.ID)
	return affectedOne(res, outcomeConflict(o, err), "update outcome")
}

// GetOutcome returns orgID's outcome id.
func (db *DB) GetOutcome(ctx context.Context, orgID, id string) (presage.Outcome, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+outcomeColumns+` FROM outcomes WHERE org_id = ? AND id = ?`, orgID, id)
	o, err := scanOutcome(row)
	if err != nil {
		return presage.Outcome{}, fmt.Errorf("get outcome: %w", notFound(err))
	}
	return o, nil
}

// ListOutcomes lists orgID's outcomes, oldest first.
func (db *DB) ListOutcomes(ctx context.Context, orgID string) ([]presage.Outcome, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+outcomeColumns+` FROM outcomes WHERE org_id = ? ORDER BY created_at, id`, orgID)
	out, err := scanAll(rows, err, scanOutcome)
	if err != nil {
		return nil, fmt.Errorf("list outcomes: %w", err)
	}
	return out, nil
}

// DeleteOutcome deletes the outcome and every row that belongs to it.
func (db *DB) DeleteOutcome(ctx context.Context, orgID, id string) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outcomes WHERE org_id = ? AND id = ?`, orgID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return presage.ErrNotFound
		}
		for _, table := range outcomerow.OutcomeTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE org_id = ? AND outcome_id = ?`, orgID, id); err != nil {
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
	q := outcomerow.AchievementSelect + ` WHERE a.org_id = ?`
	args := []any{orgID}
	if f.OutcomeID != "" {
		q += ` AND a.outcome_id = ?`
		args = append(args, f.OutcomeID)
	}
	if f.SessionID != "" {
		q += ` AND a.session_id = ?`
		args = append(args, f.SessionID)
	}
	if f.VisitorID != "" {
		q += ` AND a.visitor_id = ?`
		args = append(args, f.VisitorID)
	}
	if f.CustomerID != "" {
		q += ` AND v.customer_id = ?`
		args = append(args, f.CustomerID)
	}
	if a := page.After; a != nil {
		session, outcome := outcomerow.SplitAchievementCursor(a.ID)
		q += ` AND (a.achieved_at, a.session_id, a.outcome_id) < (?, ?, ?)`
		args = append(args, unixMilli(a.T), session, outcome)
	}
	q += ` ORDER BY a.achieved_at DESC, a.session_id DESC, a.outcome_id DESC LIMIT ?`
	return list(ctx, db, "achievements", q, args, page, scanAchievement)
}

func scanOutcome(s scanner) (presage.Outcome, error) {
	var o presage.Outcome
	var cond string
	var created, updated int64
	if err := s.Scan(&o.OrgID, &o.ID, &o.Name, &o.Description, &o.Direction, &cond, &o.ValueField, &created, &updated); err != nil {
		return presage.Outcome{}, err
	}
	c, err := outcomerow.DecodeCondition(cond)
	if err != nil {
		return presage.Outcome{}, err
	}
	o.Condition = c
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return o, nil
}

func scanAchievement(s scanner) (presage.Achievement, error) {
	var a presage.Achievement
	var at int64
	var value sql.NullFloat64
	if err := s.Scan(&a.OrgID, &a.OutcomeID, &a.SessionID, &a.VisitorID, &a.CustomerID, &a.EventID, &at, &value); err != nil {
		return presage.Achievement{}, err
	}
	a.AchievedAt = fromMS(at)
	if value.Valid {
		a.Value = &value.Float64
	}
	return a, nil
}
