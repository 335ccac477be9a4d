package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const modelColumns = `org_id, outcome_id, version, model, monitor, reference, cursor_at, cursor_id, examples, sessions,
	positives, updated_at, feature_version`

// ModelVersions maps each outcome of orgID with a checkpoint to its version.
func (db *DB) ModelVersions(ctx context.Context, orgID string) (map[string]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT outcome_id, version FROM models WHERE org_id = ?`, orgID)
	type version struct {
		outcome string
		v       int64
	}
	vs, err := scanAll(rows, err, func(s scanner) (version, error) {
		var v version
		err := s.Scan(&v.outcome, &v.v)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("model versions: %w", err)
	}
	out := make(map[string]int64, len(vs))
	for _, v := range vs {
		out[v.outcome] = v.v
	}
	return out, nil
}

// LoadCheckpoint returns the checkpoint of orgID's outcome.
func (db *DB) LoadCheckpoint(ctx context.Context, orgID, outcomeID string) (predict.Checkpoint, error) {
	var c predict.Checkpoint
	var cursorAt, updated int64
	err := db.read.QueryRowContext(ctx, `SELECT `+modelColumns+` FROM models WHERE org_id = ? AND outcome_id = ?`,
		orgID, outcomeID).Scan(&c.OrgID, &c.OutcomeID, &c.Version, &c.Model, &c.Monitor, &c.Reference,
		&cursorAt, &c.Cursor.ID, &c.Examples, &c.Sessions, &c.Positives, &updated, &c.FeatureVersion)
	if err != nil {
		return predict.Checkpoint{}, fmt.Errorf("load checkpoint: %w", notFound(err))
	}
	c.Cursor.T, c.UpdatedAt = fromMS(cursorAt), fromMS(updated)
	return c, nil
}

// SaveCheckpoint writes c in one transaction, if holder holds lease at
// c.UpdatedAt and c follows the stored version.
func (db *DB) SaveCheckpoint(ctx context.Context, c predict.Checkpoint, lease, holder string) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var rowHolder string
		var expires int64
		err := tx.QueryRowContext(ctx, `SELECT holder, expires_at FROM leases WHERE name = ?`, lease).Scan(&rowHolder, &expires)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read lease: %w", err)
		}
		if err := outcomerow.CheckLease(err == nil, rowHolder, fromMS(expires), holder, c.UpdatedAt); err != nil {
			return err
		}
		return writeModel(ctx, tx, c)
	})
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// writeModel replaces the model row at version c.Version-1 by c, or inserts
// it when c.Version is 1 and there is none; anything else is a conflict.
func writeModel(ctx context.Context, tx *sql.Tx, c predict.Checkpoint) error {
	model, monitor, ref := rowjson.NonNil(c.Model), rowjson.NonNil(c.Monitor), rowjson.NonNil(c.Reference)
	res, err := tx.ExecContext(ctx, `UPDATE models SET version = ?, model = ?, monitor = ?, reference = ?, cursor_at = ?,
		cursor_id = ?, examples = ?, sessions = ?, positives = ?, updated_at = ?, feature_version = ?
		WHERE org_id = ? AND outcome_id = ? AND version = ?`,
		c.Version, model, monitor, ref, unixMilli(c.Cursor.T), c.Cursor.ID, c.Examples, c.Sessions, c.Positives, unixMilli(c.UpdatedAt),
		c.FeatureVersion, c.OrgID, c.OutcomeID, c.Version-1)
	n, err := rowsAffected(res, err)
	if err != nil {
		return fmt.Errorf("update model: %w", err)
	}
	if n == 0 && c.Version == 1 {
		res, err = tx.ExecContext(ctx, `INSERT INTO models (`+modelColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id, outcome_id) DO NOTHING`,
			c.OrgID, c.OutcomeID, c.Version, model, monitor, ref, unixMilli(c.Cursor.T), c.Cursor.ID, c.Examples, c.Sessions,
			c.Positives, unixMilli(c.UpdatedAt), c.FeatureVersion)
		if n, err = rowsAffected(res, err); err != nil {
			return fmt.Errorf("insert model: %w", err)
		}
	}
	if n == 1 {
		return nil
	}
	var stored int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM models WHERE org_id = ? AND outcome_id = ?`, c.OrgID, c.OutcomeID).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read model version: %w", err)
	}
	return outcomerow.VersionConflict(stored, c.Version)
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
