package sealed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

// GetSession returns the session with its landing data opened.
func (e *engine) GetSession(ctx context.Context, orgID, id string) (presage.Session, error) {
	s, err := e.base.GetSession(ctx, orgID, id)
	if err != nil {
		return s, err
	}
	one := []presage.Session{s}
	if err := e.openSessions(ctx, orgID, one); err != nil {
		return presage.Session{}, fmt.Errorf("get session: %w", err)
	}
	return one[0], nil
}

// ListSessions returns a page of sessions with their landing data opened.
func (e *engine) ListSessions(ctx context.Context, orgID string, f journey.SessionFilter, page presage.Page) ([]presage.Session, bool, error) {
	items, more, err := e.base.ListSessions(ctx, orgID, f, page)
	if err != nil {
		return nil, false, err
	}
	if err := e.openSessions(ctx, orgID, items); err != nil {
		return nil, false, fmt.Errorf("list sessions: %w", err)
	}
	return items, more, nil
}

// EndedSessions returns the sessions training reads, opened.
func (e *engine) EndedSessions(ctx context.Context, orgID string, after presage.Cursor, endedBefore time.Time, limit int) ([]presage.Session, error) {
	items, err := e.base.EndedSessions(ctx, orgID, after, endedBefore, limit)
	if err != nil {
		return nil, err
	}
	if err := e.openSessions(ctx, orgID, items); err != nil {
		return nil, fmt.Errorf("ended sessions: %w", err)
	}
	return items, nil
}

// ListEvents returns a page of a session's events, opened.
func (e *engine) ListEvents(ctx context.Context, orgID, sessionID string, page presage.Page) ([]presage.Event, bool, error) {
	items, more, err := e.base.ListEvents(ctx, orgID, sessionID, page)
	if err != nil {
		return nil, false, err
	}
	if err := e.openEvents(ctx, orgID, items); err != nil {
		return nil, false, fmt.Errorf("list events: %w", err)
	}
	return items, more, nil
}

// SessionEvents returns every event of a session, opened, for scoring.
func (e *engine) SessionEvents(ctx context.Context, orgID, sessionID string) ([]presage.Event, error) {
	items, err := e.base.SessionEvents(ctx, orgID, sessionID)
	if err != nil {
		return nil, err
	}
	if err := e.openEvents(ctx, orgID, items); err != nil {
		return nil, fmt.Errorf("session events: %w", err)
	}
	return items, nil
}

// VisitorEvents returns a page of a visitor's events, opened, for export and
// rectification.
func (e *engine) VisitorEvents(ctx context.Context, orgID, visitorID string, afterSeq int64, limit int) ([]presage.Event, error) {
	items, err := e.base.VisitorEvents(ctx, orgID, visitorID, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	if err := e.openEvents(ctx, orgID, items); err != nil {
		return nil, fmt.Errorf("visitor events: %w", err)
	}
	return items, nil
}

// GetCustomer returns the customer with its traits opened.
func (e *engine) GetCustomer(ctx context.Context, orgID, id string) (presage.Customer, error) {
	c, err := e.base.GetCustomer(ctx, orgID, id)
	if err != nil {
		return c, err
	}
	one := []presage.Customer{c}
	if err := e.openCustomers(ctx, orgID, one); err != nil {
		return presage.Customer{}, fmt.Errorf("get customer: %w", err)
	}
	return one[0], nil
}

// ListCustomers returns a page of customers with their traits opened.
func (e *engine) ListCustomers(ctx context.Context, orgID string, page presage.Page) ([]presage.Customer, bool, error) {
	items, more, err := e.base.ListCustomers(ctx, orgID, page)
	if err != nil {
		return nil, false, err
	}
	if err := e.openCustomers(ctx, orgID, items); err != nil {
		return nil, false, fmt.Errorf("list customers: %w", err)
	}
	return items, more, nil
}

// openSessions opens the landing data of a page of sessions in place, after
// one prefetch of their keys.
func (e *engine) openSessions(ctx context.Context, orgID string, items []presage.Session) error {
	o := e.opener(ctx, orgID)
	values := make([]string, 0, 2*len(items))
	for i := range items {
		values = append(values, items[i].LandingURL, items[i].Referrer)
	}
	if err := o.prefetch(values); err != nil {
		return err
	}
	for i := range items {
		if err := openSession(o, &items[i]); err != nil {
			return fmt.Errorf("session %s: %w", items[i].ID, err)
		}
	}
	return nil
}

// openSession opens a session's landing data: a bundle in its landing URL
// column, or, in rows written before bundles, each text sealed on its own.
func openSession(o *opener, s *presage.Session) error {
	plain, _, err := o.open(s.LandingURL)
	if err != nil {
		return err
	}
	if isBundle(plain) {
		return unpackTexts(plain, []*string{&s.LandingURL, &s.Referrer})
	}
	s.LandingURL = plain
	s.Referrer, err = o.text(s.Referrer)
	return err
}

// openEvents opens the texts of a page of events in place, after one
// prefetch of their keys.
func (e *engine) openEvents(ctx context.Context, orgID string, items []presage.Event) error {
	o := e.opener(ctx, orgID)
	values := make([]string, 0, 4*len(items))
	for i := range items {
		values = append(values, items[i].URL, items[i].Title, items[i].Referrer)
		values = sealedIn(items[i].Attributes, values)
	}
	if err := o.prefetch(values); err != nil {
		return err
	}
	for i := range items {
		if err := openEvent(o, &items[i]); err != nil {
			return fmt.Errorf("event %s: %w", items[i].ID, err)
		}
	}
	return nil
}

// openEvent opens an event's texts: a bundle in its attributes column, or,
// in rows written before bundles, each text sealed on its own. A destroyed
// bundle reads as an event without texts.
func openEvent(o *opener, ev *presage.Event) error {
	if v, ok := unquote(ev.Attributes); ok {
		plain, _, err := o.open(v)
		if err != nil {
			return err
		}
		ev.Attributes = nil
		if isBundle(plain) {
			var attrs string
			if err := unpackTexts(plain, []*string{&ev.URL, &ev.Title, &ev.Referrer, &attrs}); err != nil {
				return err
			}
			if attrs != "" {
				ev.Attributes = json.RawMessage(attrs)
			}
			return nil
		}
		if plain != "" {
			ev.Attributes = json.RawMessage(plain)
		}
	}
	var err error
	if ev.URL, err = o.text(ev.URL); err != nil {
		return err
	}
	if ev.Title, err = o.text(ev.Title); err != nil {
		return err
	}
	ev.Referrer, err = o.text(ev.Referrer)
	return err
}

// openCustomers opens the traits of a page of customers in place, after one
// prefetch of their keys.
func (e *engine) openCustomers(ctx context.Context, orgID string, items []presage.Customer) error {
	o := e.opener(ctx, orgID)
	var values []string
	for i := range items {
		values = sealedIn(items[i].Traits, values)
	}
	if err := o.prefetch(values); err != nil {
		return err
	}
	for i := range items {
		var err error
		if items[i].Traits, err = o.traits(items[i].Traits); err != nil {
			return fmt.Errorf("customer %s: %w", items[i].ID, err)
		}
	}
	return nil
}
