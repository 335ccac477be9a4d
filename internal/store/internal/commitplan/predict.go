package commitplan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/outcomerow"
)

// PredictionRow is one prediction to upsert: the values of the last write of
// the call that carries its (organization, session, outcome), with
// MaxProbability the highest of all of them (engines keep the greater of it
// and the stored one). History is the stored text; Prediction.History is nil.
type PredictionRow struct {
	presage.Prediction
	History string
}

type predictionKey struct{ org, session, outcome string }

type achievementKey struct{ org, outcome, session string }

// addPredictions merges the predictions of write w into rows; a missing
// session or visitor id is the write's session's.
func addPredictions(rows map[predictionKey]*PredictionRow, w *collect.Write, s *SessionRow) error {
	for i, in := range w.Predictions {
		if err := checkPrediction(in); err != nil {
			return fmt.Errorf("prediction %d: %w", i, err)
		}
		history, err := outcomerow.EncodeHistory(in.History)
		if err != nil {
			return fmt.Errorf("prediction %d: %w", i, err)
		}
		r := &PredictionRow{Prediction: in, History: history}
		r.OrgID, r.Prediction.History = w.OrgID, nil
		r.SessionID = cmp.Or(r.SessionID, s.ID)
		r.VisitorID = cmp.Or(r.VisitorID, s.VisitorID)
		r.UpdatedAt = presage.StoredTime(r.UpdatedAt)
		r.MaxProbability = max(r.MaxProbability, r.Probability)
		k := predictionKey{r.OrgID, r.SessionID, r.OutcomeID}
		if prev, ok := rows[k]; ok {
			r.MaxProbability = max(r.MaxProbability, prev.MaxProbability)
		}
		rows[k] = r
	}
	return nil
}

func checkPrediction(in presage.Prediction) error {
	switch {
	case in.OutcomeID == "":
		return errors.New("missing outcome id")
	case !outcomerow.Finite(in.Probability) || !outcomerow.Finite(in.MaxProbability) || !outcomerow.Finite(in.Percentile):
		return errors.New("probability or percentile is not a finite number")
	}
	return nil
}

// addAchievements adds the achievements of write w to rows unless one of the
// same (organization, outcome, session) came first.
func addAchievements(rows map[achievementKey]*presage.Achievement, w *collect.Write, s *SessionRow) error {
	for i, in := range w.Achievements {
		switch {
		case in.OutcomeID == "":
			return fmt.Errorf("achievement %d: missing outcome id", i)
		case in.Value != nil && !outcomerow.Finite(*in.Value):
			return fmt.Errorf("achievement %d: value is not a finite number", i)
		}
		a := in
		a.OrgID, a.CustomerID = w.OrgID, ""
		a.SessionID = cmp.Or(a.SessionID, s.ID)
		a.VisitorID = cmp.Or(a.VisitorID, s.VisitorID)
		a.AchievedAt = presage.StoredTime(a.AchievedAt)
		k := achievementKey{a.OrgID, a.OutcomeID, a.SessionID}
		if _, ok := rows[k]; !ok {
			rows[k] = &a
		}
	}
	return nil
}

// sortedPredictions lists rows by key: a stable lock order.
func sortedPredictions(rows map[predictionKey]*PredictionRow) []*PredictionRow {
	out := make([]*PredictionRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *PredictionRow) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.SessionID, b.SessionID), cmp.Compare(a.OutcomeID, b.OutcomeID))
	})
	return out
}

// sortedAchievements lists rows by key: a stable lock order.
func sortedAchievements(rows map[achievementKey]*presage.Achievement) []*presage.Achievement {
	out := make([]*presage.Achievement, 0, len(rows))
	for _, a := range rows {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *presage.Achievement) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.OutcomeID, b.OutcomeID), cmp.Compare(a.SessionID, b.SessionID))
	})
	return out
}
