package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

type attrConditionView struct {
	Name  string          `json:"name"`
	Op    presage.AttrOp  `json:"op"`
	Value json.RawMessage `json:"value,omitempty"`
}

type conditionView struct {
	Kind       presage.ConditionKind `json:"kind"`
	EventName  string                `json:"eventName,omitempty"`
	Attributes []attrConditionView   `json:"attributes,omitempty"`
	URLPattern string                `json:"urlPattern,omitempty"`
	FormName   string                `json:"formName,omitempty"`
}

type outcomeView struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Direction   presage.Direction `json:"direction"`
	Condition   conditionView     `json:"condition"`
	ValueField  *string           `json:"valueField"`
	CreatedAt   apiTime           `json:"createdAt"`
	UpdatedAt   apiTime           `json:"updatedAt"`
}

func outcomeOf(o presage.Outcome) outcomeView {
	c := o.Condition
	view := outcomeView{ID: o.ID, Name: o.Name, Description: o.Description, Direction: o.Direction,
		Condition: conditionView{Kind: c.Kind, EventName: c.EventName, URLPattern: c.URLPattern, FormName: c.FormName},
		CreatedAt: apiTime(o.CreatedAt), UpdatedAt: apiTime(o.UpdatedAt)}
	for _, a := range c.Attributes {
		view.Condition.Attributes = append(view.Condition.Attributes, attrConditionView{Name: a.Name, Op: a.Op, Value: a.Value})
	}
	if o.ValueField != "" {
		view.ValueField = &o.ValueField
	}
	return view
}

type achievementView struct {
	OutcomeID  string   `json:"outcomeId"`
	SessionID  string   `json:"sessionId"`
	VisitorID  string   `json:"visitorId"`
	CustomerID *string  `json:"customerId"`
	EventID    string   `json:"eventId"`
	AchievedAt apiTime  `json:"achievedAt"`
	Value      *float64 `json:"value"`
}

func achievementOf(a presage.Achievement) achievementView {
	view := achievementView{OutcomeID: a.OutcomeID, SessionID: a.SessionID, VisitorID: a.VisitorID, EventID: a.EventID,
		AchievedAt: apiTime(a.AchievedAt), Value: a.Value}
	if a.CustomerID != "" {
		view.CustomerID = &a.CustomerID
	}
	return view
}

// readDefinition reads and strictly decodes an outcome definition body.
func readDefinition(w http.ResponseWriter, r *http.Request) (outcome.Definition, error) {
	body, err := readBody(w, r, maxAPIBody)
	if err != nil {
		return outcome.Definition{}, err
	}
	return outcome.DecodeDefinition(body)
}

func (s *Server) listOutcomes(w http.ResponseWriter, r *http.Request) {
	outs, err := s.Outcomes.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listView[outcomeView]{Data: make([]outcomeView, 0, len(outs))}
	for _, o := range outs {
		out.Data = append(out.Data, outcomeOf(o))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createOutcome(w http.ResponseWriter, r *http.Request) {
	d, err := readDefinition(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Outcomes.Create(r.Context(), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/outcomes/"+o.ID)
	writeJSON(w, http.StatusCreated, outcomeOf(o))
}

func (s *Server) getOutcome(w http.ResponseWriter, r *http.Request) {
	o, err := s.Outcomes.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outcomeOf(o))
}

func (s *Server) putOutcome(w http.ResponseWriter, r *http.Request) {
	d, err := readDefinition(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Outcomes.Update(r.Context(), r.PathValue("id"), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outcomeOf(o))
}

func (s *Server) deleteOutcome(w http.ResponseWriter, r *http.Request) {
	if err := s.Outcomes.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// achievementFilter reads the filters of an achievement list.
func achievementFilter(r *http.Request) outcome.AchievementFilter {
	q := r.URL.Query()
	return outcome.AchievementFilter{OutcomeID: q.Get("outcomeId"), SessionID: q.Get("sessionId"),
		VisitorID: q.Get("visitorId"), CustomerID: q.Get("customerId")}
}

func (s *Server) writeAchievements(w http.ResponseWriter, r *http.Request, f outcome.AchievementFilter) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Outcomes.ListAchievements(r.Context(), f, limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listView[achievementView]{Data: make([]achievementView, 0, len(l.Items)), NextCursor: l.Next}
	for _, a := range l.Items {
		out.Data = append(out.Data, achievementOf(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listAchievements(w http.ResponseWriter, r *http.Request) {
	s.writeAchievements(w, r, achievementFilter(r))
}

// sessionAchievements lists a session's achievements; an unknown session
// (or another organization's) is not found rather than empty.
func (s *Server) sessionAchievements(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Journeys.Session(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := achievementFilter(r)
	f.SessionID = id
	s.writeAchievements(w, r, f)
}

// customerAchievements lists the achievements of every visitor (device) of
// a customer; an unknown customer is not found rather than empty.
func (s *Server) customerAchievements(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Journeys.Customer(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := achievementFilter(r)
	f.CustomerID = id
	s.writeAchievements(w, r, f)
}
