package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

// identify commits one event and identification for visitorID and returns the
// visitor's customer.
func (f *fixture) identify(orgID, visitorID string, id collect.Identification) presage.Customer {
	f.t.Helper()
	w := write(orgID, visitorID, "s-"+visitorID+"-"+presage.RandomToken(4), ev("e-"+presage.RandomToken(8), id.At))
	id.VisitorID = visitorID
	w.Identifications = []collect.Identification{id}
	f.commit(w)
	v := f.visitor(orgID, visitorID)
	if v.CustomerID == "" {
		f.t.Fatalf("visitor %s not linked to a customer", visitorID)
	}
	return f.customer(orgID, v.CustomerID)
}

func (f *fixture) customerVisitors(orgID, customerID string) []string {
	f.t.Helper()
	vs, _, err := f.e.ListVisitors(f.ctx, orgID, journey.VisitorFilter{CustomerID: customerID}, presage.Page{Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	got := ids(vs, func(v presage.Visitor) string { return v.ID })
	slices.Sort(got)
	return got
}

func testIdentify(t *testing.T, open Opener) {
	t.Run("new customer, then a second device", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		first := identification("", base, `{"email":"ada@example.com","givenName":"Ada"}`, email("ada"))
		c := f.identify(org, "visitor-phone", first)
		if c.ID != first.NewCustomerID || !c.CreatedAt.Equal(presage.StoredTime(base)) || c.CreatedAt.Location() != time.UTC {
			t.Fatalf("customer %+v, want id %s created %v", c, first.NewCustomerID, presage.StoredTime(base))
		}
		jsonEqual(t, "traits", c.Traits, []byte(`{"email":"ada@example.com","givenName":"Ada"}`))

		second := identification("", base.Add(time.Hour), `{"givenName":"Ada L.","plan":"gold"}`, email("ada"))
		c2 := f.identify(org, "visitor-laptop", second)
		if c2.ID != c.ID {
			t.Fatalf("same email made a second customer %s (first %s)", c2.ID, c.ID)
		}
		jsonEqual(t, "merged traits", c2.Traits, []byte(`{"email":"ada@example.com","givenName":"Ada L.","plan":"gold"}`))
		if !c2.UpdatedAt.Equal(presage.StoredTime(base.Add(time.Hour))) || !c2.CreatedAt.Equal(presage.StoredTime(base)) {
			t.Fatalf("created %v updated %v", c2.CreatedAt, c2.UpdatedAt)
		}
		if got := f.customerVisitors(org, c.ID); !slices.Equal(got, []string{"visitor-laptop", "visitor-phone"}) {
			t.Fatalf("customer visitors %v", got)
		}
		if _, err := f.e.GetCustomer(f.ctx, org, second.NewCustomerID); !presage.IsNotFound(err) {
			t.Fatalf("unused new customer id exists: %v", err)
		}
	})

	t.Run("priority of identifiers", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		byEmail := f.identify(org, "visitor-a", identification("", base, `{"email":"x"}`, email("x")))
		byExt := f.identify(org, "visitor-b", identification("", base, `{"customerId":"C-1"}`, extID("C-1")))
		// external id comes first: its customer wins; the email stays with its owner.
		got := f.identify(org, "visitor-c", identification("", base, `{"customerId":"C-1","email":"x"}`, extID("C-1"), email("x")))
		if got.ID != byExt.ID {
			t.Fatalf("identified as %s, want the external id's customer %s", got.ID, byExt.ID)
		}
		again := f.identify(org, "visitor-d", identification("", base, `{}`, email("x")))
		if again.ID != byEmail.ID {
			t.Fatalf("email moved to %s, want it to stay with %s", again.ID, byEmail.ID)
		}
	})

	t.Run("visitor already linked", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		c := f.identify(org, "visitor-l", identification("", base, `{"email":"old"}`, email("old")))
		// A new, unknown identifier joins the visitor's customer.
		c2 := f.identify(org, "visitor-l", identification("", base, `{"phone":"+33"}`, presage.Identifier{Kind: "phone", Hash: "h-33"}))
		if c2.ID != c.ID {
			t.Fatalf("linked visitor moved to a new customer %s", c2.ID)
		}
		if c3 := f.identify(org, "visitor-m", identification("", base, `{}`, presage.Identifier{Kind: "phone", Hash: "h-33"})); c3.ID != c.ID {
			t.Fatalf("phone recorded for %s, want %s", c3.ID, c.ID)
		}
		// A known identifier of another customer moves the visitor.
		other := f.identify(org, "visitor-n", identification("", base, `{}`, email("other")))
		moved := f.identify(org, "visitor-l", identification("", base, `{}`, email("other")))
		if moved.ID != other.ID {
			t.Fatalf("visitor linked to %s, want %s", moved.ID, other.ID)
		}
	})

	t.Run("same person twice in one call", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		w1 := write(org, "visitor-1", "session-1", ev("event-1", base))
		w1.Identifications = []collect.Identification{identification("visitor-1", base, `{"a":1}`, email("same"))}
		w2 := write(org, "visitor-2", "session-2", ev("event-2", base))
		w2.Identifications = []collect.Identification{identification("visitor-2", base, `{"b":2}`, email("same"))}
		f.commit(w1, w2)
		v1, v2 := f.visitor(org, "visitor-1"), f.visitor(org, "visitor-2")
		if v1.CustomerID == "" || v1.CustomerID != v2.CustomerID {
			t.Fatalf("customers %q and %q, want one", v1.CustomerID, v2.CustomerID)
		}
		jsonEqual(t, "traits", f.customer(org, v1.CustomerID).Traits, []byte(`{"a":1,"b":2}`))
		all, _, err := f.e.ListCustomers(f.ctx, org, presage.Page{Limit: 10})
		if err != nil || len(all) != 1 {
			t.Fatalf("%d customers (%v), want 1", len(all), err)
		}
	})
}
