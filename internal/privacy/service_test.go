package privacy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/presage"
)

// memStore keeps requests and the audit log in memory; the methods the
// tests below do not reach are left to the embedded nil interface.
type memStore struct {
	Store
	mu       sync.Mutex
	requests map[string]Request
	audit    []AuditEntry
	exports  map[string]Export
}

func newMemStore() *memStore {
	return &memStore{requests: map[string]Request{}, exports: map[string]Export{}}
}

func (m *memStore) CreateRequest(_ context.Context, r Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[r.OrgID+"/"+r.ID] = r
	return nil
}

func (m *memStore) GetRequest(_ context.Context, orgID, id string) (Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.requests[orgID+"/"+id]
	if !ok {
		return Request{}, presage.ErrNotFound
	}
	return r, nil
}

func (m *memStore) SaveRequest(_ context.Context, r Request, _ string) error {
	return m.CreateRequest(context.Background(), r)
}

func (m *memStore) AppendAudit(_ context.Context, es []AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, es...)
	return nil
}

func (m *memStore) GetExport(_ context.Context, orgID, id string) (Export, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.exports[orgID+"/"+id]
	if !ok {
		return Export{}, presage.ErrNotFound
	}
	return e, nil
}

func gdprCtx(orgID string, scopes ...presage.Scope) context.Context {
	return presage.WithPrincipal(context.Background(), presage.Principal{OrgID: orgID, KeyID: "key_" + orgID, Scopes: scopes})
}

func newTestService(t *testing.T, now func() time.Time) (*Service, *memStore) {
	t.Helper()
	master, err := keys.NewMasterKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	return NewService(Options{Store: st, Keys: keys.NewKeyring(keys.NewMemStore(), master), Now: now}), st
}

func TestCreateRequestRefusesBadInput(t *testing.T) {
	s, _ := newTestService(t, time.Now)
	ctx := gdprCtx("org_a", presage.ScopeGDPR)
	email := []Term{{Type: SearchEmail, Value: "ada@example.com"}}
	for _, tc := range []struct {
		name  string
		in    RequestInput
		field string
	}{
		{"unknown type", RequestInput{Type: "forget", Terms: email}, "/type"},
		{"empty subject", RequestInput{Type: RequestExport}, "/subject"},
		{"unknown term type", RequestInput{Type: RequestExport, Terms: []Term{{Type: "iban", Value: "x"}}}, "/subject/terms/0/type"},
		{"blank term value", RequestInput{Type: RequestExport, Terms: []Term{{Type: SearchEmail, Value: "  "}}}, "/subject/terms/0/value"},
		{"erase without confirmation", RequestInput{Type: RequestErase, Terms: email}, "confirm"},
		{"rectify without terms", RequestInput{Type: RequestRectify, Terms: email}, "/replacementTerms"},
		{"replacement of an id", RequestInput{Type: RequestRectify, Terms: email,
			Replacements: []Replacement{{Type: SearchVisitorID, Existing: "a", Updated: "b"}}}, "/replacementTerms/0/type"},
		{"replacement without new value", RequestInput{Type: RequestRectify, Terms: email,
			Replacements: []Replacement{{Type: SearchEmail, Existing: "a@x.org"}}}, "/replacementTerms/0/updatedValue"},
		{"replacement that changes nothing", RequestInput{Type: RequestRectify, Terms: email,
			Replacements: []Replacement{{Type: SearchEmail, Existing: "a@x.org", Updated: " a@x.org "}}}, "/replacementTerms/0/updatedValue"},
		{"replacements on an export", RequestInput{Type: RequestExport, Terms: email,
			Replacements: []Replacement{{Type: SearchEmail, Existing: "a@x.org", Updated: "b@x.org"}}}, "/replacementTerms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateRequest(ctx, tc.in)
			var pe *presage.Error
			if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || len(pe.Violations) != 1 || pe.Violations[0].Field != tc.field {
				t.Fatalf("got %v, want an invalid-input error at %s", err, tc.field)
			}
		})
	}
}

func TestRequestsNeedTheGDPRScopeAndStayInTheirOrganization(t *testing.T) {
	s, st := newTestService(t, time.Now)
	in := RequestInput{Type: RequestExport, Terms: []Term{{Type: SearchEmail, Value: "ada@example.com"}}}
	if _, err := s.CreateRequest(gdprCtx("org_a", presage.ScopeRead, presage.ScopeAdmin), in); !isCode(err, presage.CodeForbidden) {
		t.Fatalf("a key without gdpr: %v", err)
	}
	r, err := s.CreateRequest(gdprCtx("org_a", presage.ScopeGDPR), in)
	if err != nil {
		t.Fatal(err)
	}
	if r.RequestedBy != "key_org_a" || !r.DueAt.Equal(r.ReceivedAt.AddDate(0, 1, 0)) || r.Status != StatusInitiated {
		t.Fatalf("request %+v", r)
	}
	if _, err := s.Request(gdprCtx("org_b", presage.ScopeGDPR), r.ID); !presage.IsNotFound(err) {
		t.Fatalf("another organization read the request: %v", err)
	}
	if len(st.audit) != 1 || st.audit[0].Action != "gdpr.request.received" || strings.Contains(string(st.audit[0].Detail), "ada") {
		t.Fatalf("audit %+v", st.audit)
	}
}

func isCode(err error, code presage.Code) bool {
	var pe *presage.Error
	return errors.As(err, &pe) && pe.Code == code
}

func TestExtendAllowsTwoMoreMonthsWithAReason(t *testing.T) {
	s, _ := newTestService(t, time.Now)
	ctx := gdprCtx("org_a", presage.ScopeGDPR)
	r, err := s.CreateRequest(ctx, RequestInput{Type: RequestExport, Terms: []Term{{Type: SearchEmail, Value: "ada@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	limit := r.ReceivedAt.AddDate(0, 3, 0)
	for _, tc := range []struct {
		name   string
		until  time.Time
		reason string
		field  string
	}{
		{"no reason", limit, " ", "/reason"},
		{"beyond two more months", limit.Add(time.Hour), "complex request", "/until"},
		{"not later than today's due date", r.DueAt, "complex request", "/until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Extend(ctx, r.ID, tc.until, tc.reason)
			var pe *presage.Error
			if !errors.As(err, &pe) || len(pe.Violations) != 1 || pe.Violations[0].Field != tc.field {
				t.Fatalf("got %v, want an error at %s", err, tc.field)
			}
		})
	}
	got, err := s.Extend(ctx, r.ID, limit, "the subject holds data on many devices")
	if err != nil {
		t.Fatal(err)
	}
	if !got.DueAt.Equal(limit) || got.ExtensionReason == "" {
		t.Fatalf("extended %+v", got)
	}
}

func TestSignedExportLinks(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	s, st := newTestService(t, func() time.Time { return now })
	ctx := context.Background()
	sealers, err := s.opt.Keys.Sealers(ctx, "org_a", []string{exportSubject("dsr_1")})
	if err != nil {
		t.Fatal(err)
	}
	expires := now.Add(7 * 24 * time.Hour)
	st.requests["org_a/dsr_1"] = Request{OrgID: "org_a", ID: "dsr_1", Type: RequestExport, Status: StatusCompleted,
		Result: &Result{ExportID: "dsr_1", ExpiresAt: &expires}}
	st.exports["org_a/dsr_1"] = Export{OrgID: "org_a", RequestID: "dsr_1", ExpiresAt: expires,
		Content: sealers[exportSubject("dsr_1")].Seal(`{"format":"presage-export/1"}`)}
	path := s.ExportPath(st.requests["org_a/dsr_1"])
	token, query, _ := strings.Cut(strings.TrimPrefix(path, "/gdpr/exports/"), "?")
	var exp, sig string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "expires" {
			exp = v
		} else if k == "sig" {
			sig = v
		}
	}
	b, err := s.SignedExport(ctx, token, exp, sig)
	if err != nil || string(b) != `{"format":"presage-export/1"}` {
		t.Fatalf("valid link: %q %v", b, err)
	}
	tampered := []struct{ name, token, exp, sig string }{
		{"signature", token, exp, strings.Repeat("0", len(sig))},
		{"expiry", token, exp + "0", sig},
		{"organization", "org_b.dsr_1", exp, sig},
	}
	for _, tc := range tampered {
		if _, err := s.SignedExport(ctx, tc.token, tc.exp, tc.sig); !isCode(err, presage.CodeForbidden) {
			t.Errorf("tampered %s: %v", tc.name, err)
		}
	}
	now = expires
	if _, err := s.SignedExport(ctx, token, exp, sig); !isCode(err, presage.CodeForbidden) {
		t.Errorf("expired link: %v", err)
	}
}
