package outcome

import (
	"context"

	"github.com/presage-dev/presage/internal/presage"
)

// AchievementFilter narrows ListAchievements; empty fields match everything.
type AchievementFilter struct {
	OutcomeID  string
	SessionID  string
	VisitorID  string
	CustomerID string // achievements of every visitor of this customer
}

// Store keeps outcome definitions and achievements. Every method is scoped to
// orgID: a row of another organization reads as presage.ErrNotFound.
type Store interface {
	// CreateOutcome inserts o. It counts o.OrgID's outcomes and inserts in one
	// transaction, so concurrent creations cannot pass max: beyond it, or when
	// the name is taken, it returns a *presage.Error with CodeConflict.
	CreateOutcome(ctx context.Context, o presage.Outcome, max int) error
	// UpdateOutcome replaces the definition of (o.OrgID, o.ID), keeping
	// CreatedAt; CodeConflict when the new name is taken.
	UpdateOutcome(ctx context.Context, o presage.Outcome) error
	GetOutcome(ctx context.Context, orgID, id string) (presage.Outcome, error)
	// ListOutcomes returns every outcome of orgID, oldest first (CreatedAt, ID).
	ListOutcomes(ctx context.Context, orgID string) ([]presage.Outcome, error)
	// DeleteOutcome deletes the outcome with its model, predictions,
	// and achievements, in one transaction.
	DeleteOutcome(ctx context.Context, orgID, id string) error
	// ListAchievements lists achievements newest first (AchievedAt
	// descending, then SessionID, then OutcomeID descending; Cursor.T and
	// Cursor.ID = SessionID + "/" + OutcomeID), with CustomerID filled from
	// the visitor.
	ListAchievements(ctx context.Context, orgID string, f AchievementFilter, page presage.Page) (items []presage.Achievement, more bool, err error)
}
