package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
)

// Opener returns a fresh, migrated, empty engine that the test closes.
type Opener func(t *testing.T) store.Engine

// base is a fixed instant with sub-millisecond detail the stores drop.
var base = time.Date(2026, 11, 29, 10, 0, 0, 123_456_789, time.UTC)

type fixture struct {
	t   *testing.T
	ctx context.Context
	e   store.Engine
	org presage.Organization
}

func newFixture(t *testing.T, open Opener) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), e: open(t)}
	f.org = f.newOrg("Acme")
	return f
}

func (f *fixture) newOrg(name string) presage.Organization {
	f.t.Helper()
	org := presage.Organization{
		ID:             presage.NewID("org"),
		Name:           name,
		SiteKey:        "pk_" + presage.RandomToken(16),
		AllowedOrigins: []string{"https://shop.example"},
		IdentitySecret: []byte(presage.RandomToken(32)),
		CreatedAt:      presage.StoredTime(base),
	}
	if err := f.e.CreateOrganization(f.ctx, org); err != nil {
		f.t.Fatalf("create organization: %v", err)
	}
	return org
}

var enrichment = presage.Enrichment{Device: "desktop", Browser: "Firefox", OS: "Linux", ReferrerClass: "search",
	UTM: presage.UTM{Source: "news", Medium: "email", Campaign: "winter"}}

// ev returns a pageview at at.
func ev(id string, at time.Time) presage.Event {
	return presage.Event{
		ID: id, Type: presage.EventPageview, OccurredAt: at, ReceivedAt: at.Add(time.Second),
		URL: "https://shop.example/p/" + id, Title: "Product " + id, Referrer: "https://www.google.com/",
		Attributes: json.RawMessage(`{"price":23.5,"sku":"A-1","gift":false}`), Context: enrichment,
	}
}

// received returns w as the collector makes it for a batch the server
// received at: the session ends presage.DefaultSessionTimeout after.
func received(w collect.Write, at time.Time) collect.Write {
	w.Session.ReceivedAt, w.Session.EndsAt = at, at.Add(presage.DefaultSessionTimeout)
	for i := range w.Events {
		w.Events[i].ReceivedAt = at
	}
	return w
}

// write returns a write of events by visitor in session; its times span the events.
func write(orgID, visitorID, sessionID string, events ...presage.Event) collect.Write {
	first, last := events[0].OccurredAt, events[0].OccurredAt
	for _, e := range events {
		if e.OccurredAt.Before(first) {
			first = e.OccurredAt
		}
		if e.OccurredAt.After(last) {
			last = e.OccurredAt
		}
	}
	for i := range events {
		events[i].SessionID, events[i].VisitorID, events[i].OrgID = sessionID, visitorID, orgID
	}
	return collect.Write{
		OrgID:   orgID,
		Visitor: presage.Visitor{ID: visitorID, FirstSeenAt: first, LastSeenAt: last},
		Session: presage.Session{ID: sessionID, VisitorID: visitorID, StartedAt: first, LastEventAt: last,
			LandingURL: events[0].URL, Referrer: events[0].Referrer, Context: enrichment,
			IPPrefix: "203.0.113.0/24", TimeZone: "Europe/Paris", Language: "fr-FR"},
		Events: events,
	}
}

// identification links visitorID to the owner of the identifiers.
func identification(visitorID string, at time.Time, traits string, ids ...presage.Identifier) collect.Identification {
	return collect.Identification{VisitorID: visitorID, Identifiers: ids, Traits: json.RawMessage(traits),
		At: at, NewCustomerID: presage.NewID("cus")}
}

func email(s string) presage.Identifier { return presage.Identifier{Kind: "email", Hash: "h-" + s} }
func extID(s string) presage.Identifier {
	return presage.Identifier{Kind: "external_id", Hash: "h-" + s}
}

func (f *fixture) commit(writes ...collect.Write) []collect.CommitResult {
	f.t.Helper()
	out, err := f.e.CommitWrites(f.ctx, writes)
	if err != nil {
		f.t.Fatalf("commit writes: %v", err)
	}
	if len(out) != len(writes) {
		f.t.Fatalf("commit writes: %d outcomes for %d writes", len(out), len(writes))
	}
	return out
}

func (f *fixture) session(orgID, id string) presage.Session {
	f.t.Helper()
	s, err := f.e.GetSession(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("get session %s: %v", id, err)
	}
	return s
}

func (f *fixture) visitor(orgID, id string) presage.Visitor {
	f.t.Helper()
	v, err := f.e.GetVisitor(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("get visitor %s: %v", id, err)
	}
	return v
}

func (f *fixture) customer(orgID, id string) presage.Customer {
	f.t.Helper()
	c, err := f.e.GetCustomer(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("get customer %s: %v", id, err)
	}
	return c
}

// events lists every event of a session.
func (f *fixture) events(orgID, sessionID string) []presage.Event {
	f.t.Helper()
	items, more, err := f.e.ListEvents(f.ctx, orgID, sessionID, presage.Page{Limit: 1000})
	if err != nil || more {
		f.t.Fatalf("list events: %v (more %v)", err, more)
	}
	return items
}

func wantCode(t *testing.T, what string, err error, code presage.Code) {
	t.Helper()
	if presage.ErrorCode(err) != code {
		t.Fatalf("%s: got error %v (code %q), want code %q", what, err, presage.ErrorCode(err), code)
	}
}

func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %s is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: want %s is not JSON: %v", what, want, err)
	}
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func jsonHasKey(t *testing.T, obj []byte, key string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatalf("%s is not a JSON object: %v", obj, err)
	}
	if _, ok := m[key]; !ok {
		t.Fatalf("%s lacks key %q", obj, key)
	}
}
