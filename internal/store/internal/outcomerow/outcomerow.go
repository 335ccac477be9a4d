// Package outcomerow holds what both storage engines share about outcomes,
// achievements, predictions and model checkpoints: the text of their JSON
// columns, the achievement list cursor, and the caller-safe conflict errors.
// It never does I/O.
package outcomerow

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// OutcomeTables are the tables whose rows belong to one outcome (by org_id
// and outcome_id), deleted with it.
var OutcomeTables = []string{"models", "predictions", "achievements"}

// AchievementSelect reads achievements a with the customer of their visitor,
// in the column order both engines scan; it is the same SQL on both.
const AchievementSelect = `SELECT a.org_id, a.outcome_id, a.session_id, a.visitor_id, COALESCE(v.customer_id, ''),
	a.event_id, a.achieved_at, a.value
	FROM achievements a LEFT JOIN visitors v ON v.org_id = a.org_id AND v.id = a.visitor_id`

// EncodeCondition returns the stored text of an outcome's condition.
func EncodeCondition(c presage.Condition) (string, error) {
	return rowjson.Encode(c)
}

// DecodeCondition parses a stored condition.
func DecodeCondition(s string) (presage.Condition, error) {
	var c presage.Condition
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return presage.Condition{}, fmt.Errorf("decode outcome condition: %w", err)
	}
	return c, nil
}

// EncodeHistory returns the stored text of a prediction's history: its last
// presage.MaxPredictionHistory points as a compact JSON array of
// [unix milliseconds, probability to 6 significant digits] pairs (never
// null). It is written with every scored batch inside the ingestion
// transaction, so its size is the cost: about 22 bytes a point.
func EncodeHistory(h []presage.ProbabilityPoint) (string, error) {
	h = h[max(0, len(h)-presage.MaxPredictionHistory):]
	b := make([]byte, 0, 2+len(h)*24)
	b = append(b, '[')
	for i, pt := range h {
		if !Finite(pt.Probability) {
			return "", fmt.Errorf("history point %d: probability is not a finite number", i)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, pt.At.UnixMilli(), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, pt.Probability, 'g', 6, 64)
		b = append(b, ']')
	}
	return string(append(b, ']')), nil
}

// DecodeHistory parses a stored history.
func DecodeHistory(s string) ([]presage.ProbabilityPoint, error) {
	var raw [][2]float64 // milliseconds are exact in a float64 until the year 287396
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("decode prediction history: %w", err)
	}
	h := make([]presage.ProbabilityPoint, len(raw))
	for i, r := range raw {
		h[i] = presage.ProbabilityPoint{At: time.UnixMilli(int64(r[0])).UTC(), Probability: r[1]}
	}
	return h, nil
}

// Finite reports whether v is neither NaN nor infinite: the only numbers
// both engines store alike (SQLite turns NaN into NULL).
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// AchievementCursor returns the list cursor of a: its time, and its session
// and outcome ids joined by "/".
func AchievementCursor(a presage.Achievement) presage.Cursor {
	return presage.Cursor{T: a.AchievedAt, ID: a.SessionID + "/" + a.OutcomeID}
}

// SplitAchievementCursor returns the session and outcome ids of a cursor ID
// made by AchievementCursor. Outcome ids never hold "/", so the last one
// separates them; an ID without one is a session id alone (it sorts before
// every outcome of that session).
func SplitAchievementCursor(id string) (sessionID, outcomeID string) {
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return id, ""
	}
	return id[:i], id[i+1:]
}

// NameTaken is the error for an outcome name already used in the organization.
func NameTaken(name string, err error) error {
	return &presage.Error{Code: presage.CodeConflict, Message: fmt.Sprintf("an outcome named %q already exists", name), Err: err}
}

// IDTaken is the error for an outcome id already used in the organization.
func IDTaken(err error) error {
	return &presage.Error{Code: presage.CodeConflict, Message: "an outcome with this id already exists", Err: err}
}

// LimitReached is the error for an organization that has max outcomes.
func LimitReached(max int) error {
	return presage.Errorf(presage.CodeConflict, "this organization already has %d outcomes (the maximum)", max)
}

// LeaseLost is the error for a checkpoint whose writer no longer holds the
// training lease at the checkpoint's time.
func LeaseLost() error {
	return presage.Errorf(presage.CodeConflict, "the training lease is no longer held by this node")
}

// VersionConflict is the error for a checkpoint that does not follow the
// stored version (stored is 0 when there is none).
func VersionConflict(stored, version int64) error {
	return presage.Errorf(presage.CodeConflict, "the model is at version %d: version %d cannot follow it", stored, version)
}

// CheckLease returns LeaseLost unless the lease row found (holder rowHolder,
// expiring at expiresAt) grants holder the lease at instant at: a lease is
// held up to and including its expiry.
func CheckLease(found bool, rowHolder string, expiresAt time.Time, holder string, at time.Time) error {
	if !found || rowHolder != holder || expiresAt.Before(presage.StoredTime(at)) {
		return LeaseLost()
	}
	return nil
}
