package presage

import (
	"encoding/json"
	"time"
)

// Direction says whether the business wants an outcome to happen.
type Direction string

const (
	Maximize Direction = "maximize" // a positive outcome: a purchase, a sign-up
	Minimize Direction = "minimize" // a negative outcome: a cancellation, a complaint
)

// ConditionKind says what makes a session achieve an outcome.
type ConditionKind string

const (
	// ConditionEvent: a custom event named EventName whose attributes satisfy
	// every AttrCondition.
	ConditionEvent ConditionKind = "event"
	// ConditionPage: a page view whose URL path matches URLPattern.
	ConditionPage ConditionKind = "page"
	// ConditionForm: a form submitted, named FormName ("" means any form).
	ConditionForm ConditionKind = "form"
)

// Condition is when a session achieves an outcome.
type Condition struct {
	Kind       ConditionKind   `json:"kind"`
	EventName  string          `json:"eventName,omitempty"`
	Attributes []AttrCondition `json:"attributes,omitempty"`
	// URLPattern matches the URL path (no query or fragment): "*" matches
	// any run of characters within a segment, "**" any run across segments;
	// everything else matches literally, case-insensitively.
	URLPattern string `json:"urlPattern,omitempty"`
	FormName   string `json:"formName,omitempty"`
}

// AttrOp compares an event attribute with a value.
type AttrOp string

const (
	OpEq       AttrOp = "eq"
	OpNe       AttrOp = "ne"
	OpGt       AttrOp = "gt"
	OpGte      AttrOp = "gte"
	OpLt       AttrOp = "lt"
	OpLte      AttrOp = "lte"
	OpExists   AttrOp = "exists"
	OpContains AttrOp = "contains" // string attribute contains Value
)

// AttrCondition is one test of an event attribute. Value is a JSON string,
// number or boolean (absent for OpExists).
type AttrCondition struct {
	Name  string          `json:"name"`
	Op    AttrOp          `json:"op"`
	Value json.RawMessage `json:"value,omitempty"`
}

// MaxOutcomesPerOrg caps the outcomes one organization defines.
const MaxOutcomesPerOrg = 100

// Outcome is something the business wants a session to reach (or avoid).
// Every outcome of an organization is scored: each session gets its
// probability, updated with each event.
type Outcome struct {
	OrgID       string
	ID          string // "out_…"
	Name        string // unique within the organization
	Description string
	Direction   Direction
	Condition   Condition
	// ValueField names the attribute of the achieving event whose number is
	// the achievement's value (e.g. an order amount); "" records none.
	ValueField string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Achievement records that a session reached an outcome, at its first
// achieving event. It belongs to the session's visitor and, through it, to
// the visitor's customer once identified.
type Achievement struct {
	OrgID      string
	OutcomeID  string
	SessionID  string
	VisitorID  string
	CustomerID string // filled on read from the visitor; "" if not identified
	EventID    string
	AchievedAt time.Time
	Value      *float64
}

// ProbabilityPoint is one scored moment of a session.
type ProbabilityPoint struct {
	At          time.Time `json:"at"`
	Probability float64   `json:"p"`
}

// MaxPredictionHistory caps the points kept per session and outcome; older
// points are dropped first (the maximum is kept separately).
const MaxPredictionHistory = 64

// Prediction is the live probability that a session achieves an outcome.
type Prediction struct {
	OrgID          string
	SessionID      string
	VisitorID      string
	OutcomeID      string
	Probability    float64 // after the latest event
	MaxProbability float64 // highest so far in the session
	// Percentile is the share (0–100) of the organization's recent labelled
	// sessions the model scored lower than Probability.
	Percentile   float64
	ModelVersion int64 // 0: the outcome's model has not learned yet
	Events       int   // events of the session scored so far
	UpdatedAt    time.Time
	History      []ProbabilityPoint // oldest first, at most MaxPredictionHistory
}
