package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
)

// SubjectPredictions returns the predictions of the visitors' sessions.
func (db *DB) SubjectPredictions(ctx context.Context, orgID string, visitorIDs []string) ([]presage.Prediction, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+predictionColumns+` FROM predictions
		WHERE org_id = ? AND visitor_id`+inIDs+` ORDER BY session_id, outcome_id`, orgID, idList(visitorIDs))
	out, err := scanAll(rows, err, scanPrediction)
	if err != nil {
		return nil, fmt.Errorf("subject predictions: %w", err)
	}
	return out, nil
}

// SubjectAchievements returns the achievements of the visitors, oldest first.
func (db *DB) SubjectAchievements(ctx context.Context, orgID string, visitorIDs []string) ([]presage.Achievement, error) {
	rows, err := db.read.QueryContext(ctx, outcomerow.AchievementSelect+` WHERE a.org_id = ? AND a.visitor_id`+inIDs+`
		ORDER BY a.achieved_at, a.session_id, a.outcome_id`, orgID, idList(visitorIDs))
	out, err := scanAll(rows, err, scanAchievement)
	if err != nil {
		return nil, fmt.Errorf("subject achievements: %w", err)
	}
	return out, nil
}

// EraseSubjectPredictions deletes the visitors' predictions and achievements.
func (db *DB) EraseSubjectPredictions(ctx context.Context, orgID string, visitorIDs []string) (int64, int64, error) {
	var preds, achs int64
	vs := idList(visitorIDs)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if preds, err = execCount(ctx, tx, `DELETE FROM predictions WHERE org_id = ? AND visitor_id`+inIDs, orgID, vs); err != nil {
			return fmt.Errorf("predictions: %w", err)
		}
		if achs, err = execCount(ctx, tx, `DELETE FROM achievements WHERE org_id = ? AND visitor_id`+inIDs, orgID, vs); err != nil {
			return fmt.Errorf("achievements: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("erase subject predictions: %w", err)
	}
	return preds, achs, nil
}
