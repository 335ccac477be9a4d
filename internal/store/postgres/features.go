package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// FeatureSettings returns orgID's latest feature settings, the defaults
// (version 0) if none were saved.
func (db *DB) FeatureSettings(ctx context.Context, orgID string) (predict.FeatureSettings, error) {
	var doc string
	var version int64
	var created time.Time
	err := db.pool.queryRow(ctx, `SELECT version, settings, created_at FROM feature_settings
		WHERE org_id = $1 ORDER BY version DESC LIMIT 1`, orgID).Scan(&version, &doc, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return predict.DefaultFeatureSettings(), nil
	}
	if err != nil {
		return predict.FeatureSettings{}, fmt.Errorf("feature settings: %w", err)
	}
	fs, err := predict.StoredFeatureSettings([]byte(doc))
	if err != nil {
		return predict.FeatureSettings{}, err
	}
	fs.Version, fs.UpdatedAt = version, created.UTC()
	return fs, nil
}

// SaveFeatureSettings stores fs as orgID's next version and returns it.
// Two saves at once: one waits on the other's row and retries as a conflict
// of the primary key, so each gets its own version.
func (db *DB) SaveFeatureSettings(ctx context.Context, orgID string, fs predict.FeatureSettings) (predict.FeatureSettings, error) {
	doc, err := json.Marshal(fs)
	if err != nil {
		return predict.FeatureSettings{}, fmt.Errorf("save feature settings: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err = db.pool.queryRow(ctx, `INSERT INTO feature_settings (org_id, version, settings, created_at)
			SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM feature_settings WHERE org_id = $1
			RETURNING version`, orgID, string(doc), presage.StoredTime(fs.UpdatedAt)).Scan(&fs.Version)
		if err == nil || !isUnique(err) || attempt == 3 {
			break
		}
	}
	if err != nil {
		return predict.FeatureSettings{}, fmt.Errorf("save feature settings: %w", err)
	}
	return fs, nil
}
