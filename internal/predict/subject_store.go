package predict

import (
	"context"

	"github.com/presage-dev/presage/internal/presage"
)

// SubjectStore reads and erases a data subject's predictions and
// achievements, by the subject's visitors, for the prediction's privacy
// holder. Every method is scoped to orgID and safe to repeat after a crash.
type SubjectStore interface {
	// SubjectPredictions returns the predictions of the visitors' sessions,
	// each with its probability history, by (session, outcome).
	SubjectPredictions(ctx context.Context, orgID string, visitorIDs []string) ([]presage.Prediction, error)
	// SubjectAchievements returns the achievements of the visitors, oldest
	// first.
	SubjectAchievements(ctx context.Context, orgID string, visitorIDs []string) ([]presage.Achievement, error)
	// EraseSubjectPredictions deletes, in one transaction, the predictions
	// and achievements of the visitors and counts them.
	EraseSubjectPredictions(ctx context.Context, orgID string, visitorIDs []string) (predictions, achievements int64, err error)
}
