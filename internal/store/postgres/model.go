package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const modelColumns = `org_id, outcome_id, version, model, monitor, reference, cursor_at, cursor_id, examples, sessions,
	positives, updated_at, feature_version`

// ModelVersions maps each outcome of orgID with a checkpoint to its version.
func (db *DB) ModelVersions(ctx context.Context, orgID string) (map[string]int64, error) {
	rows, err := db.pool.query(ctx, `SELECT outcome_id, version FROM models WHERE org_id = $1`, orgID)
	if err != nil {
		return nil, fmt.Errorf("model versions: %w", err)
	}
	out := map[string]int64{}
	var outcome string
	var version int64
	_, err = pgx.ForEachRow(rows, []any{&outcome, &version}, func() error {
		out[outcome] = version
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("model versions: %w", err)
	}
	return out, nil
}

// LoadCheckpoint returns the checkpoint of orgID's outcome.
func (db *DB) LoadCheckpoint(ctx context.Context, orgID, outcomeID string) (predict.Checkpoint, error) {
	var c predict.Checkpoint
	err := db.pool.queryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE org_id = $1 AND outcome_id = $2`,
		orgID, outcomeID).Scan(&c.OrgID, &c.OutcomeID, &c.Version, &c.Model, &c.Monitor, &c.Reference,
		&c.Cursor.T, &c.Cursor.ID, &c.Examples, &c.Sessions, &c.Positives, &c.UpdatedAt, &c.FeatureVersion)
	if err != nil {
		return predict.Checkpoint{}, fmt.Errorf("load checkpoint: %w", notFound(err))
	}
	c.Cursor.T, c.UpdatedAt = c.Cursor.T.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// SaveCheckpoint writes c in one transaction, if holder holds lease at
// c.UpdatedAt and c follows the stored version. The lease row stays locked
// until the commit, so no node takes the lease meanwhile.
func (db *DB) SaveCheckpoint(ctx context.Context, c predict.Checkpoint, lease, holder string) error {
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		var rowHolder string
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name = $1 FOR SHARE`, lease).Scan(&rowHolder, &expires)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read lease: %w", err)
		}
		if err := outcomerow.CheckLease(err == nil, rowHolder, expires, holder, c.UpdatedAt); err != nil {
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
// it when c.Version is 1 and there is none; anything else is a conflict. A
// concurrent writer of the same version waits on the row and then finds it
// changed (the update's WHERE is checked again) or already inserted.
func writeModel(ctx context.Context, tx pgx.Tx, c predict.Checkpoint) error {
	model, monitor, ref := rowjson.NonNil(c.Model), rowjson.NonNil(c.Monitor), rowjson.NonNil(c.Reference)
	tag, err := tx.Exec(ctx, `UPDATE models SET version = $1, model = $2, monitor = $3, reference = $4, cursor_at = $5,
		cursor_id = $6, examples = $7, sessions = $8, positives = $9, updated_at = $10, feature_version = $14
		WHERE org_id = $11 AND outcome_id = $12 AND version = $13`,
		c.Version, model, monitor, ref, presage.StoredTime(c.Cursor.T), c.Cursor.ID, c.Examples, c.Sessions, c.Positives, presage.StoredTime(c.UpdatedAt),
		c.OrgID, c.OutcomeID, c.Version-1, c.FeatureVersion)
	if err != nil {
		return fmt.Errorf("update model: %w", err)
	}
	if tag.RowsAffected() == 0 && c.Version == 1 {
		tag, err = tx.Exec(ctx, `INSERT INTO models (`+modelColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (org_id, outcome_id) DO NOTHING`,
			c.OrgID, c.OutcomeID, c.Version, model, monitor, ref, presage.StoredTime(c.Cursor.T), c.Cursor.ID, c.Examples, c.Sessions,
			c.Positives, presage.StoredTime(c.UpdatedAt), c.FeatureVersion)
		if err != nil {
			return fmt.Errorf("insert model: %w", err)
		}
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var stored int64
	err = tx.QueryRow(ctx, `SELECT version FROM models WHERE org_id = $1 AND outcome_id = $2`, c.OrgID, c.OutcomeID).Scan(&stored)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read model version: %w", err)
	}
	return outcomerow.VersionConflict(stored, c.Version)
}
