// Package requestrow is the row form of a data subject request, shared by
// both storage engines so they store and read requests alike. It never does
// I/O.
package requestrow

import (
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// Columns lists the columns of gdpr_requests in the order both engines
// insert and scan them.
const Columns = `org_id, id, type, status, terms, replacements, requested_by, received_at, due_at,
	extension_reason, progress, result, error, attempts, next_run_at, lease_holder, lease_until, updated_at,
	completed_at, scrubbed`

// NotTerminal is the queue's condition, word for word the WHERE clause of
// the partial index gdpr_requests_queue so that the planner uses it.
const NotTerminal = `status NOT IN ('completed', 'error')`

// JSON holds the JSON columns of a request as stored.
type JSON struct {
	Terms, Replacements, Progress string
	Result                        *string // NULL until the request completed
}

// Encode returns the JSON columns of r.
func Encode(r privacy.Request) (JSON, error) {
	var j JSON
	var err error
	if j.Terms, err = rowjson.Encode(rowjson.NonNil(r.Terms)); err != nil {
		return j, fmt.Errorf("terms: %w", err)
	}
	if j.Replacements, err = rowjson.Encode(rowjson.NonNil(r.Replacements)); err != nil {
		return j, fmt.Errorf("replacements: %w", err)
	}
	if j.Progress, err = rowjson.Encode(r.Progress); err != nil {
		return j, fmt.Errorf("progress: %w", err)
	}
	if r.Result != nil {
		res, err := rowjson.Encode(r.Result)
		if err != nil {
			return j, fmt.Errorf("result: %w", err)
		}
		j.Result = &res
	}
	return j, nil
}

// Decode fills r's JSON fields from j; empty lists read back as nil, the
// way a new Request holds them.
func Decode(r *privacy.Request, j JSON) error {
	if err := json.Unmarshal([]byte(j.Terms), &r.Terms); err != nil {
		return fmt.Errorf("decode terms: %w", err)
	}
	if err := json.Unmarshal([]byte(j.Replacements), &r.Replacements); err != nil {
		return fmt.Errorf("decode replacements: %w", err)
	}
	if err := json.Unmarshal([]byte(j.Progress), &r.Progress); err != nil {
		return fmt.Errorf("decode progress: %w", err)
	}
	if j.Result != nil {
		r.Result = new(privacy.Result)
		if err := json.Unmarshal([]byte(*j.Result), r.Result); err != nil {
			return fmt.Errorf("decode result: %w", err)
		}
	}
	if len(r.Terms) == 0 {
		r.Terms = nil
	}
	if len(r.Replacements) == 0 {
		r.Replacements = nil
	}
	return nil
}
