package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/outcome"
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
		got.KeyRecords = 0 // written by the sealing engine only; "records of pooled keys" checks them
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
	t.Run("predictions and achievements of the visitor only", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		other := f.newOrg("Other").ID
		scored := func(orgID, visitor, session string) collect.Write {
			w := write(orgID, visitor, session, ev("e-"+session, base))
			w.Predictions = []presage.Prediction{
				prediction(session, visitor, outPurchase, 0.5, base, 1),
				prediction(session, visitor, outSignup, 0.25, base, 1),
			}
			w.Achievements = []presage.Achievement{achievement(session, visitor, outPurchase, "e-"+session, base, num(12))}
			return w
		}
		f.commit(scored(org, "visitor-1", "s-1"), scored(org, "visitor-2", "s-2"), scored(other, "visitor-1", "s-1"))

		got, err := f.e.EraseVisitor(f.ctx, org, "visitor-1")
		if err != nil {
			t.Fatal(err)
		}
		got.KeyRecords = 0 // written by the sealing engine only
		want := journey.Erased{Events: 1, Sessions: 1, Visitors: 1, Predictions: 2, Achievements: 1}
		if got != want {
			t.Fatalf("erased %+v, want %+v", got, want)
		}
		if ps := f.predictions(org, "s-1"); len(ps) != 0 {
			t.Fatalf("predictions of the erased visitor: %+v", ps)
		}
		if as := f.achievements(org, outcome.AchievementFilter{}); len(as) != 1 || as[0].VisitorID != "visitor-2" {
			t.Fatalf("achievements left: %+v", as)
		}
		if len(f.predictions(org, "s-2")) != 2 || len(f.predictions(other, "s-1")) != 2 || len(f.sessionAchievements(other, "s-1")) != 1 {
			t.Fatal("erasure removed another visitor's predictions or achievements")
		}
	})

	t.Run("records of pooled keys", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		other := f.newOrg("Other")
		base := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		w := write(org, "visitor-k", "s-k", ev("e-k-1", base))
		w.VisitorKeys = []collect.VisitorKey{{VisitorID: "visitor-k", KeyID: "dk-k1", At: base}}
		again := write(org, "visitor-k", "s-k", ev("e-k-2", base.Add(time.Minute)))
		// Recorded twice (a retried commit): stored once.
		again.VisitorKeys = []collect.VisitorKey{{VisitorID: "visitor-k", KeyID: "dk-k1", At: base}, {VisitorID: "visitor-k", KeyID: "dk-k2", At: base}}
		o := write(other.ID, "visitor-k", "s-k", ev("e-k-3", base))
		o.VisitorKeys = []collect.VisitorKey{{VisitorID: "visitor-k", KeyID: "dk-other", At: base}}
		f.commit(w)
		f.commit(again, o)

		ids, err := f.e.VisitorKeyIDs(f.ctx, org, []string{"visitor-k", "visitor-unknown"})
		if err != nil {
			t.Fatal(err)
		}
		// A sealing engine adds its own records to the fixed ones.
		if !slices.Contains(ids, "dk-k1") || !slices.Contains(ids, "dk-k2") || slices.Contains(ids, "dk-other") {
			t.Fatalf("key ids %v, want dk-k1 and dk-k2 (and not another organization's)", ids)
		}
		got, err := f.e.EraseVisitor(f.ctx, org, "visitor-k")
		if err != nil {
			t.Fatal(err)
		}
		if got.KeyRecords != int64(len(ids)) {
			t.Fatalf("erased %+v, want %d key records", got, len(ids))
		}
		if ids, err := f.e.VisitorKeyIDs(f.ctx, org, []string{"visitor-k"}); err != nil || len(ids) != 0 {
			t.Fatalf("key ids after erasure %v, %v", ids, err)
		}
		n, err := f.e.DeleteVisitorKeys(f.ctx, other.ID, []string{"visitor-k"})
		if err != nil || n < 1 {
			t.Fatalf("delete visitor keys of the other organization: %d, %v", n, err)
		}
		if ids, err := f.e.VisitorKeyIDs(f.ctx, other.ID, []string{"visitor-k"}); err != nil || len(ids) != 0 {
			t.Fatalf("key ids after delete %v, %v", ids, err)
		}
	})
}
