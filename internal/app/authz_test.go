package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/tenant"
)

// The tests in this file show, service by service, that every method serving
// a caller checks the caller itself: it refuses a context without a
// principal, a principal of the right organization without the needed scope,
// and a principal of another organization (which finds nothing of this
// one). Each also fails when a service gains an exported method that is
// neither checked here nor listed as wiring, so no new route can forget.

// authzCase is one caller-facing method of a service.
type authzCase struct {
	method string
	// need is the scope the method requires; "" when any key will do (or
	// with operator or site set).
	need     presage.Scope
	operator bool // only the operator principal may call it
	site     bool // a site (presage.WithSite) calls it, not a principal
	// call invokes the method for the fixture's organization A.
	call func(ctx context.Context) error
	// foreign, when set, reports whether a call under organization B's
	// all-scope principal reached A's data (it must not).
	foreign func(ctx context.Context) (leaked bool, err error)
}

// authzFixture is two organizations on one SQLite node; A has a journey
// with a customer, an outcome and a consent decision.
type authzFixture struct {
	app       *App
	a, b      presage.Organization
	customer  string
	visitor   string
	session   string
	outcomeID string
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, Config{DataDir: filepath.Join(t.TempDir(), "data"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	f := &authzFixture{app: a, visitor: "visitor-authz-1", session: "session-authz-1"}
	op := presage.AsOperator(ctx, "")
	if f.a, err = a.Tenants.CreateOrganization(op, "Authz A", []string{"https://a.example"}); err != nil {
		t.Fatal(err)
	}
	if f.b, err = a.Tenants.CreateOrganization(op, "Authz B", []string{"https://b.example"}); err != nil {
		t.Fatal(err)
	}
	opA := presage.AsOperator(ctx, f.a.ID)
	for _, org := range []presage.Organization{f.a, f.b} {
		if _, err := a.Consents.SetPurposes(presage.AsOperator(ctx, org.ID), consent.PurposesInput{Purposes: []consent.PurposeInput{{Name: consent.PurposeAnalytics,
			Basis: consent.BasisLegitimateInterest, Description: "Understanding how the shop is used."}}}); err != nil {
			t.Fatal(err)
		}
	}
	o, err := a.Outcomes.Create(opA, outcome.Definition{Name: "purchase", Direction: presage.Maximize,
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "order_placed"}})
	if err != nil {
		t.Fatal(err)
	}
	f.outcomeID = o.ID
	now := time.Now().Add(-time.Minute)
	body, _ := json.Marshal(map[string]any{"visitorId": f.visitor, "sessionId": f.session, "sentAt": now.UnixMilli(),
		"events": []map[string]any{
			{"id": "evt-authz-1", "type": "pageview", "ts": now.UnixMilli(), "url": "https://a.example/"},
			{"id": "evt-authz-2", "type": "identify", "ts": now.Add(time.Millisecond).UnixMilli(),
				"traits": map[string]any{"email": "ada@example.com"}},
			{"id": "evt-authz-3", "type": "custom", "name": "order_placed", "ts": now.Add(2 * time.Millisecond).UnixMilli()},
		}})
	if _, err := a.Collector.CollectFromServer(opA, collect.ServerInput{Body: body}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Consents.RecordDecision(opA, consent.DecisionInput{VisitorID: f.visitor,
		Action: consent.ActionGrant, Purposes: []string{consent.PurposeMarketing}, Method: consent.MethodAPI, NoticeVersion: 1}); err != nil {
		t.Fatal(err)
	}
	cs, err := a.Journeys.Customers(opA, 10, "")
	if err != nil || len(cs.Items) != 1 {
		t.Fatalf("customers of A: %v %v", cs, err)
	}
	f.customer = cs.Items[0].ID
	return f
}

// principal is a caller of org holding scopes.
func principal(org presage.Organization, scopes ...presage.Scope) context.Context {
	return presage.WithPrincipal(context.Background(), presage.Principal{OrgID: org.ID, KeyID: "key_authz", Scopes: scopes})
}

// checkAuthz runs every case, then checks that cases and wiring together
// name every exported method of svc.
func checkAuthz(t *testing.T, f *authzFixture, svc any, cases []authzCase, wiring map[string]string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			if code := presage.ErrorCode(tc.call(context.Background())); code != presage.CodeUnauthorized {
				t.Errorf("without a caller: code %q, want unauthorized", code)
			}
			switch {
			case tc.site:
				if err := tc.call(principal(f.a, presage.AllScopes...)); presage.ErrorCode(err) != presage.CodeUnauthorized {
					t.Errorf("an API key in place of a site: %v", err)
				}
				if err := tc.call(presage.WithSite(context.Background(), f.a)); err != nil {
					t.Errorf("the site of A: %v", err)
				}
			case tc.operator:
				if err := tc.call(principal(f.a, presage.AllScopes...)); presage.ErrorCode(err) != presage.CodeForbidden {
					t.Errorf("an all-scope key in place of the operator: %v", err)
				}
				if err := tc.call(presage.AsOperator(context.Background(), "")); err != nil {
					t.Errorf("the operator: %v", err)
				}
			default:
				if tc.need != "" {
					others := slices.DeleteFunc(slices.Clone(presage.AllScopes), func(s presage.Scope) bool { return s == tc.need })
					if len(others) == len(presage.AllScopes) {
						t.Fatalf("unknown scope %q", tc.need)
					}
					if err := tc.call(principal(f.a, others...)); presage.ErrorCode(err) != presage.CodeForbidden {
						t.Errorf("every scope but %q: %v", tc.need, err)
					}
				}
				if err := tc.call(principal(f.a, tc.need)); err != nil {
					t.Errorf("a key with scope %q: %v", tc.need, err)
				}
			}
			if tc.foreign != nil {
				leaked, err := tc.foreign(principal(f.b, presage.AllScopes...))
				if leaked {
					t.Errorf("a caller of another organization reached A's data (err %v)", err)
				}
			}
		})
	}
	var missing []string
	typ := reflect.TypeOf(svc)
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if _, ok := wiring[name]; ok {
			continue
		}
		if !slices.ContainsFunc(cases, func(c authzCase) bool { return c.method == name }) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: methods neither authorization-tested nor listed as wiring: %v", typ, missing)
	}
}

// notFound is a foreign check for methods addressed by id.
func notFound(call func(ctx context.Context) error) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		err := call(ctx)
		return !presage.IsNotFound(err), err
	}
}

// nonEmpty is a foreign check for listings: another organization's caller
// must see none of A's items.
func nonEmpty[T any](call func(ctx context.Context) ([]T, error)) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		items, err := call(ctx)
		return len(items) > 0, err
	}
}

func ignore[T any](_ T, err error) error { return err }

func ignore2[T, U any](_ T, _ U, err error) error { return err }

func TestJourneyAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	j := f.app.Journeys
	customer := func(ctx context.Context) error { return ignore(j.Customer(ctx, f.customer)) }
	visitor := func(ctx context.Context) error { return ignore(j.Visitor(ctx, f.visitor)) }
	session := func(ctx context.Context) error { return ignore(j.Session(ctx, f.session)) }
	events := func(ctx context.Context) error { return ignore(j.Events(ctx, f.session, 10, "")) }
	checkAuthz(t, f, j, []authzCase{
		{method: "Customer", need: presage.ScopeRead, call: customer, foreign: notFound(customer)},
		{method: "Customers", need: presage.ScopeRead,
			call: func(ctx context.Context) error { return ignore(j.Customers(ctx, 10, "")) },
			foreign: nonEmpty(func(ctx context.Context) ([]presage.Customer, error) {
				l, err := j.Customers(ctx, 10, "")
				return l.Items, err
			})},
		{method: "Visitor", need: presage.ScopeRead, call: visitor, foreign: notFound(visitor)},
		{method: "Visitors", need: presage.ScopeRead,
			call: func(ctx context.Context) error { return ignore(j.Visitors(ctx, journey.VisitorFilter{}, 10, "")) },
			foreign: nonEmpty(func(ctx context.Context) ([]presage.Visitor, error) {
				l, err := j.Visitors(ctx, journey.VisitorFilter{}, 10, "")
				return l.Items, err
			})},
		{method: "Session", need: presage.ScopeRead, call: session, foreign: notFound(session)},
		{method: "Sessions", need: presage.ScopeRead,
			call: func(ctx context.Context) error { return ignore(j.Sessions(ctx, journey.SessionFilter{}, 10, "")) },
			foreign: nonEmpty(func(ctx context.Context) ([]presage.Session, error) {
				l, err := j.Sessions(ctx, journey.SessionFilter{}, 10, "")
				return l.Items, err
			})},
		{method: "Events", need: presage.ScopeRead, call: events, foreign: notFound(events)},
	}, nil)
}

func TestOutcomeAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	o := f.app.Outcomes
	def := outcome.Definition{Name: "signup", Direction: presage.Maximize,
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "signed_up"}}
	n := 0
	get := func(ctx context.Context) error { return ignore(o.Get(ctx, f.outcomeID)) }
	update := func(ctx context.Context) error {
		return ignore(o.Update(ctx, f.outcomeID, outcome.Definition{Name: "purchase", Direction: presage.Maximize,
			Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "order_placed"}}))
	}
	checkAuthz(t, f, o, []authzCase{
		{method: "Create", need: presage.ScopeAdmin, call: func(ctx context.Context) error {
			n++
			d := def
			d.Name = fmt.Sprintf("signup %d", n)
			return ignore(o.Create(ctx, d))
		}},
		{method: "Update", need: presage.ScopeAdmin, call: update, foreign: notFound(update)},
		{method: "Get", need: presage.ScopeRead, call: get, foreign: notFound(get)},
		{method: "List", need: presage.ScopeRead, call: func(ctx context.Context) error { return ignore(o.List(ctx)) },
			foreign: nonEmpty(o.List)},
		{method: "Delete", need: presage.ScopeAdmin, call: func(ctx context.Context) error {
			// Each successful call deletes a fresh outcome of A.
			op := presage.AsOperator(context.Background(), f.a.ID)
			n++
			d := def
			d.Name = fmt.Sprintf("doomed %d", n)
			created, err := o.Create(op, d)
			if err != nil {
				return err
			}
			return o.Delete(ctx, created.ID)
		}, foreign: notFound(func(ctx context.Context) error { return o.Delete(ctx, f.outcomeID) })},
		{method: "ListAchievements", need: presage.ScopeRead,
			call: func(ctx context.Context) error {
				return ignore(o.ListAchievements(ctx, outcome.AchievementFilter{}, 10, ""))
			},
			foreign: nonEmpty(func(ctx context.Context) ([]presage.Achievement, error) {
				l, err := o.ListAchievements(ctx, outcome.AchievementFilter{}, 10, "")
				return l.Items, err
			})},
	}, nil)
}

// The predict Scorer and Trainer serve no caller: they are wired into the
// collector and the node's jobs, and take organizations from stored data.
func TestPredictAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	p := f.app.Predictions
	preds := func(ctx context.Context) error { return ignore(p.SessionPredictions(ctx, f.session)) }
	model := func(ctx context.Context) error { return ignore(p.Model(ctx, f.outcomeID)) }
	checkAuthz(t, f, p, []authzCase{
		{method: "SessionPredictions", need: presage.ScopeRead, call: preds, foreign: notFound(preds)},
		{method: "Model", need: presage.ScopeRead, call: model, foreign: notFound(model)},
	}, nil)
}

func TestTenantAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	ts := f.app.Tenants
	name := "Authz A"
	n := 0
	checkAuthz(t, f, ts, []authzCase{
		{method: "CreateOrganization", operator: true, call: func(ctx context.Context) error {
			n++
			return ignore(ts.CreateOrganization(ctx, fmt.Sprintf("Authz new %d", n), nil))
		}},
		{method: "FindOrganization", operator: true,
			call: func(ctx context.Context) error { return ignore(ts.FindOrganization(ctx, f.a.ID)) }},
		{method: "ListOrganizations", operator: true,
			call: func(ctx context.Context) error { return ignore(ts.ListOrganizations(ctx)) }},
		{method: "EnsureDemo", operator: true,
			call: func(ctx context.Context) error { return ignore(ts.EnsureDemo(ctx, []string{"http://127.0.0.1:1"})) }},
		// Any valid key reads its own organization: the check is that there
		// is a caller, and that the caller gets its own.
		{method: "Organization", call: func(ctx context.Context) error {
			return ignore(ts.Organization(ctx))
		}, foreign: func(ctx context.Context) (bool, error) {
			org, err := ts.Organization(ctx)
			return org.ID == f.a.ID, err
		}},
		{method: "UpdateOrganization", need: presage.ScopeAdmin, call: func(ctx context.Context) error {
			return ignore(ts.UpdateOrganization(ctx, tenant.OrganizationPatch{Name: &name}))
		}},
		{method: "CreateKey", need: presage.ScopeAdmin, call: func(ctx context.Context) error {
			return ignore2(ts.CreateKey(ctx, "authz", []presage.Scope{presage.ScopeRead}))
		}, foreign: func(ctx context.Context) (bool, error) {
			key, _, err := ts.CreateKey(ctx, "authz", []presage.Scope{presage.ScopeRead})
			return key.OrgID == f.a.ID, err
		}},
		{method: "ListKeys", need: presage.ScopeAdmin, call: func(ctx context.Context) error { return ignore(ts.ListKeys(ctx)) },
			foreign: func(ctx context.Context) (bool, error) {
				keys, err := ts.ListKeys(ctx)
				return slices.ContainsFunc(keys, func(k presage.APIKey) bool { return k.OrgID == f.a.ID }), err
			}},
		{method: "RevokeKey", need: presage.ScopeAdmin, call: func(ctx context.Context) error {
			key, _, err := ts.CreateKey(presage.AsOperator(context.Background(), f.a.ID), "doomed", []presage.Scope{presage.ScopeRead})
			if err != nil {
				return err
			}
			return ts.RevokeKey(ctx, key.ID)
		}, foreign: func(ctx context.Context) (bool, error) {
			key, _, err := ts.CreateKey(presage.AsOperator(context.Background(), f.a.ID), "kept", []presage.Scope{presage.ScopeRead})
			if err != nil {
				return true, err
			}
			err = ts.RevokeKey(ctx, key.ID)
			return !presage.IsNotFound(err), err
		}},
	}, map[string]string{
		"Authenticate":       "turns a secret key into a principal",
		"AuthenticateSite":   "turns a site key and Origin into a site",
		"PublicOrganization": "public lookup for the receipt-signing keys",
	})
	// A key of any single scope reads its organization.
	for _, sc := range presage.AllScopes {
		if _, err := ts.Organization(principal(f.a, sc)); err != nil {
			t.Errorf("Organization with scope %q: %v", sc, err)
		}
	}
}

func TestConsentAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	c := f.app.Consents
	basis := consent.PurposesInput{Purposes: []consent.PurposeInput{{Name: consent.PurposeAnalytics, Basis: consent.BasisLegitimateInterest,
		Description: "Understanding how the shop is used."}}}
	history := func(ctx context.Context) error { return ignore(c.History(ctx, f.visitor)) }
	checkAuthz(t, f, c, []authzCase{
		{method: "Purposes", need: presage.ScopeRead, call: func(ctx context.Context) error { return ignore(c.Purposes(ctx)) }},
		{method: "SetPurposes", need: presage.ScopeAdmin, call: func(ctx context.Context) error { return ignore(c.SetPurposes(ctx, basis)) }},
		{method: "Settings", need: presage.ScopeRead, call: func(ctx context.Context) error { return ignore(c.Settings(ctx)) }},
		{method: "UpdateSettings", need: presage.ScopeAdmin,
			call: func(ctx context.Context) error { return ignore(c.UpdateSettings(ctx, consent.SettingsPatch{})) }},
		{method: "PublishNotice", need: presage.ScopeAdmin, call: func(ctx context.Context) error {
			return ignore(c.PublishNotice(ctx, consent.NoticeInput{Language: "en", Title: "Privacy",
				Texts: map[string]string{consent.PurposeAnalytics: "We learn how the shop is used.",
					consent.PurposeSupport: "We offer help.", consent.PurposeSales: "We offer deals.",
					consent.PurposeMarketing: "We send news."}}))
		}},
		{method: "Notices", need: presage.ScopeRead, call: func(ctx context.Context) error { return ignore(c.Notices(ctx)) }},
		{method: "Notice", need: presage.ScopeRead, call: func(ctx context.Context) error { return ignore(c.Notice(ctx, 1)) }},
		{method: "History", need: presage.ScopeGDPR, call: history, foreign: func(ctx context.Context) (bool, error) {
			h, err := c.History(ctx, f.visitor)
			return err == nil && len(h.Records) > 0, err
		}},
		{method: "RecordDecision", need: presage.ScopeGDPR, call: func(ctx context.Context) error {
			return ignore2(c.RecordDecision(ctx, consent.DecisionInput{VisitorID: f.visitor,
				Action: consent.ActionGrant, Purposes: []string{consent.PurposeSales}, Method: consent.MethodAPI, NoticeVersion: 1}))
		}},
		{method: "Verify", need: presage.ScopeAdmin, call: func(ctx context.Context) error { return ignore(c.Verify(ctx)) }},
		{method: "Decide", site: true, call: func(ctx context.Context) error {
			return ignore2(c.Decide(ctx, consent.DecisionInput{VisitorID: f.visitor, Action: consent.ActionGrant,
				Purposes: []string{consent.PurposeSupport}, NoticeVersion: 1}))
		}},
		{method: "View", site: true, call: func(ctx context.Context) error { return ignore(c.View(ctx, f.visitor, "en")) }},
		{method: "Receipt", site: true, call: func(ctx context.Context) error { return ignore(c.Receipt(ctx, f.visitor)) }},
	}, map[string]string{
		"TrackingAllowed":     "the collector's gate",
		"TrackingAllowedMany": "the gate for many visitors",
		"EngagementAllowed":   "the engagement gate",
		"Signal":              "the collector's gate records browser signals",
		"EnsureDefaults":      "start-up and organization creation",
		"ExpireDue":           "the node's expiry job",
		"RunExpiry":           "the node's expiry job",
		"JWKS":                "public receipt-signing keys",
	})
	// A site of another organization sees nothing of A's visitor.
	v, err := c.View(presage.WithSite(context.Background(), f.b), f.visitor, "en")
	if err != nil || slices.ContainsFunc(v.Purposes, func(p consent.PurposeView) bool { return p.State != nil }) {
		t.Errorf("the site of B read A's visitor: %+v %v", v, err)
	}
	if _, err := c.Receipt(presage.WithSite(context.Background(), f.b), f.visitor); !presage.IsNotFound(err) {
		t.Errorf("the site of B got a receipt for A's visitor: %v", err)
	}
}

func TestCollectAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	now := time.Now()
	body := func(id string) []byte {
		b, _ := json.Marshal(map[string]any{"visitorId": f.visitor, "sessionId": f.session, "sentAt": now.UnixMilli(),
			"events": []map[string]any{{"id": id, "type": "pageview", "ts": now.UnixMilli(), "url": "https://a.example/x"}}})
		return b
	}
	n := 0
	checkAuthz(t, f, f.app.Collector, []authzCase{
		{method: "CollectFromServer", need: presage.ScopeWrite, call: func(ctx context.Context) error {
			n++
			return ignore(f.app.Collector.CollectFromServer(ctx, collect.ServerInput{Body: body(fmt.Sprintf("evt-authz-w%d", n))}))
		}},
	}, map[string]string{
		"CollectFromSite": "authenticates the site key and Origin of its body itself (tested in httpapi and app)",
		"Reject":          "counts a request the transport refused",
	})
	// B's writer stores into B, never into A's session.
	if _, err := f.app.Collector.CollectFromServer(principal(f.b, presage.ScopeWrite),
		collect.ServerInput{Body: body("evt-authz-b1")}); err != nil {
		t.Fatal(err)
	}
	evs, err := f.app.Journeys.Events(principal(f.a, presage.ScopeRead), f.session, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs.Items {
		if e.ID == "evt-authz-b1" {
			t.Error("a write of B landed in A's session")
		}
	}
}

func TestPrivacyAuthorization(t *testing.T) {
	f := newAuthzFixture(t)
	p := f.app.Privacy
	op := presage.AsOperator(context.Background(), f.a.ID)
	subject := []privacy.Term{{Type: privacy.SearchCustomerID, Value: f.customer}}
	export, err := p.CreateRequest(op, privacy.RequestInput{Type: privacy.RequestExport, Terms: subject})
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, err := p.Request(op, export.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Terminal() {
			break
		}
		if _, err := p.Work(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	request := func(ctx context.Context) error { return ignore(p.Request(ctx, export.ID)) }
	trail := func(ctx context.Context) error { return ignore(p.RequestAudit(ctx, export.ID)) }
	bundle := func(ctx context.Context) error { return ignore(p.ExportBundle(ctx, export.ID)) }
	hours := 0
	extend := func(ctx context.Context) error {
		hours++
		return ignore(p.Extend(ctx, export.ID, export.DueAt.Add(time.Duration(hours)*time.Hour), "authz"))
	}
	checkAuthz(t, f, p, []authzCase{
		{method: "Search", need: presage.ScopeGDPR,
			call: func(ctx context.Context) error {
				return ignore(p.Search(ctx, privacy.Term{Type: privacy.SearchVisitorID, Value: f.visitor}))
			},
			foreign: nonEmpty(func(ctx context.Context) ([]privacy.Match, error) {
				return p.Search(ctx, privacy.Term{Type: privacy.SearchVisitorID, Value: f.visitor})
			})},
		{method: "CreateRequest", need: presage.ScopeGDPR, call: func(ctx context.Context) error {
			return ignore(p.CreateRequest(ctx, privacy.RequestInput{Type: privacy.RequestExport, Terms: subject}))
		}},
		{method: "Request", need: presage.ScopeGDPR, call: request, foreign: notFound(request)},
		{method: "RequestAudit", need: presage.ScopeGDPR, call: trail, foreign: notFound(trail)},
		{method: "Requests", need: presage.ScopeGDPR,
			call: func(ctx context.Context) error { return ignore2(p.Requests(ctx, 10, 1)) },
			foreign: nonEmpty(func(ctx context.Context) ([]privacy.Request, error) {
				rs, _, err := p.Requests(ctx, 10, 1)
				return rs, err
			})},
		// Completed requests cannot be extended: the export is done, so the
		// case shows the refusals only up to the state check.
		{method: "ExportBundle", need: presage.ScopeGDPR, call: bundle, foreign: notFound(bundle)},
		{method: "Settings", need: presage.ScopeGDPR, call: func(ctx context.Context) error { return ignore(p.Settings(ctx)) }},
		{method: "SetRetention", need: presage.ScopeGDPR, call: func(ctx context.Context) error {
			return ignore(p.SetRetention(ctx, privacy.DefaultRetention))
		}},
	}, map[string]string{
		"Extend":       "checked below: a completed request refuses it after authorization",
		"Audit":        "checked below: the gdpr or the admin scope reads it",
		"ExportPath":   "builds a URL for a request the caller already read",
		"SignedExport": "a signed URL is the credential (internal/privacy tests forged and expired links)",
		"Work":         "the node's job runner, no caller",
		"Run":          "the node's job runner, no caller",
		"Purge":        "the node's retention job, no caller",
	})
	t.Run("Extend", func(t *testing.T) {
		if code := presage.ErrorCode(extend(context.Background())); code != presage.CodeUnauthorized {
			t.Errorf("without a caller: %q", code)
		}
		if code := presage.ErrorCode(extend(principal(f.a, presage.ScopeRead, presage.ScopeAdmin, presage.ScopeWrite))); code != presage.CodeForbidden {
			t.Errorf("without gdpr: %q", code)
		}
		if code := presage.ErrorCode(extend(principal(f.b, presage.AllScopes...))); code != presage.CodeNotFound {
			t.Errorf("another organization: %q", code)
		}
		if code := presage.ErrorCode(extend(principal(f.a, presage.ScopeGDPR))); code != presage.CodeConflict {
			t.Errorf("a completed request: %q, want conflict", code)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		audit := func(ctx context.Context) ([]privacy.AuditEntry, error) { return p.Audit(ctx, 0, 100) }
		if code := presage.ErrorCode(ignore(audit(context.Background()))); code != presage.CodeUnauthorized {
			t.Errorf("without a caller: %q", code)
		}
		if code := presage.ErrorCode(ignore(audit(principal(f.a, presage.ScopeRead, presage.ScopeWrite)))); code != presage.CodeForbidden {
			t.Errorf("without gdpr or admin: %q", code)
		}
		for _, sc := range []presage.Scope{presage.ScopeGDPR, presage.ScopeAdmin} {
			if es, err := audit(principal(f.a, sc)); err != nil || len(es) == 0 {
				t.Errorf("scope %s: %d entries, %v", sc, len(es), err)
			}
		}
		es, _ := audit(principal(f.b, presage.AllScopes...))
		for _, e := range es {
			if e.OrgID != f.b.ID {
				t.Errorf("another organization read A's audit log: %+v", e)
			}
		}
	})
}
