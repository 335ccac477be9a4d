package predict

import (
	"context"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// VisitorHistory summarizes a visitor's sessions that started before a given
// session: what prediction may know about the past at the session's start.
type VisitorHistory struct {
	PastSessions int
	LastVisit    time.Time // latest LastEventAt of those sessions; zero if none
	Achieved     []string  // ids of outcomes those sessions achieved, distinct, sorted
}

// Checkpoint is the saved state of one (organization, outcome) model.
type Checkpoint struct {
	OrgID     string
	OutcomeID string
	Version   int64  // increases by one with each save
	Model     []byte // FTRL.MarshalBinary
	Monitor   []byte // Monitor.MarshalBinary
	Reference []byte // Reference.MarshalBinary
	// Cursor is the trainer's position among ended sessions, ordered by
	// (LastEventAt, ID): Cursor.T and Cursor.ID of the last one learned.
	Cursor presage.Cursor
	// FeatureVersion is the version of the organization's feature
	// settings the model was trained with (0: the defaults).
	FeatureVersion int64
	Examples       int64 // training examples learned
	Sessions       int64 // labelled sessions learned
	Positives      int64 // of which achieved the outcome
	UpdatedAt      time.Time
}

// Store is what live scoring and training read and write. Every method is
// scoped to orgID.
type Store interface {
	ListOutcomes(ctx context.Context, orgID string) ([]presage.Outcome, error)
	GetSession(ctx context.Context, orgID, id string) (presage.Session, error)
	// SessionEvents returns every event of the session in storage order (Seq
	// ascending): the order live scoring saw them.
	SessionEvents(ctx context.Context, orgID, sessionID string) ([]presage.Event, error)
	// VisitorHistory summarizes visitorID's sessions other than
	// exceptSessionID that started before before, as known at before:
	// LastVisit is at most before and only achievements made before it count,
	// so replaying a session later sees the history live scoring saw.
	VisitorHistory(ctx context.Context, orgID, visitorID, exceptSessionID string, before time.Time) (VisitorHistory, error)
	// SessionPredictions returns the session's stored predictions, one per
	// outcome, with their history.
	SessionPredictions(ctx context.Context, orgID, sessionID string) ([]presage.Prediction, error)
	// SessionAchievements returns the session's achievements.
	SessionAchievements(ctx context.Context, orgID, sessionID string) ([]presage.Achievement, error)

	// FeatureSettings returns orgID's latest feature settings;
	// DefaultFeatureSettings (version 0) when none were saved.
	FeatureSettings(ctx context.Context, orgID string) (FeatureSettings, error)

	// ModelVersions maps each outcome of orgID that has a checkpoint to its
	// version.
	ModelVersions(ctx context.Context, orgID string) (map[string]int64, error)
	// LoadCheckpoint returns the latest checkpoint, presage.ErrNotFound if none.
	LoadCheckpoint(ctx context.Context, orgID, outcomeID string) (Checkpoint, error)

	// OrganizationsWithOutcomes lists the ids of organizations that define at
	// least one outcome.
	OrganizationsWithOutcomes(ctx context.Context) ([]string, error)
	// AcquireLease takes or renews the named lease for holder until now+ttl:
	// it succeeds when the lease is free, expired or already held by holder.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease frees the lease if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// EndedSessions returns up to limit sessions of orgID with
	// (LastEventAt, ID) after the cursor and LastEventAt before endedBefore,
	// in (LastEventAt, ID) order.
	EndedSessions(ctx context.Context, orgID string, after presage.Cursor, endedBefore time.Time, limit int) ([]presage.Session, error)
	// SaveCheckpoint, in one transaction: checks that holder still holds the
	// lease named lease (else CodeConflict), that the stored version of the
	// model is c.Version-1 (no row counts as 0; else CodeConflict), and
	// writes c.
	SaveCheckpoint(ctx context.Context, c Checkpoint, lease, holder string) error
}
