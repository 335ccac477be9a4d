package storetest

import (
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

func testErase(t *testing.T, open Opener) {
	t.Run("a visitor's journey, and its customer once no device is left", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		other := f.newOrg("Other")
		// The same visitor id in another organization is someone else.
		f.commit(write(other.ID, "visitor-phone", "s-other", ev("e-other-1", base)))
		c := f.identify(org, "visitor-phone", identification("", base, `{"email":"ada@example.com"}`, email("ada")))
		f.identify(org, "visitor-laptop", identification("", base.Add(time.Minute), `{"plan":"gold"}`, email("ada")))
		f.commit(write(org, "visitor-phone", "s-phone-2", ev("e-phone-2", base.Add(time.Hour)), ev("e-phone-3", base.Add(2*time.Hour))))

		got, err := f.e.EraseVisitor(f.ctx, org, "visitor-phone")
		if err != nil {
			t.Fatal(err)
		}
		if got != (journey.Erased{Events: 3, Sessions: 2, Visitors: 1, Customers: 0}) {
			t.Fatalf("erased %+v", got)
		}
		if _, err := f.e.GetVisitor(f.ctx, org, "visitor-phone"); !presage.IsNotFound(err) {
			t.Fatalf("erased visitor still readable: %v", err)
		}
		if _, err := f.e.GetSession(f.ctx, org, "s-phone-2"); !presage.IsNotFound(err) {
			t.Fatalf("erased session still readable: %v", err)
		}
		if _, err := f.e.GetCustomer(f.ctx, org, c.ID); err != nil {
			t.Fatalf("the customer's laptop is still consented, the customer must stay: %v", err)
		}
		if f.visitor(other.ID, "visitor-phone").ID == "" || len(f.events(other.ID, "s-other")) != 1 {
			t.Fatal("erasure crossed into another organization")
		}

		got, err = f.e.EraseVisitor(f.ctx, org, "visitor-laptop")
		if err != nil {
			t.Fatal(err)
		}
		if got.Visitors != 1 || got.Customers != 1 {
			t.Fatalf("erasing the last device: %+v", got)
		}
		if _, err := f.e.GetCustomer(f.ctx, org, c.ID); !presage.IsNotFound(err) {
			t.Fatalf("customer without devices survives: %v", err)
		}
		// The identifier went with the customer: the same e-mail starts afresh.
		again := f.identify(org, "visitor-new", identification("", base.Add(3*time.Hour), `{"email":"ada@example.com"}`, email("ada")))
		if again.ID == c.ID {
			t.Fatal("an erased customer's identifier still resolves to it")
		}
		if got, err := f.e.EraseVisitor(f.ctx, org, "visitor-unknown"); err != nil || got != (journey.Erased{}) {
			t.Fatalf("unknown visitor: %+v %v", got, err)
		}
	})
}
