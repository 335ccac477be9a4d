package collect

import "context"

// Scorer adds predictions and achievements to a write before it commits, so
// they are stored in the same transaction as the events they come from: an
// acknowledged event never lacks its scores, and scoring costs no
// transaction of its own.
type Scorer interface {
	// Score may append to w.Predictions and w.Achievements. The service calls
	// done exactly once, after the commit, with whether it succeeded. An
	// error leaves the write unscored; its events still commit.
	Score(ctx context.Context, w *Write) (done func(committed bool), err error)
}
