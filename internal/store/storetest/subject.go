package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

// The data subject store of the journey (journey.SubjectStore) and of
// predictions (predict.SubjectStore).
func testSubject(t *testing.T, open Opener) {
	t.Run("lookups written at identify", func(t *testing.T) { testSubjectLookups(t, open) })
	t.Run("count", func(t *testing.T) { testSubjectCount(t, open) })
	t.Run("erase in batches", func(t *testing.T) { testSubjectErase(t, open) })
	t.Run("rectify writes", func(t *testing.T) { testSubjectRectify(t, open) })
	t.Run("purge cutoffs", func(t *testing.T) { testSubjectPurge(t, open) })
	t.Run("predictions of a subject", func(t *testing.T) { testSubjectPredictions(t, open) })
	t.Run("phone region", func(t *testing.T) { testPhoneRegion(t, open) })
}

func lookup(kind, s string) presage.Identifier { return presage.Identifier{Kind: kind, Hash: "l-" + s} }

// identifyWith identifies visitorID by email with lookups.
func (f *fixture) identifyWith(orgID, visitorID, mail string, at time.Time, lookups ...presage.Identifier) presage.Customer {
	f.t.Helper()
	id := identification("", at, fmt.Sprintf(`{"email":%q}`, mail), email(mail))
	id.Lookups = lookups
	return f.identify(orgID, visitorID, id)
}

func (f *fixture) count(orgID string, customerIDs, visitorIDs []string) map[string]int64 {
	f.t.Helper()
	got, err := f.e.CountSubject(f.ctx, orgID, customerIDs, visitorIDs)
	if err != nil {
		f.t.Fatalf("count subject: %v", err)
	}
	return got
}

// scoredWrite is a write of n events in session with a prediction and an
// achievement.
func scoredWrite(orgID, visitorID, sessionID string, at time.Time, n int) collect.Write {
	evs := make([]presage.Event, n)
	for i := range evs {
		evs[i] = ev(fmt.Sprintf("e-%s-%d", sessionID, i), at.Add(time.Duration(i)*time.Second))
	}
	w := write(orgID, visitorID, sessionID, evs...)
	w.Predictions = []presage.Prediction{prediction(sessionID, visitorID, outPurchase, 0.5, at, 2)}
	w.Achievements = []presage.Achievement{achievement(sessionID, visitorID, outPurchase, evs[0].ID, at, num(3))}
	return w
}

func testSubjectLookups(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	ada := f.identifyWith(org, "visitor-ada", "ada", base, lookup("name", "ada lovelace"), lookup("email", "ada"))
	// Lookups are not unique: another customer shares the name.
	other := f.identifyWith(org, "visitor-other", "other", base, lookup("name", "ada lovelace"))
	// Identifying again with the same lookups records nothing twice.
	f.identifyWith(org, "visitor-ada-2", "ada", base.Add(time.Minute), lookup("name", "ada lovelace"), lookup("address", "1 main st"))
	if ada.ID == other.ID {
		t.Fatal("two emails made one customer")
	}
	if got := f.count(org, []string{ada.ID}, nil)["lookups"]; got != 3 {
		t.Fatalf("lookups of ada = %d, want 3 (name, email, address)", got)
	}
	if got := f.count(org, []string{other.ID}, nil)["lookups"]; got != 1 {
		t.Fatalf("lookups of the other customer = %d, want 1", got)
	}
}

func testSubjectCount(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	other := f.newOrg("Other").ID
	c := f.identifyWith(org, "visitor-1", "ada", base, lookup("name", "ada"))
	f.commit(scoredWrite(org, "visitor-1", "s-1", base, 3), scoredWrite(org, "visitor-2", "s-2", base, 2))
	// The same ids in another organization are someone else's.
	f.identifyWith(other, "visitor-1", "ada", base, lookup("name", "ada"))
	f.commit(scoredWrite(other, "visitor-1", "s-1", base, 5))

	got := f.count(org, []string{c.ID}, []string{"visitor-1", "visitor-2"})
	want := map[string]int64{"customers": 1, "identifiers": 1, "lookups": 1, "visitors": 2, "sessions": 3,
		"events": 6, "predictions": 2, "achievements": 2}
	if !maps.Equal(got, want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
	zero := map[string]int64{"customers": 0, "identifiers": 0, "lookups": 0, "visitors": 0, "sessions": 0,
		"events": 0, "predictions": 0, "achievements": 0}
	if got := f.count(org, nil, []string{"visitor-unknown"}); !maps.Equal(got, zero) {
		t.Fatalf("counts of nobody = %v, want every key at zero", got)
	}
}

func testSubjectErase(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	other := f.newOrg("Other").ID
	c := f.identifyWith(org, "visitor-1", "ada", base, lookup("name", "ada"))
	f.commit(scoredWrite(org, "visitor-1", "s-1", base, 6))
	// A device of the customer the search did not see (identified later).
	f.identifyWith(org, "visitor-late", "ada", base.Add(time.Hour))
	f.commit(scoredWrite(other, "visitor-1", "s-1", base, 4))

	var total journey.Erased
	calls := 0
	for more := true; more; calls++ {
		if calls == 10 {
			t.Fatal("erase never finishes")
		}
		var got journey.Erased
		var err error
		got, more, err = f.e.EraseSubject(f.ctx, org, []string{c.ID}, []string{"visitor-1"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		if more && (got.Events != 3 || got.Sessions != 0 || got.Customers != 0) {
			t.Fatalf("call %d erased %+v with more: only a batch of events may go first", calls, got)
		}
		total.Events += got.Events
		total.Sessions += got.Sessions
		total.Visitors += got.Visitors
		total.Customers += got.Customers
		total.Identifiers += got.Identifiers
		total.Lookups += got.Lookups
	}
	// 7 events: the identify's and six; batches of 3, 3 and 1.
	want := journey.Erased{Events: 7, Sessions: 2, Visitors: 1, Customers: 1, Identifiers: 1, Lookups: 1}
	if calls != 3 || total != want {
		t.Fatalf("%d calls erased %+v, want 3 calls erasing %+v", calls, total, want)
	}
	if _, err := f.e.GetCustomer(f.ctx, org, c.ID); !presage.IsNotFound(err) {
		t.Fatalf("erased customer still readable: %v", err)
	}
	if v := f.visitor(org, "visitor-late"); v.CustomerID != "" {
		t.Fatalf("a visitor still points at the erased customer %s", v.CustomerID)
	}
	// Predictions and achievements are the prediction holder's to erase.
	if got := f.count(org, nil, []string{"visitor-1"}); got["predictions"] != 1 || got["achievements"] != 1 {
		t.Fatalf("erase subject removed predictions or achievements: %v", got)
	}
	if got := f.count(other, nil, []string{"visitor-1"}); got["events"] != 4 || got["sessions"] != 1 || got["visitors"] != 1 {
		t.Fatalf("erasure crossed into another organization: %v", got)
	}
	// Idempotent: a repeated call after a crash finds nothing left.
	if got, more, err := f.e.EraseSubject(f.ctx, org, []string{c.ID}, []string{"visitor-1"}, 3); err != nil || more || got != (journey.Erased{}) {
		t.Fatalf("erase again = %+v, %v, %v", got, more, err)
	}
	if _, _, err := f.e.EraseSubject(f.ctx, org, nil, []string{"visitor-1"}, 0); err == nil {
		t.Fatal("a zero batch is accepted")
	}
}

func testSubjectRectify(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	other := f.newOrg("Other").ID
	w := scoredWrite(org, "visitor-1", "s-1", base, 5)
	f.commit(w, scoredWrite(other, "visitor-1", "s-1", base, 1))

	t.Run("visitor events page by seq", func(t *testing.T) {
		var seen []string
		after := int64(0)
		for {
			page, err := f.e.VisitorEvents(f.ctx, org, "visitor-1", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if e.Seq <= after || e.OrgID != org {
					t.Fatalf("event %s seq %d after %d of %s", e.ID, e.Seq, after, e.OrgID)
				}
				after = e.Seq
				seen = append(seen, e.ID)
			}
		}
		if want := ids(w.Events, func(e presage.Event) string { return e.ID }); !slices.Equal(seen, want) {
			t.Fatalf("visitor events %v, want %v", seen, want)
		}
	})

	t.Run("event and session texts", func(t *testing.T) {
		e := f.events(org, "s-1")[1]
		e.URL, e.Title, e.Referrer = "https://shop.example/?u=new", "New title", "https://ref.example/"
		e.Attributes = json.RawMessage(`{"note":"new"}`)
		if err := f.e.UpdateEventTexts(f.ctx, org, []presage.Event{e}); err != nil {
			t.Fatal(err)
		}
		got := f.events(org, "s-1")[1]
		if got.URL != e.URL || got.Title != e.Title || got.Referrer != e.Referrer || got.Type != e.Type || !got.OccurredAt.Equal(e.OccurredAt) {
			t.Fatalf("event after update = %+v", got)
		}
		jsonEqual(t, "attributes", got.Attributes, e.Attributes)
		if oe := f.events(other, "s-1")[0]; oe.URL != "https://shop.example/p/e-s-1-0" {
			t.Fatalf("update reached another organization: %s", oe.URL)
		}
		// Another organization's write does not reach this one's event.
		foreign := e
		foreign.URL = "https://evil.example/"
		if err := f.e.UpdateEventTexts(f.ctx, other, []presage.Event{foreign}); err != nil {
			t.Fatal(err)
		}
		if got := f.events(org, "s-1")[1]; got.URL != e.URL {
			t.Fatalf("another organization rewrote the event: %s", got.URL)
		}

		s := f.session(org, "s-1")
		s.LandingURL, s.Referrer = "https://shop.example/landing", "https://ref.example/s"
		if err := f.e.UpdateSessionTexts(f.ctx, org, []presage.Session{s}); err != nil {
			t.Fatal(err)
		}
		if got := f.session(org, "s-1"); got.LandingURL != s.LandingURL || got.Referrer != s.Referrer || got.EventCount != s.EventCount {
			t.Fatalf("session after update = %+v", got)
		}
		if got := f.session(other, "s-1"); got.LandingURL == s.LandingURL {
			t.Fatal("session update reached another organization")
		}
	})

	t.Run("traits", func(t *testing.T) {
		c := f.identifyWith(org, "visitor-t", "t", base)
		if err := f.e.PutTraits(f.ctx, org, c.ID, json.RawMessage(`{"email":"new@example.com"}`), base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got := f.customer(org, c.ID)
		jsonEqual(t, "traits", got.Traits, []byte(`{"email":"new@example.com"}`))
		if !got.UpdatedAt.Equal(presage.StoredTime(base.Add(time.Hour))) {
			t.Fatalf("updated at %v", got.UpdatedAt)
		}
		// UpdatedAt never moves back.
		if err := f.e.PutTraits(f.ctx, org, c.ID, json.RawMessage(`{}`), base); err != nil {
			t.Fatal(err)
		}
		if got := f.customer(org, c.ID); !got.UpdatedAt.Equal(presage.StoredTime(base.Add(time.Hour))) {
			t.Fatalf("updated at moved back to %v", got.UpdatedAt)
		}
		if err := f.e.PutTraits(f.ctx, other, c.ID, json.RawMessage(`{}`), base); !presage.IsNotFound(err) {
			t.Fatalf("put traits of another organization's customer: %v", err)
		}
	})

	t.Run("index entries", func(t *testing.T) {
		ada := f.identifyWith(org, "visitor-ada", "ada", base, lookup("email", "ada"), lookup("name", "ada"))
		bob := f.identifyWith(org, "visitor-bob", "bob", base, lookup("name", "ada"))
		if err := f.e.ReplaceIndex(f.ctx, org, ada.ID, "email", email("ada").Hash, email("ada2").Hash); err != nil {
			t.Fatal(err)
		}
		if err := f.e.ReplaceIndex(f.ctx, org, ada.ID, "email", lookup("email", "ada").Hash, lookup("email", "ada2").Hash); err != nil {
			t.Fatal(err)
		}
		if got := f.identifyWith(org, "visitor-ada-new", "ada2", base.Add(time.Minute)); got.ID != ada.ID {
			t.Fatalf("the new email resolves to %s, want %s", got.ID, ada.ID)
		}
		if got := f.identifyWith(org, "visitor-ada-old", "ada", base.Add(time.Minute)); got.ID == ada.ID {
			t.Fatal("the old email still resolves to the customer")
		}
		// Moving onto an identifier another customer owns leaves it to them
		// and still removes the old one.
		if err := f.e.ReplaceIndex(f.ctx, org, ada.ID, "email", email("ada2").Hash, email("bob").Hash); err != nil {
			t.Fatal(err)
		}
		if got := f.identifyWith(org, "visitor-bob-2", "bob", base.Add(time.Minute)); got.ID != bob.ID {
			t.Fatalf("bob's email moved to %s", got.ID)
		}
		// A shared lookup moves for one customer only.
		if err := f.e.ReplaceIndex(f.ctx, org, ada.ID, "name", lookup("name", "ada").Hash, lookup("name", "ada b").Hash); err != nil {
			t.Fatal(err)
		}
		if got := f.count(org, []string{ada.ID}, nil); got["identifiers"] != 0 || got["lookups"] != 2 {
			t.Fatalf("ada's index = %v, want no identifier and 2 lookups", got)
		}
		if got := f.count(org, []string{bob.ID}, nil); got["lookups"] != 1 || got["identifiers"] != 1 {
			t.Fatalf("bob's index = %v", got)
		}
		kinds, err := f.e.IndexKinds(f.ctx, org, []string{ada.ID, bob.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := []journey.IndexKind{{CustomerID: ada.ID, Table: "lookups", Kind: "email", Count: 1},
			{CustomerID: ada.ID, Table: "lookups", Kind: "name", Count: 1},
			{CustomerID: bob.ID, Table: "identifiers", Kind: "email", Count: 1},
			{CustomerID: bob.ID, Table: "lookups", Kind: "name", Count: 1}}
		slices.SortStableFunc(want, func(a, b journey.IndexKind) int { return strings.Compare(a.CustomerID, b.CustomerID) })
		if !slices.Equal(kinds, want) {
			t.Fatalf("index kinds = %+v, want %+v", kinds, want)
		}
		// An empty new hash removes the entries.
		if err := f.e.ReplaceIndex(f.ctx, org, ada.ID, "name", lookup("name", "ada b").Hash, ""); err != nil {
			t.Fatal(err)
		}
		if got := f.count(org, []string{ada.ID}, nil); got["lookups"] != 1 {
			t.Fatalf("ada's lookups after a removal = %v, want 1", got)
		}
		// A replacement in another organization touches nothing here.
		if err := f.e.ReplaceIndex(f.ctx, other, bob.ID, "name", lookup("name", "ada").Hash, "x"); err != nil {
			t.Fatal(err)
		}
		if got := f.count(org, []string{bob.ID}, nil); got["lookups"] != 1 {
			t.Fatalf("another organization moved bob's lookup: %v", got)
		}
	})
}

func testSubjectPurge(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	other := f.newOrg("Other").ID
	day := 24 * time.Hour
	old, recent := base.Add(-30*day), base.Add(-day)
	// visitor-old: three old sessions; visitor-both: one old, one recent;
	// visitor-new: recent only. cus-old's only device is visitor-old.
	cOld := f.identifyWith(org, "visitor-old", "old", old, lookup("name", "old"))
	f.commit(scoredWrite(org, "visitor-old", "s-old-1", old, 2), scoredWrite(org, "visitor-old", "s-old-2", old, 1),
		scoredWrite(org, "visitor-both", "s-both-old", old, 1), scoredWrite(org, "visitor-both", "s-both-new", recent, 1),
		scoredWrite(org, "visitor-new", "s-new", recent, 1), scoredWrite(other, "visitor-old", "s-old-1", old, 2))
	cutoff := base.Add(-7 * day)
	all := journey.PurgeCutoffs{SessionsBefore: cutoff, VisitorsBefore: cutoff, CustomersBefore: cutoff}

	t.Run("zero cutoffs purge nothing", func(t *testing.T) {
		got, more, err := f.e.Purge(f.ctx, org, journey.PurgeCutoffs{}, 10)
		if err != nil || more || got.Sessions != 0 || got.Visitors != 0 || got.Customers != 0 {
			t.Fatalf("purge = %+v, %v, %v", got, more, err)
		}
	})

	t.Run("sessions first, in batches, with their events, predictions and achievements", func(t *testing.T) {
		got, more, err := f.e.Purge(f.ctx, org, all, 2)
		if err != nil || !more || got.Sessions != 2 || got.Visitors != 0 || got.Customers != 0 || got.Predictions != 2 || got.Achievements != 2 {
			t.Fatalf("first purge = %+v, more %v, %v", got, more, err)
		}
		got2, more, err := f.e.Purge(f.ctx, org, all, 2)
		if err != nil || !more || got2.Sessions != 2 {
			t.Fatalf("second purge = %+v, more %v, %v", got2, more, err)
		}
		// Four old sessions: the identify's, s-old-1 (2 events), s-old-2, s-both-old.
		if got.Events+got2.Events != 5 {
			t.Fatalf("purged %d events, want 5", got.Events+got2.Events)
		}
		for _, s := range []string{"s-old-1", "s-old-2", "s-both-old"} {
			if _, err := f.e.GetSession(f.ctx, org, s); !presage.IsNotFound(err) {
				t.Fatalf("old session %s survives: %v", s, err)
			}
			if ps := f.predictions(org, s); len(ps) != 0 {
				t.Fatalf("predictions of purged session %s survive", s)
			}
		}
	})

	t.Run("then visitors without sessions, then customers without visitors", func(t *testing.T) {
		got, more, err := f.e.Purge(f.ctx, org, all, 2)
		if err != nil || more {
			t.Fatalf("purge = %+v, more %v, %v", got, more, err)
		}
		if !slices.Equal(got.VisitorIDs, []string{"visitor-old"}) || got.Visitors != 1 {
			t.Fatalf("purged visitors %v (%d), want visitor-old", got.VisitorIDs, got.Visitors)
		}
		if !slices.Equal(got.CustomerIDs, []string{cOld.ID}) || got.Customers != 1 || got.Identifiers != 1 || got.Lookups != 1 {
			t.Fatalf("purged customers %+v, want %s with its identifier and lookup", got, cOld.ID)
		}
		for _, s := range []string{"s-both-new", "s-new"} {
			f.session(org, s)
		}
		f.visitor(org, "visitor-both")
		f.visitor(org, "visitor-new")
		if got := f.count(other, nil, []string{"visitor-old"}); got["sessions"] != 1 || got["events"] != 2 || got["predictions"] != 1 {
			t.Fatalf("purge crossed into another organization: %v", got)
		}
		if got, more, err := f.e.Purge(f.ctx, org, all, 2); err != nil || more || got.Sessions+got.Visitors+got.Customers != 0 {
			t.Fatalf("purge again = %+v, %v, %v", got, more, err)
		}
	})
}

func testSubjectPredictions(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	other := f.newOrg("Other").ID
	f.commit(scoredWrite(org, "visitor-1", "s-1", base, 1), scoredWrite(org, "visitor-1", "s-2", base.Add(time.Hour), 1),
		scoredWrite(org, "visitor-2", "s-3", base, 1), scoredWrite(other, "visitor-1", "s-1", base, 1))

	ps, err := f.e.SubjectPredictions(f.ctx, org, []string{"visitor-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(ps, func(p presage.Prediction) string { return p.SessionID }); !slices.Equal(got, []string{"s-1", "s-2"}) {
		t.Fatalf("subject predictions of sessions %v", got)
	}
	samePrediction(t, ps[0], func() presage.Prediction {
		p := prediction("s-1", "visitor-1", outPurchase, 0.5, base, 2)
		p.OrgID = org
		return p
	}())
	as, err := f.e.SubjectAchievements(f.ctx, org, []string{"visitor-1", "visitor-2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(as, func(a presage.Achievement) string { return a.SessionID }); len(got) != 3 || got[2] != "s-2" {
		t.Fatalf("subject achievements of sessions %v, want three, s-2 last", got)
	}
	preds, achs, err := f.e.EraseSubjectPredictions(f.ctx, org, []string{"visitor-1"})
	if err != nil || preds != 2 || achs != 2 {
		t.Fatalf("erase subject predictions = %d, %d, %v; want 2, 2", preds, achs, err)
	}
	if got := f.count(org, nil, []string{"visitor-1"}); got["predictions"] != 0 || got["achievements"] != 0 || got["events"] != 2 {
		t.Fatalf("after erasing predictions: %v", got)
	}
	if len(f.predictions(org, "s-3")) != 1 || len(f.predictions(other, "s-1")) != 1 {
		t.Fatal("erasure removed another visitor's predictions")
	}
	if preds, achs, err := f.e.EraseSubjectPredictions(f.ctx, org, []string{"visitor-1"}); err != nil || preds+achs != 0 {
		t.Fatalf("erase again = %d, %d, %v", preds, achs, err)
	}
}

// testPhoneRegion checks that an organization's default phone region, which
// identify normalizes phone numbers with, is stored and updated.
func testPhoneRegion(t *testing.T, open Opener) {
	f := newFixture(t, open)
	if got, err := f.e.GetOrganization(f.ctx, f.org.ID); err != nil || got.PhoneRegion != "" {
		t.Fatalf("new organization's region = %q, %v; want none", got.PhoneRegion, err)
	}
	org := f.org
	org.PhoneRegion = "FR"
	if err := f.e.UpdateOrganization(f.ctx, org); err != nil {
		t.Fatal(err)
	}
	if got, err := f.e.OrganizationBySiteKey(f.ctx, org.SiteKey); err != nil || got.PhoneRegion != "FR" {
		t.Fatalf("region after update = %q, %v", got.PhoneRegion, err)
	}
	created := presage.Organization{ID: presage.NewID("org"), Name: "Region", SiteKey: "pk_" + presage.RandomToken(16),
		IdentitySecret: []byte("s"), PhoneRegion: "GB", CreatedAt: presage.StoredTime(base)}
	if err := f.e.CreateOrganization(f.ctx, created); err != nil {
		t.Fatal(err)
	}
	if got, err := f.e.GetOrganization(f.ctx, created.ID); err != nil || got.PhoneRegion != "GB" {
		t.Fatalf("created organization's region = %q, %v", got.PhoneRegion, err)
	}
}
