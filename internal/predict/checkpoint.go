package predict

import (
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// LearnerFromCheckpoint restores the learner a checkpoint saved.
func LearnerFromCheckpoint(c Checkpoint) (*Learner, error) {
	l := &Learner{Model: &FTRL{}, Monitor: &Monitor{}, Reference: &Reference{},
		Examples: c.Examples, Sessions: c.Sessions, Positives: c.Positives}
	if err := l.Model.UnmarshalBinary(c.Model); err != nil {
		return nil, fmt.Errorf("restore model %s/%s v%d: %w", c.OrgID, c.OutcomeID, c.Version, err)
	}
	if err := l.Monitor.UnmarshalBinary(c.Monitor); err != nil {
		return nil, fmt.Errorf("restore monitor %s/%s v%d: %w", c.OrgID, c.OutcomeID, c.Version, err)
	}
	if err := l.Reference.UnmarshalBinary(c.Reference); err != nil {
		return nil, fmt.Errorf("restore reference %s/%s v%d: %w", c.OrgID, c.OutcomeID, c.Version, err)
	}
	return l, nil
}

// Checkpoint saves the learner as version of (orgID, outcomeID), with the
// trainer's cursor among ended sessions.
func (l *Learner) Checkpoint(orgID, outcomeID string, version int64, cursor presage.Cursor, at time.Time) (Checkpoint, error) {
	model, err := l.Model.MarshalBinary()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("save model: %w", err)
	}
	monitor, err := l.Monitor.MarshalBinary()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("save monitor: %w", err)
	}
	ref, err := l.Reference.MarshalBinary()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("save reference: %w", err)
	}
	return Checkpoint{OrgID: orgID, OutcomeID: outcomeID, Version: version, Model: model, Monitor: monitor,
		Reference: ref, Cursor: cursor, Examples: l.Examples, Sessions: l.Sessions, Positives: l.Positives,
		UpdatedAt: at}, nil
}
