package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/tenant"
)

// These tests check the HTTP translation of the outcome endpoints over
// in-memory stores; internal/app tests the same endpoints on real engines.

// memKeys is the part of tenant.Store that authentication uses.
type memKeys struct {
	tenant.Store
	mu   sync.Mutex
	keys map[string]presage.APIKey
}

func (m *memKeys) CreateAPIKey(_ context.Context, k presage.APIKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[k.ID] = k
	return nil
}

func (m *memKeys) APIKey(_ context.Context, id string) (presage.APIKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[id]; ok {
		return k, nil
	}
	return presage.APIKey{}, presage.ErrNotFound
}

func (m *memKeys) TouchAPIKey(context.Context, string, time.Time) error { return nil }

// memJourneys knows one session and one customer of org_a.
type memJourneys struct{ journey.Store }

func (memJourneys) GetSession(_ context.Context, orgID, id string) (presage.Session, error) {
	if orgID == "org_a" && id == "session-1" {
		return presage.Session{OrgID: orgID, ID: id, VisitorID: "visitor-1"}, nil
	}
	return presage.Session{}, presage.ErrNotFound
}

func (memJourneys) GetCustomer(_ context.Context, orgID, id string) (presage.Customer, error) {
	if orgID == "org_a" && id == "cus_customer1" {
		return presage.Customer{OrgID: orgID, ID: id}, nil
	}
	return presage.Customer{}, presage.ErrNotFound
}

func (memJourneys) ListVisitors(context.Context, string, journey.VisitorFilter, presage.Page) ([]presage.Visitor, bool, error) {
	return []presage.Visitor{{ID: "visitor-1"}}, false, nil
}

// memOutcomes is a minimal outcome.Store.
type memOutcomes struct {
	mu           sync.Mutex
	outcomes     []presage.Outcome
	achievements []presage.Achievement
	filters      []outcome.AchievementFilter // every ListAchievements filter, in order
}

func (m *memOutcomes) CreateOutcome(_ context.Context, o presage.Outcome, max int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, x := range m.outcomes {
		if x.OrgID == o.OrgID {
			n++
		}
	}
	if n >= max {
		return presage.Errorf(presage.CodeConflict, "too many")
	}
	m.outcomes = append(m.outcomes, o)
	return nil
}

func (m *memOutcomes) UpdateOutcome(_ context.Context, o presage.Outcome) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, x := range m.outcomes {
		if x.OrgID == o.OrgID && x.ID == o.ID {
			m.outcomes[i] = o
			return nil
		}
	}
	return presage.ErrNotFound
}

func (m *memOutcomes) GetOutcome(_ context.Context, orgID, id string) (presage.Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.outcomes {
		if x.OrgID == orgID && x.ID == id {
			return x, nil
		}
	}
	return presage.Outcome{}, presage.ErrNotFound
}

func (m *memOutcomes) ListOutcomes(_ context.Context, orgID string) ([]presage.Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []presage.Outcome
	for _, x := range m.outcomes {
		if x.OrgID == orgID {
			out = append(out, x)
		}
	}
	return out, nil
}

func (m *memOutcomes) DeleteOutcome(_ context.Context, orgID, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.outcomes)
	m.outcomes = slices.DeleteFunc(m.outcomes, func(x presage.Outcome) bool { return x.OrgID == orgID && x.ID == id })
	if n == len(m.outcomes) {
		return presage.ErrNotFound
	}
	return nil
}

func (m *memOutcomes) ListAchievements(_ context.Context, orgID string, f outcome.AchievementFilter, p presage.Page) ([]presage.Achievement, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.filters = append(m.filters, f)
	var out []presage.Achievement
	for _, a := range m.achievements {
		if a.OrgID == orgID && (f.SessionID == "" || a.SessionID == f.SessionID) && (f.OutcomeID == "" || a.OutcomeID == f.OutcomeID) {
			out = append(out, a)
		}
	}
	if len(out) > p.Limit {
		return out[:p.Limit], true, nil
	}
	return out, false, nil
}

type apiFixture struct {
	t        *testing.T
	srv      *httptest.Server
	outcomes *memOutcomes
	admin    string // org_a, every scope
	reader   string // org_a, read
	other    string // org_b, every scope
}

func newAPIFixture(t *testing.T) *apiFixture {
	keys := &memKeys{keys: map[string]presage.APIKey{}}
	tenants := tenant.NewService(keys, tenant.Options{})
	f := &apiFixture{t: t, outcomes: &memOutcomes{}}
	issue := func(orgID string, scopes ...presage.Scope) string {
		_, full, err := tenants.CreateKey(presage.AsOperator(context.Background(), orgID), "test", scopes)
		if err != nil {
			t.Fatal(err)
		}
		return full
	}
	f.admin = issue("org_a", presage.AllScopes...)
	f.reader = issue("org_a", presage.ScopeRead)
	f.other = issue("org_b", presage.AllScopes...)
	s := New(Config{Tenants: tenants, Journeys: journey.NewService(memJourneys{}),
		Outcomes: outcome.NewService(f.outcomes, outcome.Options{}), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	return f
}

// do sends body (a string) and returns the status, headers and decoded JSON.
func (f *apiFixture) do(method, path, key, body string) (int, http.Header, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			f.t.Fatalf("%s %s: %q is not a JSON object", method, path, raw)
		}
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		f.t.Errorf("%s %s: %d with Content-Type %q", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, resp.Header, out
}

// problemFields returns the fields a problem document names.
func problemFields(p map[string]any) []string {
	var out []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		field, _ := m["field"].(string)
		out = append(out, field)
	}
	return out
}

const purchaseBody = `{"name": "Purchase", "description": "Any order of 50 or more", "direction": "maximize",
	"condition": {"kind": "event", "eventName": "purchase", "attributes": [{"name": "total", "op": "gte", "value": 50}]},
	"valueField": "total"}`

func TestOutcomeEndpoints(t *testing.T) {
	f := newAPIFixture(t)
	status, h, created := f.do("POST", "/api/v1/outcomes", f.admin, purchaseBody)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	id, _ := created["id"].(string)
	if !strings.HasPrefix(id, "out_") || h.Get("Location") != "/api/v1/outcomes/"+id {
		t.Fatalf("created %v at %q", created, h.Get("Location"))
	}
	want := `{"condition":{"attributes":[{"name":"total","op":"gte","value":50}],"eventName":"purchase","kind":"event"},` +
		`"description":"Any order of 50 or more","direction":"maximize","name":"Purchase","valueField":"total"}`
	strip := func(v map[string]any) string {
		c := map[string]any{}
		for k, x := range v {
			if k != "id" && k != "createdAt" && k != "updatedAt" {
				c[k] = x
			}
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	if got := strip(created); got != want {
		t.Fatalf("created\n%s\nwant\n%s", got, want)
	}
	if _, err := time.Parse(time.RFC3339Nano, created["createdAt"].(string)); err != nil || created["createdAt"] != created["updatedAt"] {
		t.Errorf("times %v %v", created["createdAt"], created["updatedAt"])
	}

	status, _, got := f.do("GET", "/api/v1/outcomes/"+id, f.reader, "")
	if status != http.StatusOK || strip(got) != want || got["id"] != id {
		t.Fatalf("get: %d %v", status, got)
	}
	status, _, list := f.do("GET", "/api/v1/outcomes", f.reader, "")
	if data, _ := list["data"].([]any); status != http.StatusOK || len(data) != 1 {
		t.Fatalf("list: %d %v", status, list)
	}

	status, _, updated := f.do("PUT", "/api/v1/outcomes/"+id, f.admin,
		`{"name": "Thanks", "direction": "minimize", "condition": {"kind": "page", "urlPattern": "/thanks/**"}, "valueField": null}`)
	if status != http.StatusOK || updated["id"] != id || updated["name"] != "Thanks" || updated["valueField"] != nil ||
		updated["description"] != "" || updated["createdAt"] != created["createdAt"] {
		t.Fatalf("put: %d %v", status, updated)
	}
	if c, _ := updated["condition"].(map[string]any); len(c) != 2 || c["urlPattern"] != "/thanks/**" {
		t.Fatalf("put condition %v", updated["condition"])
	}

	if status, _, p := f.do("GET", "/api/v1/outcomes/"+id, f.other, ""); status != http.StatusNotFound {
		t.Errorf("another organization reads it: %d %v", status, p)
	}
	if status, _, p := f.do("PUT", "/api/v1/outcomes/"+id, f.other, purchaseBody); status != http.StatusNotFound {
		t.Errorf("another organization updates it: %d %v", status, p)
	}
	if status, _, p := f.do("DELETE", "/api/v1/outcomes/"+id, f.other, ""); status != http.StatusNotFound {
		t.Errorf("another organization deletes it: %d %v", status, p)
	}
	if status, _, p := f.do("DELETE", "/api/v1/outcomes/"+id, f.reader, ""); status != http.StatusForbidden {
		t.Errorf("read key deletes: %d %v", status, p)
	}
	if status, _, p := f.do("DELETE", "/api/v1/outcomes/"+id, f.admin, ""); status != http.StatusNoContent || p != nil {
		t.Fatalf("delete: %d %v", status, p)
	}
	if status, _, _ := f.do("DELETE", "/api/v1/outcomes/"+id, f.admin, ""); status != http.StatusNotFound {
		t.Errorf("second delete: %d", status)
	}
	if status, _, _ := f.do("GET", "/api/v1/outcomes/"+id, f.admin, ""); status != http.StatusNotFound {
		t.Errorf("get after delete: %d", status)
	}
	if status, _, _ := f.do("GET", "/api/v1/outcomes", "psk_nope_nope", ""); status != http.StatusUnauthorized {
		t.Errorf("bad key: %d", status)
	}
}

func TestOutcomeInputErrors(t *testing.T) {
	f := newAPIFixture(t)
	for _, tc := range []struct {
		method, body string
		status       int
		fields       []string
	}{
		{"POST", purchaseBody, http.StatusForbidden, nil}, // the read key
		{"POST", ``, http.StatusBadRequest, []string{""}},
		{"POST", `{"name": "x"`, http.StatusBadRequest, []string{""}},
		{"POST", `[]`, http.StatusBadRequest, []string{""}},
		{"POST", `{"name": "x", "colour": "red"}`, http.StatusBadRequest, []string{"/colour"}},
		{"POST", `{"name": "x", "direction": "maximize", "condition": {"kind": "event", "eventName": "e",
			"attributes": [{"name": "a", "op": "eq", "value": 1, "unit": "EUR"}]}}`, http.StatusBadRequest,
			[]string{"/condition/attributes/0/unit"}},
		{"POST", `{"name": 1, "direction": "maximize", "condition": {"kind": "page", "urlPattern": "/"}}`, http.StatusBadRequest, []string{"/name"}},
		{"POST", `{"id": "out_mine", "name": "x", "direction": "maximize", "condition": {"kind": "page", "urlPattern": "/"}}`,
			http.StatusBadRequest, []string{"/id"}},
		{"POST", `{"name": "", "direction": "sideways", "condition": {"kind": "event", "urlPattern": "/x",
			"attributes": [{"name": "total", "op": "gt", "value": "lots"}]}}`, http.StatusBadRequest,
			[]string{"/name", "/direction", "/condition/urlPattern", "/condition/eventName", "/condition/attributes/0/value"}},
		{"POST", `{"name": "x", "direction": "maximize", "condition": {"kind": "page", "urlPattern": "/` + strings.Repeat("a", maxAPIBody) + `"}}`,
			http.StatusRequestEntityTooLarge, []string{""}},
		{"PUT", `{"name": "x", "direction": "maximize", "condition": {"kind": "form", "formName": 7}}`, http.StatusBadRequest,
			[]string{"/condition/formName"}},
	} {
		key, path := f.admin, "/api/v1/outcomes"
		if tc.status == http.StatusForbidden {
			key = f.reader
		}
		if tc.method == "PUT" {
			path = "/api/v1/outcomes/out_00000000000000000000000000"
		}
		status, _, p := f.do(tc.method, path, key, tc.body)
		if status != tc.status || !slices.Equal(problemFields(p), tc.fields) {
			t.Errorf("%s %.60s: %d %v, want %d naming %v", tc.method, tc.body, status, p, tc.status, tc.fields)
		}
	}
	if len(f.outcomes.outcomes) != 0 {
		t.Fatalf("stored %v", f.outcomes.outcomes)
	}
	// A conflict names the field too.
	if status, _, _ := f.do("POST", "/api/v1/outcomes", f.admin, purchaseBody); status != http.StatusCreated {
		t.Fatal(status)
	}
	status, _, p := f.do("POST", "/api/v1/outcomes", f.admin, purchaseBody)
	if status != http.StatusConflict || !slices.Equal(problemFields(p), []string{"/name"}) ||
		p["type"] != "https://presage.dev/problems/conflict" {
		t.Errorf("duplicate name: %d %v", status, p)
	}
}

func TestAchievementEndpoints(t *testing.T) {
	f := newAPIFixture(t)
	v := 129.9
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	f.outcomes.achievements = []presage.Achievement{
		{OrgID: "org_a", OutcomeID: "out_aaaaaaaa", SessionID: "session-1", VisitorID: "visitor-1", CustomerID: "cus_customer1",
			EventID: "event-0001", AchievedAt: at, Value: &v},
		{OrgID: "org_a", OutcomeID: "out_bbbbbbbb", SessionID: "session-1", VisitorID: "visitor-1", EventID: "event-0002", AchievedAt: at},
		{OrgID: "org_a", OutcomeID: "out_aaaaaaaa", SessionID: "session-2", VisitorID: "visitor-2", EventID: "event-0003", AchievedAt: at},
		{OrgID: "org_b", OutcomeID: "out_zzzzzzzz", SessionID: "session-1", VisitorID: "visitor-9", EventID: "event-0004", AchievedAt: at},
	}
	status, _, l := f.do("GET", "/api/v1/achievements?limit=2", f.reader, "")
	data, _ := l["data"].([]any)
	if status != http.StatusOK || len(data) != 2 || l["nextCursor"] == "" {
		t.Fatalf("list: %d %v", status, l)
	}
	first, _ := json.Marshal(data[0])
	if want := `{"achievedAt":"2026-11-29T10:00:00.000Z","customerId":"cus_customer1","eventId":"event-0001",` +
		`"outcomeId":"out_aaaaaaaa","sessionId":"session-1","value":129.9,"visitorId":"visitor-1"}`; string(first) != want {
		t.Errorf("achievement\n%s\nwant\n%s", first, want)
	}
	if second, _ := data[1].(map[string]any); second["customerId"] != nil || second["value"] != nil {
		t.Errorf("unidentified, valueless achievement %v", second)
	}

	status, _, l = f.do("GET", "/api/v1/sessions/session-1/achievements?outcomeId=out_bbbbbbbb", f.reader, "")
	if data, _ := l["data"].([]any); status != http.StatusOK || len(data) != 1 {
		t.Errorf("session achievements: %d %v", status, l)
	}
	if status, _, p := f.do("GET", "/api/v1/sessions/session-2/achievements", f.reader, ""); status != http.StatusNotFound {
		t.Errorf("unknown session: %d %v", status, p)
	}
	if status, _, p := f.do("GET", "/api/v1/sessions/session-1/achievements", f.other, ""); status != http.StatusNotFound {
		t.Errorf("another organization's session: %d %v", status, p)
	}
	if status, _, l := f.do("GET", "/api/v1/customers/cus_customer1/achievements", f.reader, ""); status != http.StatusOK {
		t.Errorf("customer achievements: %d %v", status, l)
	}
	if status, _, _ := f.do("GET", "/api/v1/customers/cus_nobody123/achievements", f.reader, ""); status != http.StatusNotFound {
		t.Errorf("unknown customer: %d", status)
	}
	f.do("GET", "/api/v1/achievements?outcomeId=out_aaaaaaaa&sessionId=session-1&visitorId=visitor-1&customerId=cus_customer1", f.reader, "")
	want := []outcome.AchievementFilter{
		{},
		{OutcomeID: "out_bbbbbbbb", SessionID: "session-1"},
		{CustomerID: "cus_customer1"},
		{OutcomeID: "out_aaaaaaaa", SessionID: "session-1", VisitorID: "visitor-1", CustomerID: "cus_customer1"},
	}
	if !slices.Equal(f.outcomes.filters, want) {
		t.Errorf("filters passed to the store\n%+v\nwant\n%+v", f.outcomes.filters, want)
	}

	for _, q := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=x", "limit"}, {"limit=1001", "limit"}, {"cursor=!!", "cursor"},
		{"outcomeId=purchase", "outcomeId"}, {"visitorId=a", "visitorId"}, {"sessionId=" + strings.Repeat("s", 65), "sessionId"},
		{"customerId=visitor-1", "customerId"},
	} {
		status, _, p := f.do("GET", "/api/v1/achievements?"+q.query, f.reader, "")
		if status != http.StatusBadRequest || !slices.Equal(problemFields(p), []string{q.field}) {
			t.Errorf("?%s: %d %v", q.query, status, p)
		}
	}
}
