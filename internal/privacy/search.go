package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// maxTermLength bounds a search value: longer is not an identifier.
const maxTermLength = 1000

// checkTerm validates one term; pointer names it in errors (a JSON
// Pointer into the body, or "" for the query parameters type and value).
func checkTerm(pointer string, t Term) (Term, error) {
	field := func(name string) string {
		if pointer == "" {
			return name
		}
		return pointer + "/" + name
	}
	if !slices.Contains(SearchTypes, t.Type) {
		return t, presage.Invalid(field("type"), -1, "unknown type %q (one of %s)", t.Type, typeList())
	}
	t.Value = strings.TrimSpace(t.Value)
	if t.Value == "" {
		return t, presage.Invalid(field("value"), -1, "value is required")
	}
	if utf8.RuneCountInString(t.Value) > maxTermLength || !utf8.ValidString(t.Value) {
		return t, presage.Invalid(field("value"), -1, "value must be valid UTF-8 of at most %d characters", maxTermLength)
	}
	return t, nil
}

func typeList() string {
	names := make([]string, len(SearchTypes))
	for i, t := range SearchTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// resolve finds the subject the terms name: the customers any term matches,
// every visitor of those customers, and the visitors matched directly.
func (s *Service) resolve(ctx context.Context, orgID string, terms []Term) (Subject, error) {
	sub := Subject{OrgID: orgID}
	var customers, visitors []string
	for _, t := range terms {
		cs, vs, err := s.match(ctx, orgID, t)
		if err != nil {
			return Subject{}, err
		}
		customers = append(customers, cs...)
		visitors = append(visitors, vs...)
	}
	customers = sortedUnique(customers)
	if len(customers) > 0 {
		vs, err := s.opt.Store.VisitorsOfCustomers(ctx, orgID, customers)
		if err != nil {
			return Subject{}, fmt.Errorf("visitors of customers: %w", err)
		}
		visitors = append(visitors, vs...)
	}
	sub.CustomerIDs = customers
	sub.VisitorIDs = sortedUnique(visitors)
	return sub, nil
}

// match returns the customers and visitors one term matches directly.
func (s *Service) match(ctx context.Context, orgID string, t Term) (customers, visitors []string, err error) {
	switch t.Type {
	case SearchCustomerID:
		cs, err := s.opt.Store.ExistingCustomers(ctx, orgID, []string{t.Value})
		return cs, nil, wrap("find customer", err)
	case SearchVisitorID:
		vs, err := s.opt.Store.ExistingVisitors(ctx, orgID, []string{t.Value})
		if err != nil || len(vs) == 0 {
			return nil, nil, wrap("find visitor", err)
		}
		// A visitor who identified is a customer: the request covers the
		// person, every device included.
		cs, err := s.opt.Store.CustomersOfVisitors(ctx, orgID, vs)
		return cs, vs, wrap("customer of visitor", err)
	default:
		hashes, err := s.opt.Index.Index(ctx, orgID, t.Type, t.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("index %s: %w", t.Type, err)
		}
		if len(hashes) == 0 {
			return nil, nil, nil
		}
		cs, err := s.opt.Store.CustomersByIndex(ctx, orgID, string(t.Type), hashes)
		return cs, nil, wrap("find customers", err)
	}
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func sortedUnique(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// count sums what every holder keeps about sub.
func (s *Service) count(ctx context.Context, sub Subject) (Counts, error) {
	total := Counts{}
	if sub.Empty() {
		return total, nil
	}
	for _, h := range s.opt.Holders {
		c, err := h.Count(ctx, sub)
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", h.Name(), err)
		}
		total.Add(c)
	}
	return total, nil
}

// Search finds every customer and visitor of the caller's organization that
// matches t, with counts of what is held about each. The search is audited
// (its type and how many matched, never its value).
func (s *Service) Search(ctx context.Context, t Term) ([]Match, error) {
	orgID, actor, err := authorize(ctx)
	if err != nil {
		return nil, err
	}
	if t, err = checkTerm("", t); err != nil {
		return nil, err
	}
	sub, err := s.resolve(ctx, orgID, []Term{t})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	matches, err := s.matches(ctx, sub)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"type": t.Type, "matches": len(matches)})
	if err := s.audit(ctx, orgID, actor, "gdpr.search", "", detail); err != nil {
		return nil, err
	}
	return matches, nil
}

// matches splits a subject into one match per customer (with its visitors)
// and one per visitor that never identified.
func (s *Service) matches(ctx context.Context, sub Subject) ([]Match, error) {
	out := []Match{}
	claimed := map[string]bool{}
	for _, c := range sub.CustomerIDs {
		vs, err := s.opt.Store.VisitorsOfCustomers(ctx, sub.OrgID, []string{c})
		if err != nil {
			return nil, fmt.Errorf("visitors of customer: %w", err)
		}
		for _, v := range vs {
			claimed[v] = true
		}
		m := Match{CustomerID: c, VisitorIDs: vs}
		if m.Counts, err = s.count(ctx, Subject{OrgID: sub.OrgID, CustomerIDs: []string{c}, VisitorIDs: vs}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	for _, v := range sub.VisitorIDs {
		if claimed[v] {
			continue
		}
		m := Match{VisitorIDs: []string{v}}
		var err error
		if m.Counts, err = s.count(ctx, Subject{OrgID: sub.OrgID, VisitorIDs: []string{v}}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Match is one subject a search found: a customer with its visitors, or a
// visitor that never identified (CustomerID "").
type Match struct {
	CustomerID string
	VisitorIDs []string
	Counts     Counts
}
