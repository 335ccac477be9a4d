package journey

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
)

// Service answers journey queries for an authorized caller (scope read).
type Service struct {
	store Store
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

// List is one page of items and the cursor of the next page ("" on the last).
type List[T any] struct {
	Items []T
	Next  string
}

// MaxLimit bounds one page.
const MaxLimit = 1000

func page(limit int, cursor string) (presage.Page, error) {
	if limit < 1 || limit > MaxLimit {
		return presage.Page{}, presage.Invalid("limit", -1, "limit must be between 1 and %d", MaxLimit)
	}
	after, err := presage.DecodeCursor(cursor)
	if err != nil {
		return presage.Page{}, err
	}
	return presage.Page{Limit: limit, After: after}, nil
}

func list[T any](items []T, more bool, key func(T) presage.Cursor) List[T] {
	l := List[T]{Items: items}
	if more && len(items) > 0 {
		l.Next = key(items[len(items)-1]).Encode()
	}
	return l
}

// CustomerView is a customer with the ids of its visitors (devices).
type CustomerView struct {
	presage.Customer
	VisitorIDs []string
}

// Customer returns one customer and its visitors.
func (s *Service) Customer(ctx context.Context, id string) (CustomerView, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return CustomerView{}, err
	}
	c, err := s.store.GetCustomer(ctx, orgID, id)
	if err != nil {
		return CustomerView{}, fmt.Errorf("get customer: %w", err)
	}
	view := CustomerView{Customer: c, VisitorIDs: []string{}}
	p := presage.Page{Limit: MaxLimit}
	for {
		vs, more, err := s.store.ListVisitors(ctx, orgID, VisitorFilter{CustomerID: id}, p)
		if err != nil {
			return CustomerView{}, fmt.Errorf("list customer visitors: %w", err)
		}
		for _, v := range vs {
			view.VisitorIDs = append(view.VisitorIDs, v.ID)
		}
		if !more || len(vs) == 0 {
			return view, nil
		}
		p.After = &presage.Cursor{T: vs[len(vs)-1].FirstSeenAt, ID: vs[len(vs)-1].ID}
	}
}

// Customers lists customers, newest first.
func (s *Service) Customers(ctx context.Context, limit int, cursor string) (List[presage.Customer], error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return List[presage.Customer]{}, err
	}
	p, err := page(limit, cursor)
	if err != nil {
		return List[presage.Customer]{}, err
	}
	items, more, err := s.store.ListCustomers(ctx, orgID, p)
	if err != nil {
		return List[presage.Customer]{}, fmt.Errorf("list customers: %w", err)
	}
	return list(items, more, func(c presage.Customer) presage.Cursor { return presage.Cursor{T: c.CreatedAt, ID: c.ID} }), nil
}

// Visitor returns one visitor.
func (s *Service) Visitor(ctx context.Context, id string) (presage.Visitor, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return presage.Visitor{}, err
	}
	return s.store.GetVisitor(ctx, orgID, id)
}

// Visitors lists visitors, newest first.
func (s *Service) Visitors(ctx context.Context, f VisitorFilter, limit int, cursor string) (List[presage.Visitor], error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return List[presage.Visitor]{}, err
	}
	p, err := page(limit, cursor)
	if err != nil {
		return List[presage.Visitor]{}, err
	}
	items, more, err := s.store.ListVisitors(ctx, orgID, f, p)
	if err != nil {
		return List[presage.Visitor]{}, fmt.Errorf("list visitors: %w", err)
	}
	return list(items, more, func(v presage.Visitor) presage.Cursor { return presage.Cursor{T: v.FirstSeenAt, ID: v.ID} }), nil
}

// Session returns one session.
func (s *Service) Session(ctx context.Context, id string) (presage.Session, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return presage.Session{}, err
	}
	return s.store.GetSession(ctx, orgID, id)
}

// Sessions lists sessions, newest first.
func (s *Service) Sessions(ctx context.Context, f SessionFilter, limit int, cursor string) (List[presage.Session], error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return List[presage.Session]{}, err
	}
	p, err := page(limit, cursor)
	if err != nil {
		return List[presage.Session]{}, err
	}
	items, more, err := s.store.ListSessions(ctx, orgID, f, p)
	if err != nil {
		return List[presage.Session]{}, fmt.Errorf("list sessions: %w", err)
	}
	return list(items, more, func(v presage.Session) presage.Cursor { return presage.Cursor{T: v.StartedAt, ID: v.ID} }), nil
}

// Events lists a session's events in the order they happened. An unknown
// session (or another organization's) is not found rather than empty.
func (s *Service) Events(ctx context.Context, sessionID string, limit int, cursor string) (List[presage.Event], error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return List[presage.Event]{}, err
	}
	p, err := page(limit, cursor)
	if err != nil {
		return List[presage.Event]{}, err
	}
	if _, err := s.store.GetSession(ctx, orgID, sessionID); err != nil {
		return List[presage.Event]{}, fmt.Errorf("get session: %w", err)
	}
	items, more, err := s.store.ListEvents(ctx, orgID, sessionID, p)
	if err != nil {
		return List[presage.Event]{}, fmt.Errorf("list events: %w", err)
	}
	return list(items, more, func(e presage.Event) presage.Cursor {
		return presage.Cursor{T: e.OccurredAt, Seq: e.Seq, ID: e.ID}
	}), nil
}
