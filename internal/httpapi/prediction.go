package httpapi

import (
	"net/http"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

type probabilityPointView struct {
	At          apiTime `json:"at"`
	Probability float64 `json:"probability"`
}

type predictionView struct {
	OutcomeID      string                 `json:"outcomeId"`
	SessionID      string                 `json:"sessionId"`
	VisitorID      string                 `json:"visitorId"`
	Probability    float64                `json:"probability"`
	MaxProbability float64                `json:"maxProbability"`
	Percentile     float64                `json:"percentile"`
	ModelVersion   int64                  `json:"modelVersion"`
	Events         int                    `json:"events"`
	UpdatedAt      apiTime                `json:"updatedAt"`
	History        []probabilityPointView `json:"history"`
}

func predictionOf(p presage.Prediction) predictionView {
	v := predictionView{OutcomeID: p.OutcomeID, SessionID: p.SessionID, VisitorID: p.VisitorID,
		Probability: p.Probability, MaxProbability: p.MaxProbability, Percentile: p.Percentile,
		ModelVersion: p.ModelVersion, Events: p.Events, UpdatedAt: apiTime(p.UpdatedAt),
		History: make([]probabilityPointView, len(p.History))}
	for i, h := range p.History {
		v.History[i] = probabilityPointView{At: apiTime(h.At), Probability: h.Probability}
	}
	return v
}

func (s *Server) sessionPredictions(w http.ResponseWriter, r *http.Request) {
	preds, err := s.Predictions.SessionPredictions(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listView[predictionView]{Data: make([]predictionView, 0, len(preds))}
	for _, p := range preds {
		out.Data = append(out.Data, predictionOf(p))
	}
	writeJSON(w, http.StatusOK, out)
}

type calibrationBinView struct {
	Lo        float64  `json:"lo"`
	Hi        float64  `json:"hi"`
	Count     int      `json:"count"`
	Positives int      `json:"positives"`
	MeanPred  *float64 `json:"meanPredicted"`
	Observed  *float64 `json:"observedRate"`
}

// summaryView holds null for a figure that is undefined (e.g. AUC before
// both classes were seen).
type summaryView struct {
	Sessions    int                  `json:"sessions"`
	Positives   int                  `json:"positives"`
	AUC         *float64             `json:"rocAuc"`
	AP          *float64             `json:"averagePrecision"`
	LogLoss     *float64             `json:"logLoss"`
	Brier       *float64             `json:"brier"`
	ECE         *float64             `json:"expectedCalibrationError"`
	Calibration []calibrationBinView `json:"calibration"`
}

func summaryOf(s predict.Summary) summaryView {
	v := summaryView{Sessions: s.N, Positives: s.Positives, AUC: predict.Finite(s.AUC), AP: predict.Finite(s.AP),
		LogLoss: predict.Finite(s.LogLoss), Brier: predict.Finite(s.Brier), ECE: predict.Finite(s.ECE),
		Calibration: make([]calibrationBinView, 0, len(s.Calibration))}
	if s.N == 0 {
		v.LogLoss, v.Brier, v.ECE = nil, nil, nil
	}
	for _, b := range s.Calibration {
		bv := calibrationBinView{Lo: b.Lo, Hi: b.Hi, Count: b.Count, Positives: b.Positives}
		if b.Count > 0 {
			bv.MeanPred, bv.Observed = predict.Finite(b.MeanPred), predict.Finite(b.Observed)
		}
		v.Calibration = append(v.Calibration, bv)
	}
	return v
}

type modelView struct {
	OutcomeID string  `json:"outcomeId"`
	Version   int64   `json:"version"`
	UpdatedAt apiTime `json:"updatedAt"`
	Examples  int64   `json:"examples"`
	Sessions  int64   `json:"sessions"`
	Positives int64   `json:"positives"`
	// FeatureVersion is the feature settings version it was trained with.
	FeatureVersion int64       `json:"featureVersion"`
	Window         summaryView `json:"window"`
	Total          summaryView `json:"total"`
}

func (s *Server) outcomeModel(w http.ResponseWriter, r *http.Request) {
	m, err := s.Predictions.Model(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, modelView{OutcomeID: m.OutcomeID, Version: m.Version, UpdatedAt: apiTime(m.UpdatedAt),
		Examples: m.Examples, Sessions: m.Sessions, Positives: m.Positives, FeatureVersion: m.FeatureVersion,
		Window: summaryOf(m.Window), Total: summaryOf(m.Total)})
}
