package journey_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/identity"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// index is the blind index the collector stores identifiers under.
type index struct{ org presage.Organization }

func (x index) Index(_ context.Context, _ string, t privacy.SearchType, v string) ([]string, error) {
	return identity.Hashes(x.org.IdentitySecret, string(t), v, x.org.PhoneRegion), nil
}

func (x index) Tombstone(context.Context, string, string, string) (string, error) { return "", nil }

type holderFixture struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlite.DB
	path   string
	org    presage.Organization
	holder privacy.Holder
}

func newHolderFixture(t *testing.T) *holderFixture {
	t.Helper()
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org := presage.Organization{ID: presage.NewID("org"), Name: "Shop", SiteKey: "pk_" + presage.RandomToken(16),
		IdentitySecret: []byte("identity-secret"), PhoneRegion: "FR", CreatedAt: t0}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	return &holderFixture{t: t, ctx: ctx, db: db, path: path, org: org,
		holder: journey.NewPrivacyHolder(db, index{org}, func() time.Time { return t0.Add(time.Hour) })}
}

// visit commits a session of visitorID with the events; traits, when set,
// identify the visitor as the collector would.
func (f *holderFixture) visit(visitorID, sessionID, traits string, events ...presage.Event) {
	f.t.Helper()
	for i := range events {
		e := &events[i]
		e.OrgID, e.SessionID, e.VisitorID = f.org.ID, sessionID, visitorID
		e.OccurredAt, e.ReceivedAt = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Minute)
		if e.Type == "" {
			e.Type = presage.EventPageview
		}
	}
	last := events[len(events)-1].OccurredAt
	w := collect.Write{OrgID: f.org.ID,
		Visitor: presage.Visitor{ID: visitorID, FirstSeenAt: t0, LastSeenAt: last},
		Session: presage.Session{ID: sessionID, VisitorID: visitorID, StartedAt: t0, LastEventAt: last,
			LandingURL: events[0].URL, Referrer: events[0].Referrer},
		Events: events}
	if traits != "" {
		var id collect.IdentityTraits
		var m map[string]string
		_ = json.Unmarshal([]byte(traits), &m) // test traits are flat strings
		id.Email, id.Phone, id.CustomerID = m["email"], m["phone"], m["customerId"]
		w.Identifications = []collect.Identification{{VisitorID: visitorID, At: last, NewCustomerID: presage.NewID("cus"),
			Identifiers: collect.Identifiers(f.org.IdentitySecret, f.org.PhoneRegion, id),
			Lookups:     collect.Lookups(f.org.IdentitySecret, f.org.PhoneRegion, json.RawMessage(traits)),
			Traits:      json.RawMessage(traits)}}
	}
	if _, err := f.db.CommitWrites(f.ctx, []collect.Write{w}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *holderFixture) subject(visitorIDs ...string) privacy.Subject {
	f.t.Helper()
	s := privacy.Subject{OrgID: f.org.ID, VisitorIDs: visitorIDs}
	for _, v := range visitorIDs {
		got, err := f.db.GetVisitor(f.ctx, f.org.ID, v)
		if err != nil {
			f.t.Fatal(err)
		}
		if got.CustomerID != "" && !slices.Contains(s.CustomerIDs, got.CustomerID) {
			s.CustomerIDs = append(s.CustomerIDs, got.CustomerID)
		}
	}
	return s
}

// lookups returns the kind:hash of the customer's lookup entries.
func (f *holderFixture) lookups(customerID string) []string {
	f.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+f.path+"?mode=ro")
	if err != nil {
		f.t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(f.ctx, `SELECT kind || ':' || hash FROM customer_lookups WHERE org_id = ? AND customer_id = ?
		ORDER BY 1`, f.org.ID, customerID)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func (f *holderFixture) hashOf(kind, value string) string {
	return kind + ":" + identity.Hashes(f.org.IdentitySecret, kind, value, f.org.PhoneRegion)[0]
}

func TestJourneyHolderCountExportErase(t *testing.T) {
	f := newHolderFixture(t)
	f.visit("visitor-1", "s-1", `{"email":"ada@example.com","name":"Ada Lovelace"}`,
		presage.Event{ID: "e-1", URL: "https://shop.example/"}, presage.Event{ID: "e-2", URL: "https://shop.example/cart"})
	f.visit("visitor-1", "s-2", "", presage.Event{ID: "e-3", URL: "https://shop.example/again"})
	f.visit("visitor-other", "s-3", "", presage.Event{ID: "e-4", URL: "https://shop.example/"})
	s := f.subject("visitor-1")
	if f.holder.Name() != "journey" || !slices.Equal(f.holder.Tables(),
		[]string{"customers", "customer_identifiers", "customer_lookups", "visitors", "sessions", "events", "visitor_keys"}) {
		t.Fatalf("holder %s claims %v", f.holder.Name(), f.holder.Tables())
	}

	counts, err := f.holder.Count(f.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := privacy.Counts{"customers": 1, "identifiers": 1, "lookups": 2, "visitors": 1, "sessions": 2, "events": 3}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("counts = %v, want %v", counts, want)
	}

	sections, err := f.holder.Export(f.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(sections))
	files := map[string]string{}
	for i, sec := range sections {
		names[i] = sec.Name
		b, err := json.Marshal(sec.Data)
		if err != nil || sec.About == "" {
			t.Fatalf("section %s: %v (about %q)", sec.Name, err, sec.About)
		}
		files[sec.Name] = string(b)
	}
	if !slices.Equal(names, []string{"customers.json", "identifiers.json", "visitors.json", "sessions.json", "events.json"}) {
		t.Fatalf("sections %v", names)
	}
	checks := []struct {
		file    string
		has     []string
		hasNone []string
	}{
		{"customers.json", []string{`"email":"ada@example.com"`, `"visitorIds":["visitor-1"]`}, nil},
		{"identifiers.json", []string{`"table":"identifiers","kind":"email","count":1`, `"kind":"name"`},
			[]string{strings.SplitN(f.hashOf("email", "ada@example.com"), ":", 2)[1]}},
		{"visitors.json", []string{`"id":"visitor-1"`}, []string{"visitor-other"}},
		{"sessions.json", []string{`"id":"s-1"`, `"id":"s-2"`, `"landingUrl":"https://shop.example/"`}, []string{"s-3"}},
		{"events.json", []string{`"id":"e-1"`, `"id":"e-2"`, `"id":"e-3"`, `"url":"https://shop.example/cart"`}, []string{"e-4"}},
	}
	for _, c := range checks {
		for _, h := range c.has {
			if !strings.Contains(files[c.file], h) {
				t.Errorf("%s lacks %s: %s", c.file, h, files[c.file])
			}
		}
		for _, h := range c.hasNone {
			if strings.Contains(files[c.file], h) {
				t.Errorf("%s holds %s: %s", c.file, h, files[c.file])
			}
		}
	}

	erased, err := f.holder.Erase(f.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(erased) != fmt.Sprint(want) {
		t.Fatalf("erased %v, want %v", erased, want)
	}
	if again, err := f.holder.Count(f.ctx, s); err != nil || again["events"]+again["customers"]+again["lookups"] != 0 {
		t.Fatalf("after erasure: %v, %v", again, err)
	}
	if other, err := f.holder.Count(f.ctx, f.subject("visitor-other")); err != nil || other["events"] != 1 {
		t.Fatalf("erasure reached another visitor: %v, %v", other, err)
	}
}

func TestJourneyHolderRectify(t *testing.T) {
	tests := []struct {
		name       string
		traits     string
		event      presage.Event
		r          privacy.Replacement
		wantTraits string
		wantURL    string
		wantTitle  string
		wantAttrs  string
		wantCounts privacy.Counts
		// moved: the kind whose lookup now holds Updated instead of Existing.
		moved string
		// lookups: how many lookup entries of that kind are left.
		lookups int
	}{
		{name: "email, in any case and URL-encoded",
			traits: `{"email":"Ada@Example.com","plan":"gold"}`,
			event: presage.Event{ID: "e-1", URL: "https://shop.example/account?email=ada%40example.com", Title: "Hello ADA@example.com",
				Attributes: json.RawMessage(`{"contact":"ada@example.com","n":3}`)},
			r:          privacy.Replacement{Type: privacy.SearchEmail, Existing: "ada@example.com", Updated: "ada.l@example.org"},
			wantTraits: `{"email":"ada.l@example.org","plan":"gold"}`,
			wantURL:    "https://shop.example/account?email=ada.l%40example.org", wantTitle: "Hello ada.l@example.org",
			wantAttrs:  `{"contact":"ada.l@example.org","n":3}`,
			wantCounts: privacy.Counts{"traits": 1, "events": 1, "sessions": 1}, moved: "email", lookups: 1},
		{name: "name split into first and last name",
			traits:     `{"firstName":"José","lastName":"García"}`,
			event:      presage.Event{ID: "e-1", URL: "https://shop.example/", Title: "José García's basket"},
			r:          privacy.Replacement{Type: privacy.SearchName, Existing: "jose garcia", Updated: "José Martínez"},
			wantTraits: `{"firstName":"José","lastName":"Martínez"}`,
			wantURL:    "https://shop.example/", wantTitle: "José García's basket", // case- and accent-sensitive in text
			wantCounts: privacy.Counts{"traits": 1, "events": 0, "sessions": 0}, moved: "name", lookups: 1},
		{name: "phone written nationally",
			traits:     `{"phone":"06 12 34 56 78"}`,
			event:      presage.Event{ID: "e-1", URL: "https://shop.example/", Title: "Call 06 12 34 56 78"},
			r:          privacy.Replacement{Type: privacy.SearchPhone, Existing: "+33 6 12 34 56 78", Updated: "+33 7 00 00 00 00"},
			wantTraits: `{"phone":"+33 7 00 00 00 00"}`,
			wantURL:    "https://shop.example/", wantTitle: "Call 06 12 34 56 78",
			// Stored as E.164 and as digits: both forms follow.
			wantCounts: privacy.Counts{"traits": 1, "events": 0, "sessions": 0}, moved: "phone", lookups: 1},
		{name: "a value the subject does not hold changes nothing",
			traits:     `{"email":"ada@example.com"}`,
			event:      presage.Event{ID: "e-1", URL: "https://shop.example/", Title: "Hi"},
			r:          privacy.Replacement{Type: privacy.SearchEmail, Existing: "bob@example.com", Updated: "x@example.com"},
			wantTraits: `{"email":"ada@example.com"}`, wantURL: "https://shop.example/", wantTitle: "Hi",
			wantCounts: privacy.Counts{"traits": 0, "events": 0, "sessions": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHolderFixture(t)
			f.visit("visitor-1", "s-1", tt.traits, tt.event)
			s := f.subject("visitor-1")
			cust := s.CustomerIDs[0]
			before := f.lookups(cust)
			got, err := f.holder.Rectify(f.ctx, s, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantCounts) {
				t.Errorf("counts = %v, want %v", got, tt.wantCounts)
			}
			c, err := f.db.GetCustomer(f.ctx, f.org.ID, cust)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			_ = json.Unmarshal(c.Traits, &g)
			_ = json.Unmarshal([]byte(tt.wantTraits), &w)
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("traits = %s, want %s", c.Traits, tt.wantTraits)
			}
			evs, err := f.db.VisitorEvents(f.ctx, f.org.ID, "visitor-1", 0, 10)
			if err != nil || len(evs) != 1 {
				t.Fatalf("events %v, %v", evs, err)
			}
			if e := evs[0]; e.URL != tt.wantURL || e.Title != tt.wantTitle ||
				tt.wantAttrs != "" && string(e.Attributes) != tt.wantAttrs {
				t.Errorf("event = %q %q %s", e.URL, e.Title, e.Attributes)
			}
			sess, err := f.db.GetSession(f.ctx, f.org.ID, "s-1")
			if err != nil || sess.LandingURL != tt.wantURL {
				t.Errorf("session landing URL = %q, %v; want %q", sess.LandingURL, err, tt.wantURL)
			}
			after := f.lookups(cust)
			if tt.moved == "" {
				if !slices.Equal(before, after) {
					t.Errorf("lookups changed from %v to %v", before, after)
				}
				return
			}
			if slices.Contains(after, f.hashOf(tt.moved, tt.r.Existing)) || !slices.Contains(after, f.hashOf(tt.moved, tt.r.Updated)) {
				t.Errorf("lookups %v: want %s moved to %s", after, f.hashOf(tt.moved, tt.r.Existing), f.hashOf(tt.moved, tt.r.Updated))
			}
			left := 0
			for _, l := range after {
				if strings.HasPrefix(l, tt.moved+":") {
					left++
				}
			}
			if left != tt.lookups {
				t.Errorf("%d %s lookups left (%v), want %d", left, tt.moved, after, tt.lookups)
			}
		})
	}
}

func TestJourneyHolderRectifyMovesIdentifiers(t *testing.T) {
	f := newHolderFixture(t)
	f.visit("visitor-1", "s-1", `{"email":"ada@example.com"}`, presage.Event{ID: "e-1", URL: "https://shop.example/"})
	s := f.subject("visitor-1")
	if _, err := f.holder.Rectify(f.ctx, s, privacy.Replacement{Type: privacy.SearchEmail, Existing: "ada@example.com",
		Updated: "ada@new.example"}); err != nil {
		t.Fatal(err)
	}
	// The updated email now identifies the customer; the old one no longer does.
	f.visit("visitor-2", "s-2", `{"email":"ada@new.example"}`, presage.Event{ID: "e-2", URL: "https://shop.example/"})
	f.visit("visitor-3", "s-3", `{"email":"ada@example.com"}`, presage.Event{ID: "e-3", URL: "https://shop.example/"})
	if got := f.subject("visitor-2").CustomerIDs; !slices.Equal(got, s.CustomerIDs) {
		t.Errorf("the updated email identifies %v, want %v", got, s.CustomerIDs)
	}
	if got := f.subject("visitor-3").CustomerIDs; slices.Equal(got, s.CustomerIDs) {
		t.Error("the old email still identifies the customer")
	}
}
