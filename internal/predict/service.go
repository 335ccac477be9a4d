package predict

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Service answers prediction queries for an authorized caller (scope read).
type Service struct {
	store Store
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

// SessionPredictions returns the live probability of every scored outcome
// of one session, with its maximum and history.
func (s *Service) SessionPredictions(ctx context.Context, sessionID string) ([]presage.Prediction, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GetSession(ctx, orgID, sessionID); err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	preds, err := s.store.SessionPredictions(ctx, orgID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("session predictions: %w", err)
	}
	return preds, nil
}

// ModelReport is the state and measured quality of one outcome's model.
type ModelReport struct {
	OutcomeID string
	Version   int64 // 0: not trained yet
	UpdatedAt time.Time
	Examples  int64 // scored moments learned
	Sessions  int64 // labelled sessions learned
	Positives int64 // of which achieved the outcome
	// FeatureVersion is the feature settings version the model was trained
	// with (0: the defaults).
	FeatureVersion int64
	// Window covers the latest MonitorWindow labelled sessions, Total every
	// one since the model was created; each session is scored by the model
	// as it was before learning from it (progressive validation).
	Window Summary
	Total  Summary
}

// Model reports on the model of one outcome.
func (s *Service) Model(ctx context.Context, outcomeID string) (ModelReport, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return ModelReport{}, err
	}
	outs, err := s.store.ListOutcomes(ctx, orgID)
	if err != nil {
		return ModelReport{}, fmt.Errorf("list outcomes: %w", err)
	}
	found := false
	for _, o := range outs {
		found = found || o.ID == outcomeID
	}
	if !found {
		return ModelReport{}, presage.ErrNotFound
	}
	r := ModelReport{OutcomeID: outcomeID}
	ck, err := s.store.LoadCheckpoint(ctx, orgID, outcomeID)
	if presage.IsNotFound(err) {
		empty := NewMonitor(0)
		r.Window, r.Total = empty.Window(), empty.Total()
		return r, nil
	}
	if err != nil {
		return ModelReport{}, fmt.Errorf("load model: %w", err)
	}
	var m Monitor
	if err := m.UnmarshalBinary(ck.Monitor); err != nil {
		return ModelReport{}, fmt.Errorf("load model monitor: %w", err)
	}
	r.Version, r.UpdatedAt = ck.Version, ck.UpdatedAt
	r.Examples, r.Sessions, r.Positives, r.FeatureVersion = ck.Examples, ck.Sessions, ck.Positives, ck.FeatureVersion
	r.Window, r.Total = m.Window(), m.Total()
	return r, nil
}

// Finite returns v, or nil when it is NaN or infinite (JSON has no NaN).
func Finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
