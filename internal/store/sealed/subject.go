package sealed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// CustomerSubject returns the key-ring subject whose data key seals the
// traits a customer's rectification writes (PutTraits). Erasing the customer
// shreds it together with the keys of the customer's visitors.
func CustomerSubject(customerID string) string { return "customer:" + customerID }

// UpdateEventTexts seals the rectified texts of each event with its
// visitor's data key and writes them. events is left as it is.
func (e *engine) UpdateEventTexts(ctx context.Context, orgID string, events []presage.Event) error {
	visitors := make([]string, len(events))
	for i, ev := range events {
		if ev.VisitorID == "" {
			return fmt.Errorf("update event texts: event %s names no visitor, whose key would seal it", ev.ID)
		}
		visitors[i] = ev.VisitorID
	}
	sealers, err := e.keys.Sealers(ctx, orgID, visitors)
	if err != nil {
		return fmt.Errorf("update event texts: %w", err)
	}
	out := make([]presage.Event, len(events))
	for i, ev := range events {
		sealEvent(&ev, sealers[ev.VisitorID])
		out[i] = ev
	}
	return e.base.UpdateEventTexts(ctx, orgID, out)
}

// UpdateSessionTexts seals the rectified landing data of each session with
// its visitor's data key and writes it. sessions is left as it is.
func (e *engine) UpdateSessionTexts(ctx context.Context, orgID string, sessions []presage.Session) error {
	visitors := make([]string, len(sessions))
	for i, s := range sessions {
		if s.VisitorID == "" {
			return fmt.Errorf("update session texts: session %s names no visitor, whose key would seal it", s.ID)
		}
		visitors[i] = s.VisitorID
	}
	sealers, err := e.keys.Sealers(ctx, orgID, visitors)
	if err != nil {
		return fmt.Errorf("update session texts: %w", err)
	}
	out := make([]presage.Session, len(sessions))
	for i, s := range sessions {
		sealSession(&s, sealers[s.VisitorID])
		out[i] = s
	}
	return e.base.UpdateSessionTexts(ctx, orgID, out)
}

// PutTraits seals each value of traits with the customer's own data key and
// replaces the customer's traits with them.
func (e *engine) PutTraits(ctx context.Context, orgID, customerID string, traits json.RawMessage, at time.Time) error {
	subject := CustomerSubject(customerID)
	sealers, err := e.keys.Sealers(ctx, orgID, []string{subject})
	if err != nil {
		return fmt.Errorf("put traits: %w", err)
	}
	sealed, err := sealTraits(sealers[subject], traits)
	if err != nil {
		return fmt.Errorf("put traits: %w", err)
	}
	return e.base.PutTraits(ctx, orgID, customerID, sealed, at)
}
