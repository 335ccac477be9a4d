package storetest

import (
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

func testIsolation(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a, b := f.org.ID, f.newOrg("Other").ID
	journeyData(f, a)
	cusA := f.visitor(a, "visitor-0").CustomerID
	keyA := presage.APIKey{ID: presage.NewID("key"), OrgID: a, Name: "a", Scopes: []presage.Scope{presage.ScopeRead},
		SecretHash: []byte{1}, CreatedAt: base}
	if err := f.e.CreateAPIKey(f.ctx, keyA); err != nil {
		t.Fatal(err)
	}
	outA := f.createOutcome(newOutcome(a, outPurchase, "purchase", base))
	w := write(a, "visitor-0", "session-0", ev("event-0-a", base)) // a stored event, scored again
	w.Predictions = []presage.Prediction{prediction("session-0", "visitor-0", outA.ID, 0.5, base, 1)}
	w.Achievements = []presage.Achievement{achievement("session-0", "visitor-0", outA.ID, "event-0-a", base, nil)}
	f.commit(w)
	f.learn(a, outA.ID)

	t.Run("gets read as not found", func(t *testing.T) {
		gets := map[string]func() error{
			"customer": func() error { _, err := f.e.GetCustomer(f.ctx, b, cusA); return err },
			"visitor":  func() error { _, err := f.e.GetVisitor(f.ctx, b, "visitor-0"); return err },
			"session":  func() error { _, err := f.e.GetSession(f.ctx, b, "session-0"); return err },
			"revoke":   func() error { return f.e.RevokeAPIKey(f.ctx, b, keyA.ID, base) },
			"outcome":  func() error { _, err := f.e.GetOutcome(f.ctx, b, outA.ID); return err },
			"update outcome": func() error {
				o := outA
				o.OrgID, o.Name = b, "stolen"
				return f.e.UpdateOutcome(f.ctx, o)
			},
			"delete outcome": func() error { return f.e.DeleteOutcome(f.ctx, b, outA.ID) },
			"checkpoint":     func() error { _, err := f.e.LoadCheckpoint(f.ctx, b, outA.ID); return err },
		}
		for name, get := range gets {
			wantCode(t, name, get(), presage.CodeNotFound)
		}
		if k, _ := f.e.APIKey(f.ctx, keyA.ID); !k.Active() {
			t.Fatal("another organization revoked the key")
		}
		sameOutcome(t, f.outcome(a, outA.ID), outA)
	})

	t.Run("lists are empty", func(t *testing.T) {
		p := presage.Page{Limit: 100}
		counts := map[string]func() (int, error){
			"customers": func() (int, error) { l, _, err := f.e.ListCustomers(f.ctx, b, p); return len(l), err },
			"visitors": func() (int, error) {
				l, _, err := f.e.ListVisitors(f.ctx, b, journey.VisitorFilter{}, p)
				return len(l), err
			},
			"visitors of a customer": func() (int, error) {
				l, _, err := f.e.ListVisitors(f.ctx, b, journey.VisitorFilter{CustomerID: cusA}, p)
				return len(l), err
			},
			"sessions": func() (int, error) {
				l, _, err := f.e.ListSessions(f.ctx, b, journey.SessionFilter{}, p)
				return len(l), err
			},
			"sessions of a customer": func() (int, error) {
				l, _, err := f.e.ListSessions(f.ctx, b, journey.SessionFilter{CustomerID: cusA}, p)
				return len(l), err
			},
			"sessions of a visitor": func() (int, error) {
				l, _, err := f.e.ListSessions(f.ctx, b, journey.SessionFilter{VisitorID: "visitor-0"}, p)
				return len(l), err
			},
			"events":   func() (int, error) { l, _, err := f.e.ListEvents(f.ctx, b, "session-long", p); return len(l), err },
			"api keys": func() (int, error) { l, err := f.e.ListAPIKeys(f.ctx, b); return len(l), err },
			"outcomes": func() (int, error) { l, err := f.e.ListOutcomes(f.ctx, b); return len(l), err },
			"achievements": func() (int, error) {
				l, _, err := f.e.ListAchievements(f.ctx, b, outcome.AchievementFilter{}, p)
				return len(l), err
			},
			"achievements of a customer": func() (int, error) {
				l, _, err := f.e.ListAchievements(f.ctx, b, outcome.AchievementFilter{CustomerID: cusA}, p)
				return len(l), err
			},
			"achievements of a session": func() (int, error) {
				l, _, err := f.e.ListAchievements(f.ctx, b, outcome.AchievementFilter{SessionID: "session-0", OutcomeID: outA.ID}, p)
				return len(l), err
			},
			"session events": func() (int, error) { l, err := f.e.SessionEvents(f.ctx, b, "session-long"); return len(l), err },
			"session predictions": func() (int, error) {
				l, err := f.e.SessionPredictions(f.ctx, b, "session-0")
				return len(l), err
			},
			"session achievements": func() (int, error) {
				l, err := f.e.SessionAchievements(f.ctx, b, "session-0")
				return len(l), err
			},
			"visitor history": func() (int, error) {
				h, err := f.e.VisitorHistory(f.ctx, b, "visitor-0", "", base.Add(24*time.Hour))
				return h.PastSessions + len(h.Achieved), err
			},
			"model versions": func() (int, error) { l, err := f.e.ModelVersions(f.ctx, b); return len(l), err },
			"ended sessions": func() (int, error) {
				l, err := f.e.EndedSessions(f.ctx, b, presage.Cursor{}, base.Add(24*time.Hour), 100)
				return len(l), err
			},
		}
		for name, count := range counts {
			if n, err := count(); err != nil || n != 0 {
				t.Fatalf("%s of another organization: %d items (%v)", name, n, err)
			}
		}
	})

	t.Run("same client ids in two organizations", func(t *testing.T) {
		w := write(b, "visitor-0", "session-0", ev("event-0-a", base.Add(time.Hour)), ev("event-new", base))
		w.Identifications = []collect.Identification{identification("visitor-0", base, `{"org":"b"}`, email("visitor-0"))}
		if out := f.commit(w); out[0] != (collect.CommitResult{Stored: 2}) {
			t.Fatalf("outcome %+v: an event id of another organization counted as duplicate", out[0])
		}
		vb := f.visitor(b, "visitor-0")
		if vb.CustomerID == cusA || vb.SessionCount != 1 {
			t.Fatalf("visitor in b: %+v (customer of a is %s)", vb, cusA)
		}
		if s := f.session(a, "session-0"); s.EventCount != 2 {
			t.Fatalf("session of a counts %d events after b's commit", s.EventCount)
		}
		jsonEqual(t, "traits of a", f.customer(a, cusA).Traits, []byte(`{}`))
	})
}
