package sealed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/sealed"
)

var at = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// The plaintexts a journey carries: none of them may reach a raw row.
const (
	landingURL = "https://shop.example/landing?email=ada%40example.com"
	pageURL    = "https://shop.example/orders/8841-ada-lovelace"
	pageTitle  = "Order 8841 for Ada Lovelace"
	referrer   = "https://mail.example/inbox/ada"
	attrs      = `{"coupon":"ADA-SECRET-COUPON","price":23.5}`
	traits     = `{"email":"ada@example.com","name":"Ada Lovelace","vip":true}`
)

var plaintexts = []string{"ada%40example.com", "8841-ada-lovelace", "Ada Lovelace", "mail.example/inbox/ada",
	"ADA-SECRET-COUPON", "23.5", "ada@example.com", "true"}

// journeyFixture is one organization with one identified visitor committed
// through the decorator.
type journeyFixture struct {
	ctx        context.Context
	raw        store.Engine // the engine itself
	e          store.Engine // the decorator
	k          *keys.Keyring
	read       rawReader
	org        presage.Organization
	visitor    string
	session    string
	customerID string
	events     []presage.Event
}

func newJourney(t *testing.T, b backend) *journeyFixture {
	t.Helper()
	raw, read := b.open(t)
	k := newKeyring(t)
	f := &journeyFixture{ctx: context.Background(), raw: raw, e: sealed.Wrap(raw, k), k: k, read: read,
		visitor: "v-" + presage.RandomToken(6), session: "s-" + presage.RandomToken(6)}
	f.org = presage.Organization{ID: presage.NewID("org"), Name: "Acme " + presage.RandomToken(4),
		SiteKey: "pk_" + presage.RandomToken(16), AllowedOrigins: []string{"https://shop.example"},
		IdentitySecret: []byte("identity-secret-" + presage.RandomToken(16)), CreatedAt: at}
	if err := f.e.CreateOrganization(f.ctx, f.org); err != nil {
		t.Fatalf("create organization: %v", err)
	}
	f.events = []presage.Event{
		{ID: "e1", Type: presage.EventPageview, URL: pageURL, Title: pageTitle, Referrer: referrer,
			Attributes: json.RawMessage(attrs)},
		// Empty values stay empty; no attributes stay absent.
		{ID: "e2", Type: presage.EventIdentify, URL: pageURL},
	}
	for i := range f.events {
		ev := &f.events[i]
		ev.OrgID, ev.SessionID, ev.VisitorID = f.org.ID, f.session, f.visitor
		ev.OccurredAt, ev.ReceivedAt = at.Add(time.Duration(i)*time.Second), at.Add(time.Minute)
		ev.Context = presage.Enrichment{Device: "desktop", Browser: "Firefox", OS: "Linux", ReferrerClass: "other"}
	}
	w := collect.Write{
		OrgID:   f.org.ID,
		Visitor: presage.Visitor{ID: f.visitor, FirstSeenAt: at, LastSeenAt: at.Add(time.Second)},
		Session: presage.Session{ID: f.session, VisitorID: f.visitor, StartedAt: at, LastEventAt: at.Add(time.Second),
			LandingURL: landingURL, Referrer: referrer, Context: f.events[0].Context, IPPrefix: "203.0.113.0/24",
			TimeZone: "Europe/Paris", Language: "fr-FR"},
		Events: slices.Clone(f.events),
		Identifications: []collect.Identification{{VisitorID: f.visitor, Traits: json.RawMessage(traits),
			Identifiers: []presage.Identifier{{Kind: "email", Hash: "h-ada"}}, At: at.Add(time.Second),
			NewCustomerID: presage.NewID("cus")}},
	}
	before := cloneWrite(w)
	if _, err := f.e.CommitWrites(f.ctx, []collect.Write{w}); err != nil {
		t.Fatalf("commit writes: %v", err)
	}
	for i := range w.Events {
		if w.Events[i].Seq == 0 {
			t.Fatalf("event %s: no Seq assigned", w.Events[i].ID)
		}
		before.Events[i].Seq = w.Events[i].Seq
		f.events[i].Seq = w.Events[i].Seq
	}
	if !reflect.DeepEqual(w, before) {
		t.Fatalf("CommitWrites changed the caller's write beyond Seq:\n got %+v\nwant %+v", w, before)
	}
	f.customerID = w.Identifications[0].NewCustomerID
	return f
}

func cloneWrite(w collect.Write) collect.Write {
	w.Events = slices.Clone(w.Events)
	w.Identifications = slices.Clone(w.Identifications)
	return w
}

// wantJSON fails unless got and want are the same JSON value.
func wantJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %s is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: want %s: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

// readAll reads the fixture's journey through every read the decorator
// opens: sessions, events and customers, as each caller sees them.
type readResult struct {
	sessions  map[string]presage.Session
	events    map[string][]presage.Event
	customers map[string]presage.Customer
}

func (f *journeyFixture) readAll(t *testing.T) readResult {
	t.Helper()
	r := readResult{sessions: map[string]presage.Session{}, events: map[string][]presage.Event{},
		customers: map[string]presage.Customer{}}
	s, err := f.e.GetSession(f.ctx, f.org.ID, f.session)
	if err != nil {
		t.Fatalf("get session: %v", err)
	}
	r.sessions["GetSession"] = s
	list, _, err := f.e.ListSessions(f.ctx, f.org.ID, journey.SessionFilter{VisitorID: f.visitor}, presage.Page{Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("list sessions: %v, %d sessions", err, len(list))
	}
	r.sessions["ListSessions"] = list[0]
	ended, err := f.e.EndedSessions(f.ctx, f.org.ID, presage.Cursor{}, at.Add(time.Hour), 10)
	if err != nil {
		t.Fatalf("ended sessions: %v", err)
	}
	i := slices.IndexFunc(ended, func(s presage.Session) bool { return s.ID == f.session })
	if i < 0 {
		t.Fatalf("ended sessions %v lack %s", ended, f.session)
	}
	r.sessions["EndedSessions"] = ended[i]

	evs, _, err := f.e.ListEvents(f.ctx, f.org.ID, f.session, presage.Page{Limit: 10})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	r.events["ListEvents"] = evs
	if evs, err = f.e.SessionEvents(f.ctx, f.org.ID, f.session); err != nil {
		t.Fatalf("session events: %v", err)
	}
	r.events["SessionEvents"] = evs
	if evs, err = f.e.VisitorEvents(f.ctx, f.org.ID, f.visitor, 0, 10); err != nil {
		t.Fatalf("visitor events: %v", err)
	}
	r.events["VisitorEvents"] = evs

	c, err := f.e.GetCustomer(f.ctx, f.org.ID, f.customerID)
	if err != nil {
		t.Fatalf("get customer: %v", err)
	}
	r.customers["GetCustomer"] = c
	cs, _, err := f.e.ListCustomers(f.ctx, f.org.ID, presage.Page{Limit: 10})
	if err != nil || len(cs) != 1 {
		t.Fatalf("list customers: %v, %d customers", err, len(cs))
	}
	r.customers["ListCustomers"] = cs[0]
	return r
}

// rawRows returns every personal column of the fixture's organization as the
// database holds it.
func (f *journeyFixture) rawRows(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT url || ' ' || title || ' ' || referrer || ' ' || attributes FROM events`,
		`SELECT landing_url || ' ' || referrer FROM sessions`,
		`SELECT traits FROM customers`,
	} {
		rows := f.read(t, q)
		if len(rows) == 0 {
			t.Fatalf("raw query %q: no rows", q)
		}
		out = append(out, rows...)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newJourney(t, b)
			r := f.readAll(t)
			for via, s := range r.sessions {
				if s.LandingURL != landingURL || s.Referrer != referrer || s.TimeZone != "Europe/Paris" {
					t.Errorf("%s: session %+v, want landing %q referrer %q", via, s, landingURL, referrer)
				}
			}
			for via, evs := range r.events {
				if len(evs) != len(f.events) {
					t.Fatalf("%s: %d events, want %d", via, len(evs), len(f.events))
				}
				for i, want := range f.events {
					got := evs[i]
					if got.ID != want.ID || got.Seq != want.Seq || got.URL != want.URL || got.Title != want.Title || got.Referrer != want.Referrer {
						t.Errorf("%s: event %d = %+v, want %+v", via, i, got, want)
					}
					if len(want.Attributes) == 0 {
						if len(got.Attributes) != 0 {
							t.Errorf("%s: event %s attributes %s, want none", via, got.ID, got.Attributes)
						}
						continue
					}
					wantJSON(t, via+" attributes", got.Attributes, string(want.Attributes))
				}
			}
			for via, c := range r.customers {
				wantJSON(t, via+" traits", c.Traits, traits)
			}
		})
	}
}

func TestRawRowsHoldNoPlaintext(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newJourney(t, b)
			for _, row := range f.rawRows(t) {
				for _, p := range plaintexts {
					if strings.Contains(row, p) {
						t.Errorf("raw row holds %q: %s", p, row)
					}
				}
			}
			// Attributes and traits stay valid JSON with the trait keys in
			// clear, which the engines' merge of traits needs.
			for _, a := range f.read(t, `SELECT attributes FROM events WHERE attributes <> ''`) {
				if !json.Valid([]byte(a)) || !strings.HasPrefix(a, `"ps1:`) {
					t.Errorf("stored attributes %s: want a JSON string of a sealed value", a)
				}
			}
			// One sealed bundle per row: the texts beside it stay empty.
			for _, q := range []string{`SELECT url || title || referrer FROM events`, `SELECT referrer FROM sessions`} {
				for _, v := range f.read(t, q) {
					if v != "" {
						t.Errorf("%s: %q, want empty beside the row's bundle", q, v)
					}
				}
			}
			for _, tr := range f.read(t, `SELECT traits FROM customers`) {
				var m map[string]string
				if err := json.Unmarshal([]byte(tr), &m); err != nil {
					t.Fatalf("stored traits %s: want an object of sealed strings: %v", tr, err)
				}
				if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, []string{"email", "name", "vip"}) {
					t.Errorf("stored trait keys %v", got)
				}
				for k, v := range m {
					if !keys.IsSealed(v) {
						t.Errorf("trait %s stored as %q, want sealed", k, v)
					}
				}
			}
		})
	}
}

func TestShreddedValuesReadEmpty(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newJourney(t, b)
			// A trait written before encryption, on the same customer: it is
			// not the shredded visitor's, so it stays.
			legacy := collect.Write{OrgID: f.org.ID,
				Visitor: presage.Visitor{ID: "v-legacy", FirstSeenAt: at, LastSeenAt: at},
				Session: presage.Session{ID: "s-legacy", VisitorID: "v-legacy", StartedAt: at, LastEventAt: at},
				Events: []presage.Event{{OrgID: f.org.ID, ID: "e-legacy", SessionID: "s-legacy", VisitorID: "v-legacy",
					Type: presage.EventIdentify, OccurredAt: at, ReceivedAt: at, URL: "https://shop.example/legacy"}},
				Identifications: []collect.Identification{{VisitorID: "v-legacy", Traits: json.RawMessage(`{"plan":"gold"}`),
					Identifiers: []presage.Identifier{{Kind: "email", Hash: "h-ada"}}, At: at, NewCustomerID: presage.NewID("cus")}}}
			if _, err := f.raw.CommitWrites(f.ctx, []collect.Write{legacy}); err != nil {
				t.Fatalf("commit legacy write: %v", err)
			}
			if n, err := sealed.NewShredder(f.raw, f.k).Shred(f.ctx, f.org.ID, []string{f.visitor}); err != nil || n != 1 {
				t.Fatalf("shred: %d keys, %v", n, err)
			}
			before := sealed.ShreddedReads.Load()
			r := f.readAll(t)
			for via, s := range r.sessions {
				if s.LandingURL != "" || s.Referrer != "" || s.ID != f.session || s.TimeZone != "Europe/Paris" {
					t.Errorf("%s: shredded session %+v, want landing data empty and the rest kept", via, s)
				}
			}
			for via, evs := range r.events {
				if len(evs) != len(f.events) {
					t.Fatalf("%s: %d events, want %d", via, len(evs), len(f.events))
				}
				for _, ev := range evs {
					if ev.URL != "" || ev.Title != "" || ev.Referrer != "" || len(ev.Attributes) != 0 {
						t.Errorf("%s: shredded event %+v, want texts empty", via, ev)
					}
				}
			}
			for via, c := range r.customers {
				wantJSON(t, via+" traits", c.Traits, `{"plan":"gold"}`)
			}
			// Sessions: 1 bundle by 3 reads; events: 2 bundles by 2 or 3
			// reads; customers: 3 traits by 2 reads.
			want := int64(1*3 + 2*len(r.events) + 3*2)
			if got := sealed.ShreddedReads.Load() - before; got != want {
				t.Errorf("ShreddedReads grew by %d, want %d", got, want)
			}
			// The legacy visitor's clear rows read as they are.
			evs, err := f.e.SessionEvents(f.ctx, f.org.ID, "s-legacy")
			if err != nil || len(evs) != 1 || evs[0].URL != "https://shop.example/legacy" {
				t.Fatalf("legacy events %+v, %v", evs, err)
			}
		})
	}
}

func TestRectifySeals(t *testing.T) {
	type rectify struct {
		name  string
		write func(f *journeyFixture) error
		check func(t *testing.T, f *journeyFixture)
	}
	cases := []rectify{
		{"UpdateEventTexts", func(f *journeyFixture) error {
			ev := f.events[0]
			ev.URL, ev.Title, ev.Referrer, ev.Attributes = "https://shop.example/fixed-url", "Fixed title", "", json.RawMessage(`{"fixed":"yes"}`)
			return f.e.UpdateEventTexts(f.ctx, f.org.ID, []presage.Event{ev})
		}, func(t *testing.T, f *journeyFixture) {
			evs, err := f.e.SessionEvents(f.ctx, f.org.ID, f.session)
			if err != nil {
				t.Fatal(err)
			}
			if evs[0].URL != "https://shop.example/fixed-url" || evs[0].Title != "Fixed title" || evs[0].Referrer != "" {
				t.Fatalf("rectified event %+v", evs[0])
			}
			wantJSON(t, "rectified attributes", evs[0].Attributes, `{"fixed":"yes"}`)
		}},
		{"UpdateSessionTexts", func(f *journeyFixture) error {
			s, err := f.e.GetSession(f.ctx, f.org.ID, f.session)
			if err != nil {
				return err
			}
			s.LandingURL, s.Referrer = "https://shop.example/fixed-landing", "https://fixed.example/"
			return f.e.UpdateSessionTexts(f.ctx, f.org.ID, []presage.Session{s})
		}, func(t *testing.T, f *journeyFixture) {
			s, err := f.e.GetSession(f.ctx, f.org.ID, f.session)
			if err != nil || s.LandingURL != "https://shop.example/fixed-landing" || s.Referrer != "https://fixed.example/" {
				t.Fatalf("rectified session %+v, %v", s, err)
			}
		}},
		{"PutTraits", func(f *journeyFixture) error {
			return f.e.PutTraits(f.ctx, f.org.ID, f.customerID, json.RawMessage(`{"email":"fixed@example.com"}`), at.Add(time.Hour))
		}, func(t *testing.T, f *journeyFixture) {
			c, err := f.e.GetCustomer(f.ctx, f.org.ID, f.customerID)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON(t, "rectified traits", c.Traits, `{"email":"fixed@example.com"}`)
			// The customer's own key seals them: shredding it drops them.
			if _, err := f.k.Shred(f.ctx, f.org.ID, []string{sealed.CustomerSubject(f.customerID)}); err != nil {
				t.Fatal(err)
			}
			if c, err = f.e.GetCustomer(f.ctx, f.org.ID, f.customerID); err != nil {
				t.Fatal(err)
			}
			wantJSON(t, "traits after shredding the customer", c.Traits, `{}`)
		}},
	}
	for _, b := range backends {
		for _, c := range cases {
			t.Run(b.name+"/"+c.name, func(t *testing.T) {
				f := newJourney(t, b)
				if err := c.write(f); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				for _, row := range f.rawRows(t) {
					for _, p := range []string{"fixed"} {
						if strings.Contains(row, p) {
							t.Errorf("raw row holds %q: %s", p, row)
						}
					}
				}
				c.check(t, f)
			})
		}
	}
}

func TestOrganizationSecretsWrapped(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newJourney(t, b)
			reads := map[string]func() (presage.Organization, error){
				"GetOrganization":       func() (presage.Organization, error) { return f.e.GetOrganization(f.ctx, f.org.ID) },
				"OrganizationByName":    func() (presage.Organization, error) { return f.e.OrganizationByName(f.ctx, f.org.Name) },
				"OrganizationBySiteKey": func() (presage.Organization, error) { return f.e.OrganizationBySiteKey(f.ctx, f.org.SiteKey) },
				"ListOrganizations": func() (presage.Organization, error) {
					orgs, err := f.e.ListOrganizations(f.ctx)
					if err != nil || len(orgs) != 1 {
						return presage.Organization{}, fmt.Errorf("%d organizations, %v", len(orgs), err)
					}
					return orgs[0], nil
				},
			}
			check := func(when string) {
				t.Helper()
				for name, read := range reads {
					org, err := read()
					if err != nil || string(org.IdentitySecret) != string(f.org.IdentitySecret) {
						t.Errorf("%s %s: secret %q, %v; want %q", when, name, org.IdentitySecret, err, f.org.IdentitySecret)
					}
				}
				stored := f.read(t, `SELECT identity_secret FROM organizations`)
				if len(stored) != 1 || !keys.IsWrapped([]byte(stored[0])) || strings.Contains(stored[0], string(f.org.IdentitySecret)) {
					t.Errorf("%s: stored identity secret %q, want it wrapped", when, stored)
				}
			}
			check("created")
			renamed := f.org
			renamed.Name, renamed.IdentitySecret = f.org.Name+" renamed", []byte("ignored")
			if err := f.e.UpdateOrganization(f.ctx, renamed); err != nil {
				t.Fatal(err)
			}
			f.org.Name = renamed.Name
			check("updated")

			priv := signingKey(t)
			k, err := f.e.CreateSigningKey(f.ctx, consentKey(f.org.ID, "kid-1", priv, at))
			if err != nil || !k.Private.Equal(priv) {
				t.Fatalf("create signing key: %v, returned the key %v", err, k.Private.Equal(priv))
			}
			other, err := f.e.CreateSigningKey(f.ctx, consentKey(f.org.ID, "kid-2", signingKey(t), at))
			if err != nil || other.KID != "kid-1" || !other.Private.Equal(priv) {
				t.Fatalf("second create: %s, %v; want the first key", other.KID, err)
			}
			if got, err := f.e.SigningKey(f.ctx, f.org.ID); err != nil || !got.Private.Equal(priv) {
				t.Fatalf("signing key: %v, same key %v", err, got.Private.Equal(priv))
			}
			stored := f.read(t, `SELECT private_key FROM consent_signing_keys`)
			if len(stored) != 1 || !keys.IsWrapped([]byte(stored[0])) || strings.Contains(stored[0], string(priv[:16])) {
				t.Fatalf("stored private key %q, want it wrapped", stored)
			}
		})
	}
}

func TestSealLegacySecrets(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			raw, read := b.open(t)
			k := newKeyring(t)
			e := sealed.Wrap(raw, k)
			ctx := context.Background()
			var orgs []presage.Organization
			for i := range 2 {
				org := presage.Organization{ID: presage.NewID("org"), Name: fmt.Sprintf("Legacy %d", i),
					SiteKey: "pk_" + presage.RandomToken(16), IdentitySecret: []byte("legacy-secret-" + presage.RandomToken(8)), CreatedAt: at}
				if err := raw.CreateOrganization(ctx, org); err != nil {
					t.Fatal(err)
				}
				orgs = append(orgs, org)
			}
			// Only the first has a signing key, in clear.
			priv := signingKey(t)
			if _, err := raw.CreateSigningKey(ctx, consentKey(orgs[0].ID, "kid-legacy", priv, at)); err != nil {
				t.Fatal(err)
			}
			readable := func(when string) {
				t.Helper()
				for _, org := range orgs {
					got, err := e.GetOrganization(ctx, org.ID)
					if err != nil || string(got.IdentitySecret) != string(org.IdentitySecret) {
						t.Fatalf("%s: secret of %s %q, %v", when, org.ID, got.IdentitySecret, err)
					}
				}
				if got, err := e.SigningKey(ctx, orgs[0].ID); err != nil || !got.Private.Equal(priv) {
					t.Fatalf("%s: signing key: %v", when, err)
				}
			}
			readable("in clear")
			for _, run := range []struct {
				name string
				e    store.Engine
				want int
			}{{"first run", raw, 3}, {"again", raw, 0}, {"through the decorator", e, 0}} {
				n, err := sealed.SealLegacySecrets(ctx, run.e, k)
				if err != nil || n != run.want {
					t.Fatalf("%s: sealed %d, %v; want %d", run.name, n, err, run.want)
				}
			}
			readable("sealed")
			for _, v := range append(read(t, `SELECT identity_secret FROM organizations`), read(t, `SELECT private_key FROM consent_signing_keys`)...) {
				if !keys.IsWrapped([]byte(v)) {
					t.Errorf("secret %q still in clear", v)
				}
			}
		})
	}
}

// TestRowsSealedPerColumnStillRead: rows written before bundles hold each
// text sealed on its own; they read as they were written, and read empty
// once their key is destroyed.
func TestRowsSealedPerColumnStillRead(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newJourney(t, b)
			const visitor, session = "v-per-column", "s-per-column"
			sealers, err := f.k.Sealers(f.ctx, f.org.ID, []string{visitor})
			if err != nil {
				t.Fatalf("sealers: %v", err)
			}
			s := sealers[visitor]
			w := collect.Write{OrgID: f.org.ID,
				Visitor: presage.Visitor{ID: visitor, FirstSeenAt: at, LastSeenAt: at},
				Session: presage.Session{ID: session, VisitorID: visitor, StartedAt: at, LastEventAt: at,
					LandingURL: s.Seal(landingURL), Referrer: s.Seal(referrer)},
				Events: []presage.Event{{OrgID: f.org.ID, ID: "e-per-column", SessionID: session, VisitorID: visitor,
					Type: presage.EventPageview, OccurredAt: at, ReceivedAt: at,
					URL: s.Seal(pageURL), Title: s.Seal(pageTitle), Referrer: s.Seal(referrer),
					Attributes: json.RawMessage(`"` + s.Seal(attrs) + `"`)}}}
			if _, err := f.raw.CommitWrites(f.ctx, []collect.Write{w}); err != nil {
				t.Fatalf("commit per-column write: %v", err)
			}
			sess, err := f.e.GetSession(f.ctx, f.org.ID, session)
			if err != nil || sess.LandingURL != landingURL || sess.Referrer != referrer {
				t.Fatalf("per-column session %+v, %v", sess, err)
			}
			evs, err := f.e.SessionEvents(f.ctx, f.org.ID, session)
			if err != nil || len(evs) != 1 {
				t.Fatalf("per-column events %+v, %v", evs, err)
			}
			if ev := evs[0]; ev.URL != pageURL || ev.Title != pageTitle || ev.Referrer != referrer {
				t.Errorf("per-column event %+v", ev)
			}
			wantJSON(t, "per-column attributes", evs[0].Attributes, attrs)

			if _, err := f.k.Shred(f.ctx, f.org.ID, []string{visitor}); err != nil {
				t.Fatalf("shred: %v", err)
			}
			if sess, err = f.e.GetSession(f.ctx, f.org.ID, session); err != nil || sess.LandingURL != "" || sess.Referrer != "" {
				t.Errorf("shredded per-column session %+v, %v", sess, err)
			}
			evs, err = f.e.SessionEvents(f.ctx, f.org.ID, session)
			if err != nil || len(evs) != 1 || evs[0].URL != "" || evs[0].Title != "" || evs[0].Referrer != "" || len(evs[0].Attributes) != 0 {
				t.Errorf("shredded per-column events %+v, %v", evs, err)
			}
		})
	}
}

// wrapped is store.Engine under a name that does not hide its Engine method.
type wrapped = store.Engine

// failingCommits fails the next CommitWrites calls it is told to.
type failingCommits struct {
	wrapped
	fail int
}

func (f *failingCommits) CommitWrites(ctx context.Context, writes []collect.Write) ([]collect.CommitResult, error) {
	if f.fail > 0 {
		f.fail--
		return nil, errors.New("injected commit failure")
	}
	return f.wrapped.CommitWrites(ctx, writes)
}

// TestPooledKeysAreRecordedWithTheValues: a new visitor's values are sealed
// with a pooled key, recorded in visitor_keys by the same commit, also when
// the first attempt fails and the committer retries; the key store never
// names the visitor, and the shredder finds the key by that record.
func TestPooledKeysAreRecordedWithTheValues(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			raw, read := b.open(t)
			k := newKeyring(t)
			failing := &failingCommits{wrapped: raw, fail: 1}
			e := sealed.Wrap(failing, k)
			org := presage.Organization{ID: presage.NewID("org"), Name: "Pool " + presage.RandomToken(4), SiteKey: "pk_" + presage.RandomToken(16),
				IdentitySecret: []byte("s"), CreatedAt: at}
			if err := e.CreateOrganization(ctx, org); err != nil {
				t.Fatal(err)
			}
			w := collect.Write{OrgID: org.ID,
				Visitor: presage.Visitor{ID: "v-pool", FirstSeenAt: at, LastSeenAt: at},
				Session: presage.Session{ID: "s-pool", VisitorID: "v-pool", StartedAt: at, LastEventAt: at, LandingURL: landingURL},
				Events: []presage.Event{{OrgID: org.ID, ID: "e-pool", SessionID: "s-pool", VisitorID: "v-pool",
					Type: presage.EventPageview, OccurredAt: at, ReceivedAt: at, URL: pageURL}}}
			if _, err := e.CommitWrites(ctx, []collect.Write{w}); err == nil {
				t.Fatal("the injected failure did not fail the commit")
			}
			if _, err := e.CommitWrites(ctx, []collect.Write{w}); err != nil {
				t.Fatalf("retried commit: %v", err)
			}
			if len(w.VisitorKeys) != 0 {
				t.Fatal("CommitWrites added key records to the caller's write")
			}
			recorded := read(t, `SELECT key_id FROM visitor_keys WHERE visitor_id = 'v-pool'`)
			attrs := read(t, `SELECT attributes FROM events WHERE id = 'e-pool'`)
			if len(recorded) != 1 || len(attrs) != 1 || !strings.HasPrefix(attrs[0], `"ps1:`+recorded[0]+":") {
				t.Fatalf("recorded keys %v, sealed attributes %v: want the event sealed with the one recorded key", recorded, attrs)
			}
			// Later writes of the visitor record nothing more; one sealed
			// ahead by PrepareWrite, as the committer does, commits as it is.
			w2 := w
			w2.Events = []presage.Event{w.Events[0]}
			w2.Events[0].ID = "e-pool-2"
			pw, err := e.(collect.Preparer).PrepareWrite(ctx, w2)
			if err != nil {
				t.Fatal(err)
			}
			if !pw.Prepared || pw.Events[0].URL != "" || w2.Events[0].URL != pageURL || len(pw.VisitorKeys) != 0 {
				t.Fatalf("prepared write %+v (from %+v): want it sealed, without a new record, and the caller's kept", pw, w2)
			}
			if _, err := e.CommitWrites(ctx, []collect.Write{pw}); err != nil {
				t.Fatal(err)
			}
			if evs, err := e.SessionEvents(ctx, org.ID, "s-pool"); err != nil || len(evs) != 2 || evs[1].URL != pageURL {
				t.Fatalf("events before shredding: %+v, %v", evs, err)
			}
			if got := read(t, `SELECT key_id FROM visitor_keys WHERE visitor_id = 'v-pool'`); len(got) != 1 {
				t.Fatalf("records after a second commit: %v", got)
			}
			n, err := sealed.NewShredder(e, k).Shred(ctx, org.ID, []string{"v-pool"})
			if err != nil || n != 1 {
				t.Fatalf("shred: %d, %v", n, err)
			}
			if got := read(t, `SELECT key_id FROM visitor_keys WHERE visitor_id = 'v-pool'`); len(got) != 0 {
				t.Fatalf("records after shredding: %v", got)
			}
			evs, err := e.SessionEvents(ctx, org.ID, "s-pool")
			if err != nil || len(evs) != 2 || evs[0].URL != "" {
				t.Fatalf("events after shredding: %+v, %v", evs, err)
			}
		})
	}
}
