package predict

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// privacyHolder is prediction's privacy.Holder: the live probabilities of
// a subject's sessions and the outcomes they achieved. Models are learned
// over many sessions and hold no row of anyone (privacy.NoPersonalData).
type privacyHolder struct {
	store SubjectStore
}

// NewPrivacyHolder returns prediction's privacy holder, named "prediction".
func NewPrivacyHolder(store SubjectStore) privacy.Holder { return &privacyHolder{store: store} }

// Name implements privacy.Holder.
func (h *privacyHolder) Name() string { return "prediction" }

// Tables implements privacy.Holder.
func (h *privacyHolder) Tables() []string { return []string{"predictions", "achievements"} }

// Count implements privacy.Holder.
func (h *privacyHolder) Count(ctx context.Context, s privacy.Subject) (privacy.Counts, error) {
	ps, as, err := h.read(ctx, s)
	if err != nil {
		return nil, err
	}
	return privacy.Counts{"predictions": int64(len(ps)), "achievements": int64(len(as))}, nil
}

// Export implements privacy.Holder.
func (h *privacyHolder) Export(ctx context.Context, s privacy.Subject) ([]privacy.Section, error) {
	ps, as, err := h.read(ctx, s)
	if err != nil {
		return nil, err
	}
	preds := make([]predictionView, 0, len(ps))
	for _, p := range ps {
		preds = append(preds, predictionOf(p))
	}
	achs := make([]achievementView, 0, len(as))
	for _, a := range as {
		achs = append(achs, achievementView{OutcomeID: a.OutcomeID, SessionID: a.SessionID, VisitorID: a.VisitorID,
			EventID: a.EventID, AchievedAt: a.AchievedAt, Value: a.Value})
	}
	return []privacy.Section{
		{Name: "predictions.json", About: "For each visit and each outcome the site measures (such as a purchase), " +
			"the probability Presage estimated that the visit would achieve it, and how that estimate changed " +
			"during the visit.", Data: preds},
		{Name: "achievements.json", About: "The outcomes your visits achieved, with the event that achieved each " +
			"and its value when there is one.", Data: achs},
	}, nil
}

// Rectify implements privacy.Holder: predictions and achievements hold
// no email, phone, name, address or external id, so nothing changes.
func (h *privacyHolder) Rectify(context.Context, privacy.Subject, privacy.Replacement) (privacy.Counts, error) {
	return privacy.Counts{}, nil
}

// Erase implements privacy.Holder.
func (h *privacyHolder) Erase(ctx context.Context, s privacy.Subject) (privacy.Counts, error) {
	preds, achs, err := h.store.EraseSubjectPredictions(ctx, s.OrgID, s.VisitorIDs)
	if err != nil {
		return nil, fmt.Errorf("erase predictions: %w", err)
	}
	return privacy.Counts{"predictions": preds, "achievements": achs}, nil
}

func (h *privacyHolder) read(ctx context.Context, s privacy.Subject) ([]presage.Prediction, []presage.Achievement, error) {
	if len(s.VisitorIDs) == 0 {
		return nil, nil, nil
	}
	ps, err := h.store.SubjectPredictions(ctx, s.OrgID, s.VisitorIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("read predictions: %w", err)
	}
	as, err := h.store.SubjectAchievements(ctx, s.OrgID, s.VisitorIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("read achievements: %w", err)
	}
	return ps, as, nil
}

// The views of the export bundle, with the API's field names.

type predictionView struct {
	SessionID      string                     `json:"sessionId"`
	VisitorID      string                     `json:"visitorId"`
	OutcomeID      string                     `json:"outcomeId"`
	Probability    float64                    `json:"probability"`
	MaxProbability float64                    `json:"maxProbability"`
	Percentile     float64                    `json:"percentile"`
	Events         int                        `json:"events"`
	UpdatedAt      time.Time                  `json:"updatedAt"`
	History        []presage.ProbabilityPoint `json:"history"`
}

func predictionOf(p presage.Prediction) predictionView {
	h := p.History
	if h == nil {
		h = []presage.ProbabilityPoint{}
	}
	return predictionView{SessionID: p.SessionID, VisitorID: p.VisitorID, OutcomeID: p.OutcomeID,
		Probability: p.Probability, MaxProbability: p.MaxProbability, Percentile: p.Percentile, Events: p.Events,
		UpdatedAt: p.UpdatedAt, History: h}
}

type achievementView struct {
	OutcomeID  string    `json:"outcomeId"`
	SessionID  string    `json:"sessionId"`
	VisitorID  string    `json:"visitorId"`
	EventID    string    `json:"eventId"`
	AchievedAt time.Time `json:"achievedAt"`
	Value      *float64  `json:"value,omitempty"`
}
