package storetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// Outcome ids of the fixtures, fixed so expected orders read plainly.
const (
	outPurchase = "out_purchase"
	outSignup   = "out_signup"
	outOther    = "out_other"
)

// newOutcome returns an order-completed outcome of orgID created at at.
func newOutcome(orgID, id, name string, at time.Time) presage.Outcome {
	return presage.Outcome{
		OrgID: orgID, ID: id, Name: name, Description: "The visitor completes an order",
		Direction: presage.Maximize,
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "order_completed",
			Attributes: []presage.AttrCondition{
				{Name: "total", Op: presage.OpGt, Value: json.RawMessage(`0`)},
				{Name: "coupon", Op: presage.OpExists},
			}},
		ValueField: "total", CreatedAt: at, UpdatedAt: at,
	}
}

func (f *fixture) createOutcome(o presage.Outcome) presage.Outcome {
	f.t.Helper()
	if err := f.e.CreateOutcome(f.ctx, o, presage.MaxOutcomesPerOrg); err != nil {
		f.t.Fatalf("create outcome %s: %v", o.Name, err)
	}
	return o
}

func (f *fixture) outcome(orgID, id string) presage.Outcome {
	f.t.Helper()
	o, err := f.e.GetOutcome(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("get outcome %s: %v", id, err)
	}
	return o
}

func sameOutcome(t *testing.T, got, want presage.Outcome) {
	t.Helper()
	gc, _ := json.Marshal(got.Condition)
	wc, _ := json.Marshal(want.Condition)
	if got.OrgID != want.OrgID || got.ID != want.ID || got.Name != want.Name || got.Description != want.Description ||
		got.Direction != want.Direction || !bytes.Equal(gc, wc) || got.ValueField != want.ValueField ||
		!got.CreatedAt.Equal(presage.StoredTime(want.CreatedAt)) || !got.UpdatedAt.Equal(presage.StoredTime(want.UpdatedAt)) ||
		got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
		t.Fatalf("outcome = %+v (condition %s),\nwant %+v (condition %s)", got, gc, want, wc)
	}
}

func num(v float64) *float64 { return &v }

// achievement returns the achievement of outcomeID by the event eventID.
func achievement(sessionID, visitorID, outcomeID, eventID string, at time.Time, value *float64) presage.Achievement {
	return presage.Achievement{OutcomeID: outcomeID, SessionID: sessionID, VisitorID: visitorID, EventID: eventID,
		AchievedAt: at, Value: value}
}

// achievementKey is what identifies an achievement in a list.
func achievementKey(a presage.Achievement) string { return a.SessionID + "/" + a.OutcomeID }

func achievementCursor(a presage.Achievement) presage.Cursor {
	return presage.Cursor{T: a.AchievedAt, ID: a.SessionID + "/" + a.OutcomeID}
}

// newestFirst is the order of ListAchievements.
func newestFirst(a, b presage.Achievement) int {
	return cmp.Or(b.AchievedAt.Compare(a.AchievedAt), cmp.Compare(b.SessionID, a.SessionID), cmp.Compare(b.OutcomeID, a.OutcomeID))
}

func (f *fixture) achievements(orgID string, filter outcome.AchievementFilter) []presage.Achievement {
	f.t.Helper()
	items, more, err := f.e.ListAchievements(f.ctx, orgID, filter, presage.Page{Limit: 1000})
	if err != nil || more {
		f.t.Fatalf("list achievements: %v (more %v)", err, more)
	}
	return items
}

func testOutcomes(t *testing.T, open Opener) {
	t.Run("create, get, list, update", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		purchase := f.createOutcome(newOutcome(org, presage.NewID("out"), "purchase", base))
		signup := newOutcome(org, presage.NewID("out"), "signup", base.Add(time.Minute))
		signup.Condition = presage.Condition{Kind: presage.ConditionForm, FormName: "register"}
		signup.ValueField = ""
		f.createOutcome(signup)
		churn := newOutcome(org, presage.NewID("out"), "churn", base) // same time as purchase: ID breaks the tie
		churn.Direction, churn.Description = presage.Minimize, ""
		churn.Condition = presage.Condition{Kind: presage.ConditionPage, URLPattern: "/account/*/cancel/**"}
		f.createOutcome(churn)

		sameOutcome(t, f.outcome(org, purchase.ID), purchase)
		sameOutcome(t, f.outcome(org, churn.ID), churn)
		all, err := f.e.ListOutcomes(f.ctx, org)
		if err != nil || len(all) != 3 {
			t.Fatalf("list: %d outcomes (%v)", len(all), err)
		}
		want := []presage.Outcome{purchase, churn}
		slices.SortFunc(want, func(a, b presage.Outcome) int { return cmp.Compare(a.ID, b.ID) })
		want = append(want, signup)
		for i := range want {
			sameOutcome(t, all[i], want[i])
		}

		changed := purchase
		changed.Name, changed.Description, changed.ValueField = "order", "Any order at all", "amount"
		changed.Condition.Attributes = []presage.AttrCondition{{Name: "currency", Op: presage.OpEq, Value: json.RawMessage(`"EUR"`)}}
		changed.CreatedAt, changed.UpdatedAt = base.Add(5*time.Hour), base.Add(2*time.Hour)
		if err := f.e.UpdateOutcome(f.ctx, changed); err != nil {
			t.Fatal(err)
		}
		changed.CreatedAt = purchase.CreatedAt // kept
		sameOutcome(t, f.outcome(org, purchase.ID), changed)

		missing := newOutcome(org, "out_missing", "missing", base)
		wantCode(t, "get missing", func() error { _, err := f.e.GetOutcome(f.ctx, org, missing.ID); return err }(), presage.CodeNotFound)
		wantCode(t, "update missing", f.e.UpdateOutcome(f.ctx, missing), presage.CodeNotFound)
		wantCode(t, "delete missing", f.e.DeleteOutcome(f.ctx, org, missing.ID), presage.CodeNotFound)
		if none, err := f.e.ListOutcomes(f.ctx, f.newOrg("Empty").ID); err != nil || len(none) != 0 {
			t.Fatalf("outcomes of a new organization: %v %v", none, err)
		}
	})

	t.Run("names are unique in an organization", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		purchase := f.createOutcome(newOutcome(org, presage.NewID("out"), "purchase", base))
		signup := f.createOutcome(newOutcome(org, presage.NewID("out"), "signup", base))
		err := f.e.CreateOutcome(f.ctx, newOutcome(org, presage.NewID("out"), "purchase", base), presage.MaxOutcomesPerOrg)
		wantCode(t, "same name", err, presage.CodeConflict)
		if msg := presage.ErrorMessage(err); msg != `an outcome named "purchase" already exists` {
			t.Fatalf("message %q", msg)
		}
		wantCode(t, "same id", f.e.CreateOutcome(f.ctx, newOutcome(org, purchase.ID, "other", base), presage.MaxOutcomesPerOrg),
			presage.CodeConflict)
		renamed := signup
		renamed.Name = "purchase"
		wantCode(t, "rename to a taken name", f.e.UpdateOutcome(f.ctx, renamed), presage.CodeConflict)
		sameOutcome(t, f.outcome(org, signup.ID), signup)
		// Another organization has its own names (and may reuse an id).
		other := f.newOrg("Other").ID
		f.createOutcome(newOutcome(other, purchase.ID, "purchase", base))
	})

	t.Run("the maximum holds under concurrency", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		f.createOutcome(newOutcome(org, presage.NewID("out"), "first", base))
		err := f.e.CreateOutcome(f.ctx, newOutcome(org, presage.NewID("out"), "second", base), 1)
		wantCode(t, "beyond the maximum", err, presage.CodeConflict)
		if msg := presage.ErrorMessage(err); msg != "this organization already has 1 outcomes (the maximum)" {
			t.Fatalf("message %q", msg)
		}

		const workers, max = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		start := make(chan struct{})
		for g := range workers {
			wg.Go(func() {
				o := newOutcome(org, presage.NewID("out"), fmt.Sprintf("concurrent-%d", g), base)
				<-start
				errs <- f.e.CreateOutcome(f.ctx, o, max)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		created := 0
		for err := range errs {
			switch presage.ErrorCode(err) {
			case "":
				created++
			case presage.CodeConflict:
			default:
				t.Fatalf("concurrent create: %v", err)
			}
		}
		all, err := f.e.ListOutcomes(f.ctx, org)
		if err != nil || created != max-1 || len(all) != max {
			t.Fatalf("created %d, %d stored (%v); want %d and %d", created, len(all), err, max-1, max)
		}
		// The count is per organization.
		f.createOutcome(newOutcome(f.newOrg("Other").ID, presage.NewID("out"), "first", base))
	})

	t.Run("delete takes the outcome's rows along", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		f.createOutcome(newOutcome(org, outPurchase, "purchase", base))
		f.createOutcome(newOutcome(org, outSignup, "signup", base))
		w := write(org, "visitor-1", "session-1", ev("event-1", base))
		w.Predictions = []presage.Prediction{
			prediction("session-1", "visitor-1", outPurchase, 0.4, base, 1),
			prediction("session-1", "visitor-1", outSignup, 0.1, base, 1),
		}
		w.Achievements = []presage.Achievement{
			achievement("session-1", "visitor-1", outPurchase, "event-1", base, nil),
			achievement("session-1", "visitor-1", outSignup, "event-1", base, nil),
		}
		f.commit(w)
		for _, o := range []string{outPurchase, outSignup} {
			f.learn(org, o)
		}

		if err := f.e.DeleteOutcome(f.ctx, org, outPurchase); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "deleted outcome", func() error { _, err := f.e.GetOutcome(f.ctx, org, outPurchase); return err }(), presage.CodeNotFound)
		wantCode(t, "deleted outcome's model", func() error { _, err := f.e.LoadCheckpoint(f.ctx, org, outPurchase); return err }(),
			presage.CodeNotFound)
		preds, err := f.e.SessionPredictions(f.ctx, org, "session-1")
		if err != nil || len(preds) != 1 || preds[0].OutcomeID != outSignup {
			t.Fatalf("predictions after delete: %+v (%v)", preds, err)
		}
		achs, err := f.e.SessionAchievements(f.ctx, org, "session-1")
		if err != nil || len(achs) != 1 || achs[0].OutcomeID != outSignup {
			t.Fatalf("achievements after delete: %+v (%v)", achs, err)
		}
		if v, err := f.e.ModelVersions(f.ctx, org); err != nil || len(v) != 1 || v[outSignup] != 1 {
			t.Fatalf("model versions after delete: %v (%v)", v, err)
		}
		// The name is free again.
		f.createOutcome(newOutcome(org, presage.NewID("out"), "purchase", base))
	})
}

// achievementData commits four sessions of three visitors (two of them one
// identified customer) with six achievements, ties in every sort key.
func achievementData(f *fixture, org string) (customerID string) {
	f.t.Helper()
	t0, t1, t2 := base, base.Add(time.Hour), base.Add(2*time.Hour)
	type session struct {
		id, visitor string
		achs        []presage.Achievement
	}
	sessions := []session{
		{"s-a1", "visitor-a", []presage.Achievement{
			achievement("s-a1", "visitor-a", outPurchase, "e-s-a1", t0, num(19.9)),
			achievement("s-a1", "visitor-a", outSignup, "e-s-a1", t0, nil)}},
		{"s-a2", "visitor-a", []presage.Achievement{achievement("s-a2", "visitor-a", outPurchase, "e-s-a2", t1, num(5))}},
		{"s-b1", "visitor-b", []presage.Achievement{achievement("s-b1", "visitor-b", outPurchase, "e-s-b1", t1, num(7.25))}},
		{"s-c1", "visitor-c", []presage.Achievement{
			achievement("s-c1", "visitor-c", outSignup, "e-s-c1", t2, nil),
			achievement("s-c1", "visitor-c", outPurchase, "e-s-c1", t2, num(42.5))}},
	}
	var writes []collect.Write
	for _, s := range sessions {
		w := write(org, s.visitor, s.id, ev("e-"+s.id, s.achs[0].AchievedAt))
		w.Achievements = s.achs
		if s.visitor != "visitor-c" {
			w.Identifications = []collect.Identification{identification(s.visitor, t0, `{}`, email("ada"))}
		}
		writes = append(writes, w)
	}
	f.commit(writes...)
	return f.visitor(org, "visitor-a").CustomerID
}

func testAchievements(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	cus := achievementData(f, org)

	t.Run("newest first, with the customer", func(t *testing.T) {
		all := f.achievements(org, outcome.AchievementFilter{})
		want := []string{"s-c1/" + outSignup, "s-c1/" + outPurchase, "s-b1/" + outPurchase, "s-a2/" + outPurchase,
			"s-a1/" + outSignup, "s-a1/" + outPurchase}
		if got := ids(all, achievementKey); !slices.Equal(got, want) {
			t.Fatalf("order %v, want %v", got, want)
		}
		for _, a := range all {
			wantCus := cus
			if a.VisitorID == "visitor-c" {
				wantCus = ""
			}
			if a.CustomerID != wantCus || a.OrgID != org || a.EventID != "e-"+a.SessionID || a.AchievedAt.Location() != time.UTC {
				t.Fatalf("achievement %+v (customer want %q)", a, wantCus)
			}
		}
		if v := all[1].Value; v == nil || *v != 42.5 || all[0].Value != nil {
			t.Fatalf("values %v %v, want nil and 42.5", all[0].Value, all[1].Value)
		}
		if !all[0].AchievedAt.Equal(presage.StoredTime(base.Add(2 * time.Hour))) {
			t.Fatalf("achieved at %v", all[0].AchievedAt)
		}
	})

	t.Run("filters", func(t *testing.T) {
		cases := []struct {
			name   string
			filter outcome.AchievementFilter
			want   []string
		}{
			{"session", outcome.AchievementFilter{SessionID: "s-a1"}, []string{"s-a1/" + outSignup, "s-a1/" + outPurchase}},
			{"visitor", outcome.AchievementFilter{VisitorID: "visitor-a"}, []string{"s-a2/" + outPurchase, "s-a1/" + outSignup, "s-a1/" + outPurchase}},
			{"customer: every device", outcome.AchievementFilter{CustomerID: cus},
				[]string{"s-b1/" + outPurchase, "s-a2/" + outPurchase, "s-a1/" + outSignup, "s-a1/" + outPurchase}},
			{"outcome", outcome.AchievementFilter{OutcomeID: outSignup}, []string{"s-c1/" + outSignup, "s-a1/" + outSignup}},
			{"outcome and customer", outcome.AchievementFilter{OutcomeID: outSignup, CustomerID: cus}, []string{"s-a1/" + outSignup}},
			{"visitor and session", outcome.AchievementFilter{VisitorID: "visitor-b", SessionID: "s-a1"}, nil},
			{"unknown customer", outcome.AchievementFilter{CustomerID: "cus_none"}, nil},
			{"unknown outcome", outcome.AchievementFilter{OutcomeID: "out_none"}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := ids(f.achievements(org, c.filter), achievementKey); !slices.Equal(got, c.want) {
					t.Fatalf("achievements %v, want %v", got, c.want)
				}
			})
		}
	})

	for _, limit := range []int{1, 2, 4, 100} {
		t.Run(fmt.Sprintf("pages of %d", limit), func(t *testing.T) {
			all := walk(t, limit, func(p presage.Page) ([]presage.Achievement, bool, error) {
				return f.e.ListAchievements(f.ctx, org, outcome.AchievementFilter{}, p)
			}, achievementCursor)
			checkOrder(t, "achievements", all, 6, achievementKey)
			checkSorted(t, "achievements", all, newestFirst)
			mine := walk(t, limit, func(p presage.Page) ([]presage.Achievement, bool, error) {
				return f.e.ListAchievements(f.ctx, org, outcome.AchievementFilter{CustomerID: cus}, p)
			}, achievementCursor)
			checkOrder(t, "achievements of the customer", mine, 4, achievementKey)
		})
	}

	t.Run("the customer is read from the visitor", func(t *testing.T) {
		c := f.identify(org, "visitor-c", identification("", base.Add(3*time.Hour), `{}`, email("grace")))
		got := f.achievements(org, outcome.AchievementFilter{CustomerID: c.ID})
		want := []string{"s-c1/" + outSignup, "s-c1/" + outPurchase}
		if keys := ids(got, achievementKey); !slices.Equal(keys, want) || got[0].CustomerID != c.ID || got[1].CustomerID != c.ID {
			t.Fatalf("achievements of the newly identified visitor: %+v, want %v", got, want)
		}
	})
}
