package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/tenant"
)

// fakeOrgs answers as tenant.Service does, with the same origin check.
type fakeOrgs struct{ orgs []presage.Organization }

func (f fakeOrgs) AuthenticateSite(_ context.Context, key, origin string, requireOrigin bool) (presage.Organization, error) {
	for _, o := range f.orgs {
		if o.SiteKey != key && o.ID != key {
			continue
		}
		if (origin != "" || requireOrigin) && !tenant.CheckOrigin(o, origin) {
			return presage.Organization{}, presage.Errorf(presage.CodeForbidden, "this origin is not allowed for this site key")
		}
		return o, nil
	}
	return presage.Organization{}, presage.Errorf(presage.CodeUnauthorized, "unknown site key")
}

func (f fakeOrgs) Organization(ctx context.Context) (presage.Organization, error) {
	p, _ := presage.PrincipalFrom(ctx)
	for _, o := range f.orgs {
		if o.ID == p.OrgID {
			return o, nil
		}
	}
	return presage.Organization{}, presage.ErrNotFound
}

// writer is a server-side caller of orgID holding the write scope.
func writer(orgID string) context.Context {
	return presage.WithPrincipal(context.Background(),
		presage.Principal{OrgID: orgID, KeyID: "key_test", Scopes: []presage.Scope{presage.ScopeWrite}})
}

var testOrg = presage.Organization{ID: "org_shop", SiteKey: "pk_test", AllowedOrigins: []string{"https://shop.example"},
	IdentitySecret: []byte("secret")}

const chromeLinux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

type serviceFixture struct {
	svc     *Service
	store   *fakeStore
	reg     *prometheus.Registry
	nextIDs int
}

func newServiceFixture(t *testing.T) *serviceFixture {
	f := &serviceFixture{store: &fakeStore{}, reg: prometheus.NewRegistry()}
	m := NewMetrics(f.reg)
	c := NewCommitter(f.store, CommitterOptions{Metrics: m})
	t.Cleanup(func() { closeCommitter(t, c) })
	f.svc = NewService(fakeOrgs{[]presage.Organization{testOrg}}, c, ServiceOptions{
		Now:     func() time.Time { return testReceivedAt },
		NewID:   func(prefix string) string { f.nextIDs++; return fmt.Sprintf("%s_%d", prefix, f.nextIDs) },
		Metrics: m,
	})
	return f
}

// metric returns the value of a counter (with an optional reason label).
func (f *serviceFixture) metric(t *testing.T, name, reason string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if reason == "" || len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == reason {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

func TestCollectFromSiteBuildsTheWrite(t *testing.T) {
	f := newServiceFixture(t)
	b := batch()
	ev(b, 1)["referrer"] = "https://t.co/x"
	ev(b, 2)["traits"].(map[string]any)["customerId"] = "C-42"
	raw := netip.MustParseAddr("203.0.113.77")
	out, err := f.svc.CollectFromSite(context.Background(), SiteInput{Body: encode(t, b), Origin: "https://shop.example",
		UserAgent: chromeLinux, IP: raw})
	if err != nil || out != (CommitResult{Stored: 3}) {
		t.Fatalf("CollectFromSite = %+v, %v", out, err)
	}
	calls := f.store.snapshot()
	if len(calls) != 1 || len(calls[0]) != 1 {
		t.Fatalf("store calls = %v", sizes(calls))
	}
	w := calls[0][0]
	t0 := time.UnixMilli(testSentAt - 300 + 2000).UTC()
	t2 := time.UnixMilli(testSentAt - 100 + 2000).UTC()
	if w.OrgID != "org_shop" || w.Visitor != (presage.Visitor{OrgID: "org_shop", ID: "visitor-0001", FirstSeenAt: t0, LastSeenAt: t2}) {
		t.Errorf("visitor = %+v", w.Visitor)
	}
	wantCtx := presage.Enrichment{Device: "desktop", Browser: "Chrome", OS: "Linux", ReferrerClass: "search", UTM: presage.UTM{Source: "news"}}
	wantSession := presage.Session{OrgID: "org_shop", ID: "session-0001", VisitorID: "visitor-0001", StartedAt: t0, LastEventAt: t2,
		LandingURL: "https://shop.example/?utm_source=news", Referrer: "https://www.google.com/", Context: wantCtx,
		IPPrefix: "203.0.113.0/24", TimeZone: "Europe/Paris", Language: "fr-FR",
		ReceivedAt: time.UnixMilli(testSentAt + 2000).UTC(), EndsAt: time.UnixMilli(testSentAt + 2000).UTC().Add(presage.DefaultSessionTimeout)}
	if w.Session != wantSession {
		t.Errorf("session = %+v\nwant      %+v", w.Session, wantSession)
	}
	if len(w.Events) != 3 {
		t.Fatalf("events = %+v", w.Events)
	}
	e := w.Events[1]
	if e.OrgID != "org_shop" || e.ID != "event-0001" || e.SessionID != "session-0001" || e.VisitorID != "visitor-0001" ||
		e.Type != presage.EventCustom || e.Name != "product_added" || !e.ReceivedAt.Equal(testReceivedAt) ||
		string(e.Attributes) != `{"price":23.5,"sku":"A-1"}` || e.Context.ReferrerClass != "social" || e.Context.Browser != "Chrome" {
		t.Errorf("event 1 = %+v", e)
	}
	if string(w.Events[0].Attributes) != "{}" || string(w.Events[2].Attributes) != "{}" {
		t.Errorf("events without attributes carry %s, %s", w.Events[0].Attributes, w.Events[2].Attributes)
	}
	if len(w.Identifications) != 1 {
		t.Fatalf("identifications = %+v", w.Identifications)
	}
	id := w.Identifications[0]
	wantIDs := Identifiers(testOrg.IdentitySecret, testOrg.PhoneRegion, IdentityTraits{CustomerID: "C-42", Email: "ada@example.com"})
	if id.VisitorID != "visitor-0001" || !id.At.Equal(t2) || id.NewCustomerID != "cus_1" ||
		fmt.Sprint(id.Identifiers) != fmt.Sprint(wantIDs) || wantIDs[0].Kind != "external_id" {
		t.Errorf("identification = %+v", id)
	}
	if wantLookups := Lookups(testOrg.IdentitySecret, testOrg.PhoneRegion, id.Traits); len(wantLookups) == 0 ||
		fmt.Sprint(id.Lookups) != fmt.Sprint(wantLookups) {
		t.Errorf("lookups = %+v, want %+v", id.Lookups, wantLookups)
	}
	var traits map[string]any
	if err := json.Unmarshal(id.Traits, &traits); err != nil || traits["email"] != "ada@example.com" || traits["givenName"] != "Ada" {
		t.Errorf("traits = %s", id.Traits)
	}
	// The raw address is nowhere in what is stored.
	if dump := fmt.Sprintf("%+v", w); strings.Contains(dump, raw.String()) {
		t.Error("the write holds the raw IP address")
	}
	if got := f.metric(t, "presage_events_accepted_total", ""); got != 3 {
		t.Errorf("accepted = %v", got)
	}
	if got := f.metric(t, "presage_commit_events", ""); got != 1 {
		t.Errorf("commit_events samples = %v", got)
	}

	// A retry stores nothing twice (the store dedupes) and counts duplicates.
	out, err = f.svc.CollectFromSite(context.Background(), SiteInput{Body: encode(t, b), Origin: "https://shop.example", IP: raw})
	if err != nil || out != (CommitResult{Duplicates: 3}) {
		t.Errorf("retry = %+v, %v", out, err)
	}
	if got := f.metric(t, "presage_events_duplicate_total", ""); got != 3 {
		t.Errorf("duplicates = %v", got)
	}
}

func TestCollectFromSiteRejects(t *testing.T) {
	good := func() map[string]any { return batch() }
	unknown := good()
	unknown["siteKey"] = "pk_unknown"
	byOrgID := good()
	byOrgID["siteKey"] = "org_shop"
	tests := []struct {
		name   string
		body   map[string]any
		raw    []byte
		origin string
		code   presage.Code
	}{
		{"invalid batch", nil, []byte(`{"siteKey":"pk_test"}`), "https://shop.example", presage.CodeInvalid},
		{"too large", nil, make([]byte, MaxBodyBytes+1), "https://shop.example", presage.CodeTooLarge},
		{"unknown site key", unknown, nil, "https://shop.example", presage.CodeUnauthorized},
		{"origin not allowed", good(), nil, "https://evil.example", presage.CodeForbidden},
		{"no origin", good(), nil, "", presage.CodeForbidden},
		{"organization id as site key", byOrgID, nil, "https://shop.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newServiceFixture(t)
			body := tt.raw
			if tt.body != nil {
				body = encode(t, tt.body)
			}
			_, err := f.svc.CollectFromSite(context.Background(), SiteInput{Body: body, Origin: tt.origin})
			if got := presage.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if tt.code == "" {
				return
			}
			if n := len(f.store.snapshot()); n != 0 {
				t.Errorf("a rejected batch reached the store (%d calls)", n)
			}
			if got := f.metric(t, "presage_events_rejected_total", string(tt.code)); got != 1 {
				t.Errorf("rejected{reason=%s} = %v", tt.code, got)
			}
		})
	}
}

func TestCollectFromServer(t *testing.T) {
	f := newServiceFixture(t)
	b := batch()
	delete(b, "siteKey")
	out, err := f.svc.CollectFromServer(writer("org_shop"), ServerInput{Body: encode(t, b), UserAgent: "curl/8.5.0",
		IP: netip.MustParseAddr("2001:db8:abcd:1234::1")})
	if err != nil || out.Stored != 3 {
		t.Fatalf("CollectFromServer = %+v, %v", out, err)
	}
	w := f.store.snapshot()[0][0]
	if w.OrgID != "org_shop" || w.Session.IPPrefix != "2001:db8:abcd::/48" || w.Session.Context.Device != "bot" {
		t.Errorf("write = %+v", w.Session)
	}
	if _, err := f.svc.CollectFromServer(writer("org_gone"), ServerInput{Body: encode(t, b)}); presage.ErrorCode(err) != presage.CodeUnauthorized {
		t.Errorf("unknown organization: %v", err)
	}
	reader := presage.WithPrincipal(context.Background(),
		presage.Principal{OrgID: "org_shop", Scopes: []presage.Scope{presage.ScopeRead}})
	if _, err := f.svc.CollectFromServer(reader, ServerInput{Body: encode(t, b)}); presage.ErrorCode(err) != presage.CodeForbidden {
		t.Errorf("a key without the write scope: %v", err)
	}
	if _, err := f.svc.CollectFromServer(context.Background(), ServerInput{Body: encode(t, b)}); presage.ErrorCode(err) != presage.CodeUnauthorized {
		t.Errorf("no principal: %v", err)
	}
}

func TestServiceRejectAndNilMetrics(t *testing.T) {
	f := newServiceFixture(t)
	f.svc.Reject(tooLarge(MaxBodyBytes))
	f.svc.Reject(errors.New("boom"))
	if f.metric(t, "presage_events_rejected_total", "too_large") != 1 || f.metric(t, "presage_events_rejected_total", "internal") != 1 {
		t.Error("Reject did not count")
	}
	var m *Metrics
	m.reject(errors.New("x"))
	m.outcome(CommitResult{Stored: 1})
	m.commit(time.Second, 1)
	store := &fakeStore{}
	c := NewCommitter(store, CommitterOptions{})
	defer closeCommitter(t, c)
	svc := NewService(fakeOrgs{[]presage.Organization{testOrg}}, c, ServiceOptions{})
	if _, err := svc.CollectFromSite(context.Background(), SiteInput{Body: []byte("{"), Origin: "https://shop.example"}); presage.ErrorCode(err) != presage.CodeInvalid {
		t.Errorf("err = %v", err)
	}
	svc.Reject(errors.New("x"))
}

func TestCollectIdentifyWithoutSecretFails(t *testing.T) {
	org := testOrg
	org.IdentitySecret = nil
	c := NewCommitter(&fakeStore{}, CommitterOptions{})
	defer closeCommitter(t, c)
	svc := NewService(fakeOrgs{[]presage.Organization{org}}, c, ServiceOptions{Now: func() time.Time { return testReceivedAt }})
	_, err := svc.CollectFromSite(context.Background(), SiteInput{Body: encode(t, batch()), Origin: "https://shop.example"})
	if presage.ErrorCode(err) != presage.CodeInternal {
		t.Errorf("err = %v", err)
	}
}
