package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// SubjectPredictions returns the predictions of the visitors' sessions.
func (db *DB) SubjectPredictions(ctx context.Context, orgID string, visitorIDs []string) ([]presage.Prediction, error) {
	rows, err := db.pool.query(ctx, `SELECT `+predictionColumns+` FROM predictions
		WHERE org_id = $1 AND visitor_id = ANY($2::text[]) ORDER BY session_id, outcome_id`, orgID, rowjson.NonNil(visitorIDs))
	out, err := scanAll(rows, err, scanPrediction)
	if err != nil {
		return nil, fmt.Errorf("subject predictions: %w", err)
	}
	return out, nil
}

// SubjectAchievements returns the achievements of the visitors, oldest first.
func (db *DB) SubjectAchievements(ctx context.Context, orgID string, visitorIDs []string) ([]presage.Achievement, error) {
	rows, err := db.pool.query(ctx, outcomerow.AchievementSelect+` WHERE a.org_id = $1 AND a.visitor_id = ANY($2::text[])
		ORDER BY a.achieved_at, a.session_id, a.outcome_id`, orgID, rowjson.NonNil(visitorIDs))
	out, err := scanAll(rows, err, scanAchievement)
	if err != nil {
		return nil, fmt.Errorf("subject achievements: %w", err)
	}
	return out, nil
}

// EraseSubjectPredictions deletes the visitors' predictions and achievements.
func (db *DB) EraseSubjectPredictions(ctx context.Context, orgID string, visitorIDs []string) (int64, int64, error) {
	var preds, achs int64
	vs := rowjson.NonNil(visitorIDs)
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM predictions WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, orgID, vs)
		if err != nil {
			return fmt.Errorf("predictions: %w", err)
		}
		preds = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, `DELETE FROM achievements WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, orgID, vs); err != nil {
			return fmt.Errorf("achievements: %w", err)
		}
		achs = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("erase subject predictions: %w", err)
	}
	return preds, achs, nil
}
