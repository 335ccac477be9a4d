package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/predict"
)

// FeatureSettings returns orgID's latest feature settings, the defaults
// (version 0) if none were saved.
func (db *DB) FeatureSettings(ctx context.Context, orgID string) (predict.FeatureSettings, error) {
	var doc string
	var version, created int64
	err := db.read.QueryRowContext(ctx, `SELECT version, settings, created_at FROM feature_settings
		WHERE org_id = ? ORDER BY version DESC LIMIT 1`, orgID).Scan(&version, &doc, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return predict.DefaultFeatureSettings(), nil
	}
	if err != nil {
		return predict.FeatureSettings{}, fmt.Errorf("feature settings: %w", err)
	}
	fs, err := predict.StoredFeatureSettings([]byte(doc))
	if err != nil {
		return predict.FeatureSettings{}, err
	}
	fs.Version, fs.UpdatedAt = version, fromMS(created)
	return fs, nil
}

// SaveFeatureSettings stores fs as orgID's next version and returns it.
func (db *DB) SaveFeatureSettings(ctx context.Context, orgID string, fs predict.FeatureSettings) (predict.FeatureSettings, error) {
	doc, err := json.Marshal(fs)
	if err != nil {
		return predict.FeatureSettings{}, fmt.Errorf("save feature settings: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO feature_settings (org_id, version, settings, created_at)
			SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3 FROM feature_settings WHERE org_id = ?1
			RETURNING version`, orgID, string(doc), unixMilli(fs.UpdatedAt)).Scan(&fs.Version)
	})
	if err != nil {
		return predict.FeatureSettings{}, fmt.Errorf("save feature settings: %w", err)
	}
	return fs, nil
}
