package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

// walk lists every page of size limit, checking that only the last says no
// more follow.
func walk[T any](t *testing.T, limit int, list func(presage.Page) ([]T, bool, error), key func(T) presage.Cursor) []T {
	t.Helper()
	var all []T
	page := presage.Page{Limit: limit}
	for range 1000 {
		items, more, err := list(page)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(items) > limit || (more && len(items) != limit) {
			t.Fatalf("page of %d items (limit %d, more %v)", len(items), limit, more)
		}
		all = append(all, items...)
		if !more {
			return all
		}
		c := key(items[len(items)-1])
		page.After = &c
	}
	t.Fatal("pagination never ended")
	return nil
}

// journeyData commits a small organization with ties in every sort key.
func journeyData(f *fixture, org string) {
	f.t.Helper()
	var writes []collect.Write
	for i := range 9 {
		visitor := fmt.Sprintf("visitor-%d", i%7)
		at := base.Add(time.Duration(i/3) * time.Hour) // three sessions per start time
		w := write(org, visitor, fmt.Sprintf("session-%d", i), ev(fmt.Sprintf("event-%d-a", i), at), ev(fmt.Sprintf("event-%d-b", i), at))
		if i < 7 {
			w.Identifications = []collect.Identification{identification(visitor, base.Add(time.Duration(i/2)*time.Minute),
				`{}`, email(visitor))}
		}
		writes = append(writes, w)
	}
	var evs []presage.Event
	for i := range 9 {
		evs = append(evs, ev(fmt.Sprintf("event-long-%d", i), base.Add(time.Duration(i%3)*time.Second)))
	}
	writes = append(writes, write(org, "visitor-0", "session-long", evs...))
	f.commit(writes...)
}

func testPagination(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	journeyData(f, org)
	for _, limit := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			cs := walk(t, limit, func(p presage.Page) ([]presage.Customer, bool, error) { return f.e.ListCustomers(f.ctx, org, p) },
				func(c presage.Customer) presage.Cursor { return presage.Cursor{T: c.CreatedAt, ID: c.ID} })
			checkOrder(t, "customers", cs, 7, func(c presage.Customer) string { return c.ID })
			checkSorted(t, "customers", cs, func(a, b presage.Customer) int {
				return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
			})
			vs := walk(t, limit, func(p presage.Page) ([]presage.Visitor, bool, error) {
				return f.e.ListVisitors(f.ctx, org, journey.VisitorFilter{}, p)
			}, func(v presage.Visitor) presage.Cursor { return presage.Cursor{T: v.FirstSeenAt, ID: v.ID} })
			checkOrder(t, "visitors", vs, 7, func(v presage.Visitor) string { return v.ID })
			checkSorted(t, "visitors", vs, func(a, b presage.Visitor) int {
				return cmp.Or(b.FirstSeenAt.Compare(a.FirstSeenAt), cmp.Compare(b.ID, a.ID))
			})
			ss := walk(t, limit, func(p presage.Page) ([]presage.Session, bool, error) {
				return f.e.ListSessions(f.ctx, org, journey.SessionFilter{}, p)
			}, func(s presage.Session) presage.Cursor { return presage.Cursor{T: s.StartedAt, ID: s.ID} })
			checkOrder(t, "sessions", ss, 10, func(s presage.Session) string { return s.ID })
			checkSorted(t, "sessions", ss, func(a, b presage.Session) int {
				return cmp.Or(b.StartedAt.Compare(a.StartedAt), cmp.Compare(b.ID, a.ID))
			})
			es := walk(t, limit, func(p presage.Page) ([]presage.Event, bool, error) {
				return f.e.ListEvents(f.ctx, org, "session-long", p)
			},
				func(e presage.Event) presage.Cursor { return presage.Cursor{T: e.OccurredAt, Seq: e.Seq, ID: e.ID} })
			checkOrder(t, "events", es, 9, func(e presage.Event) string { return e.ID })
			checkSorted(t, "events", es, func(a, b presage.Event) int {
				return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), cmp.Compare(a.Seq, b.Seq))
			})
		})
	}
	t.Run("empty", func(t *testing.T) {
		items, more, err := f.e.ListEvents(f.ctx, org, "session-missing", presage.Page{Limit: 10})
		if err != nil || more || len(items) != 0 {
			t.Fatalf("events of a missing session: %d items, more %v, %v", len(items), more, err)
		}
	})
}

// checkOrder checks that items holds n distinct ids (no gap, no repeat).
func checkOrder[T any](t *testing.T, what string, items []T, n int, id func(T) string) {
	t.Helper()
	got := ids(items, id)
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s] {
			t.Fatalf("%s: %s listed twice in %v", what, s, got)
		}
		seen[s] = true
	}
	if len(got) != n {
		t.Fatalf("%s: %d items %v, want %d", what, len(got), got, n)
	}
}

func checkSorted[T any](t *testing.T, what string, items []T, order func(a, b T) int) {
	t.Helper()
	if !slices.IsSortedFunc(items, order) {
		t.Fatalf("%s out of order", what)
	}
}

func testFilters(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	journeyData(f, org)
	cus0 := f.visitor(org, "visitor-0").CustomerID
	vs, _, err := f.e.ListVisitors(f.ctx, org, journey.VisitorFilter{CustomerID: cus0}, presage.Page{Limit: 100})
	if err != nil || len(vs) != 1 || vs[0].ID != "visitor-0" {
		t.Fatalf("visitors of %s: %v %v", cus0, ids(vs, func(v presage.Visitor) string { return v.ID }), err)
	}
	cases := []struct {
		name   string
		filter journey.SessionFilter
		want   []string
	}{
		{"visitor", journey.SessionFilter{VisitorID: "visitor-0"}, []string{"session-0", "session-7", "session-long"}},
		{"customer", journey.SessionFilter{CustomerID: cus0}, []string{"session-0", "session-7", "session-long"}},
		{"visitor and customer", journey.SessionFilter{VisitorID: "visitor-1", CustomerID: cus0}, nil},
		{"unknown visitor", journey.SessionFilter{VisitorID: "visitor-none"}, nil},
		{"unknown customer", journey.SessionFilter{CustomerID: "cus_none"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ss, more, err := f.e.ListSessions(f.ctx, org, c.filter, presage.Page{Limit: 100})
			if err != nil || more {
				t.Fatalf("list: %v (more %v)", err, more)
			}
			got := ids(ss, func(s presage.Session) string { return s.ID })
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("sessions %v, want %v", got, c.want)
			}
		})
	}
	t.Run("second device", func(t *testing.T) {
		f.identify(org, "visitor-extra", identification("", base, `{}`, email("visitor-0")))
		ss, _, err := f.e.ListSessions(f.ctx, org, journey.SessionFilter{CustomerID: cus0}, presage.Page{Limit: 100})
		if err != nil || len(ss) != 4 {
			t.Fatalf("customer sessions across two devices: %d (%v), want 4", len(ss), err)
		}
	})
}
