package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
const iphoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

func send(t *testing.T, n *node, tf tenantFixture, body any, ua string) (int, map[string]any) {
	t.Helper()
	var out map[string]any
	code := n.call("POST", "/v1/events", "", body, map[string]string{
		"Origin": tf.origin(), "User-Agent": ua, "Content-Type": "text/plain;charset=UTF-8",
	}, &out)
	return code, out
}

func TestJourneyThroughTheAPI(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Shop")
		now := time.Now().Add(-time.Minute)

		b := batch(shop.Org.SiteKey, "visitor-laptop-1", "session-laptop-1", "evt-laptop-", 5, now)
		events := b["events"].([]map[string]any)
		events[0]["referrer"] = "https://www.google.com/"
		events = append(events, map[string]any{"id": "evt-laptop-custom", "type": "custom", "name": "product_added",
			"ts": now.Add(10 * time.Millisecond).UnixMilli(), "url": "https://shop.example/p/1",
			"attributes": map[string]any{"price": 23.5, "sku": "A-1", "added": map[string]any{"dataType": "date", "value": "2026-11-29"}}})
		events = append(events, map[string]any{"id": "evt-laptop-identify", "type": "identify",
			"ts": now.Add(20 * time.Millisecond).UnixMilli(), "url": "https://shop.example/account",
			"traits": map[string]any{"email": "Ada@Example.com", "givenName": "Ada"}})
		b["events"] = events
		b["context"] = map[string]any{"tz": "Europe/Paris", "lang": "fr-FR"}

		code, out := send(t, n, shop, b, chromeUA)
		if code != 200 || out["stored"] != float64(7) || out["duplicates"] != float64(0) {
			t.Fatalf("first batch: %d %v", code, out)
		}
		// A retried batch stores nothing twice.
		code, out = send(t, n, shop, b, chromeUA)
		if code != 200 || out["stored"] != float64(0) || out["duplicates"] != float64(7) {
			t.Fatalf("retried batch: %d %v", code, out)
		}
		// The same person on a phone: one customer, two visitors.
		phone := batch(shop.Org.SiteKey, "visitor-phone-1", "session-phone-1", "evt-phone-", 1, now.Add(time.Second))
		phone["events"] = append(phone["events"].([]map[string]any), map[string]any{"id": "evt-phone-identify",
			"type": "identify", "ts": now.Add(time.Second + time.Millisecond).UnixMilli(),
			"traits": map[string]any{"email": " ada@example.com ", "plan": "gold"}})
		if code, out := send(t, n, shop, phone, iphoneUA); code != 200 {
			t.Fatalf("phone batch: %d %v", code, out)
		}

		var customers listBody[struct {
			ID     string         `json:"id"`
			Traits map[string]any `json:"traits"`
		}]
		if code := n.call("GET", "/api/v1/customers", shop.Key, nil, nil, &customers); code != 200 || len(customers.Data) != 1 {
			t.Fatalf("customers: %d %+v", code, customers)
		}
		cus := customers.Data[0]
		if cus.Traits["givenName"] != "Ada" || cus.Traits["plan"] != "gold" {
			t.Errorf("traits not merged: %v", cus.Traits)
		}
		var full struct {
			Visitors []string `json:"visitors"`
		}
		n.call("GET", "/api/v1/customers/"+cus.ID, shop.Key, nil, nil, &full)
		if len(full.Visitors) != 2 {
			t.Errorf("customer visitors = %v, want the laptop and the phone", full.Visitors)
		}

		var session struct {
			ID          string             `json:"id"`
			VisitorID   string             `json:"visitorId"`
			EventCount  int                `json:"eventCount"`
			IPPrefix    string             `json:"ipPrefix"`
			TimeZone    string             `json:"timeZone"`
			Context     presage.Enrichment `json:"context"`
			LandingURL  string             `json:"landingUrl"`
			StartedAt   string             `json:"startedAt"`
			LastEventAt string             `json:"lastEventAt"`
		}
		if code := n.call("GET", "/api/v1/sessions/session-laptop-1", shop.Key, nil, nil, &session); code != 200 {
			t.Fatalf("get session: %d", code)
		}
		if session.EventCount != 7 || session.VisitorID != "visitor-laptop-1" || session.TimeZone != "Europe/Paris" {
			t.Errorf("session = %+v", session)
		}
		if session.IPPrefix != "127.0.0.0/24" {
			t.Errorf("ipPrefix = %q, want the truncated loopback /24", session.IPPrefix)
		}
		if session.Context.Device != "desktop" || session.Context.Browser != "Chrome" || session.Context.OS != "Linux" ||
			session.Context.ReferrerClass != "search" {
			t.Errorf("session enrichment = %+v", session.Context)
		}

		// Page through the events three at a time: all of them, in order, once.
		var got []string
		cursor := ""
		for {
			var page listBody[struct {
				ID         string             `json:"id"`
				Type       string             `json:"type"`
				Seq        int64              `json:"seq"`
				Attributes map[string]any     `json:"attributes"`
				Context    presage.Enrichment `json:"context"`
			}]
			if code := n.call("GET", "/api/v1/sessions/session-laptop-1/events?limit=3&cursor="+cursor, shop.Key, nil, nil, &page); code != 200 {
				t.Fatalf("events page: %d", code)
			}
			for _, e := range page.Data {
				got = append(got, e.ID)
				if e.Context.UTM.Source != "news" && e.Type == "pageview" {
					t.Errorf("event %s lacks UTM enrichment: %+v", e.ID, e.Context)
				}
				if e.ID == "evt-laptop-custom" && (e.Attributes["price"] != 23.5 || e.Attributes["sku"] != "A-1") {
					t.Errorf("custom attributes = %v", e.Attributes)
				}
				if e.Type == "identify" && len(e.Attributes) > 0 {
					for _, v := range e.Attributes {
						if s, ok := v.(string); ok && strings.Contains(strings.ToLower(s), "ada@") {
							t.Errorf("identify event copies personal data: %v", e.Attributes)
						}
					}
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		want := []string{"evt-laptop-0000", "evt-laptop-0001", "evt-laptop-0002", "evt-laptop-0003", "evt-laptop-0004", "evt-laptop-custom", "evt-laptop-identify"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events = %v\nwant      %v", got, want)
		}

		var visitors listBody[struct {
			ID         string `json:"id"`
			CustomerID string `json:"customerId"`
		}]
		n.call("GET", "/api/v1/visitors?customerId="+cus.ID, shop.Key, nil, nil, &visitors)
		if len(visitors.Data) != 2 {
			t.Errorf("visitors of customer = %+v", visitors.Data)
		}
		var sessions listBody[struct{ ID string }]
		n.call("GET", "/api/v1/sessions?customerId="+cus.ID, shop.Key, nil, nil, &sessions)
		if len(sessions.Data) != 2 {
			t.Errorf("sessions of customer = %+v", sessions.Data)
		}
	})
}

func TestCollectorRejectsBadInputAndStoresNothing(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Shop")
		now := time.Now()
		good := func() map[string]any {
			return batch(shop.Org.SiteKey, "visitor-bad-1", "session-bad-1", "evt-bad-", 2, now)
		}
		tooMany := good()
		tooMany["events"] = batch("", "v", "s", "evt-many-", 101, now)["events"]
		badTS := good()
		badTS["events"].([]map[string]any)[1]["ts"] = now.Add(-30 * 24 * time.Hour).UnixMilli()
		badType := good()
		badType["events"].([]map[string]any)[0]["type"] = "teleport"
		badAttr := good()
		badAttr["events"].([]map[string]any)[1]["attributes"] = map[string]any{"nested": map[string]any{"a": 1}}
		unknownKey := good()
		unknownKey["siteKey"] = "pk_doesnotexist000000000000"
		huge := good()
		huge["events"].([]map[string]any)[0]["title"] = strings.Repeat("x", 70<<10)

		tests := []struct {
			name   string
			body   any
			origin string
			status int
			field  string
		}{
			{"malformed json", `{"siteKey":`, shop.origin(), 400, ""},
			{"not an object", `[1,2]`, shop.origin(), 400, ""},
			{"too many events", tooMany, shop.origin(), 400, "/events"},
			{"timestamp out of bounds", badTS, shop.origin(), 400, "/events/1/ts"},
			{"unknown event type", badType, shop.origin(), 400, "/events/0/type"},
			{"nested attribute", badAttr, shop.origin(), 400, "/events/1/attributes/nested"},
			{"oversized body", huge, shop.origin(), 413, ""},
			{"unknown site key", unknownKey, shop.origin(), 401, ""},
			{"origin not allowed", good(), "https://evil.example", 403, ""},
			{"no origin", good(), "", 403, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p problemBody
				headers := map[string]string{"Content-Type": "application/json"}
				if tt.origin != "" {
					headers["Origin"] = tt.origin
				}
				code := n.call("POST", "/v1/events", "", tt.body, headers, &p)
				if code != tt.status || p.Status != tt.status || p.Type == "" || p.Title == "" {
					t.Fatalf("status %d, problem %+v; want %d", code, p, tt.status)
				}
				if tt.field != "" {
					found := false
					for _, v := range p.Errors {
						found = found || v.Field == tt.field
					}
					if !found {
						t.Errorf("problem errors %+v do not name %s", p.Errors, tt.field)
					}
				}
			})
		}
		var sessions listBody[struct{ ID string }]
		n.call("GET", "/api/v1/sessions", shop.Key, nil, nil, &sessions)
		if len(sessions.Data) != 0 {
			t.Errorf("rejected batches stored sessions: %+v", sessions.Data)
		}
		// The problem document has the RFC 9457 media type.
		req, _ := http.NewRequest("POST", n.URL+"/v1/events", strings.NewReader("{"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type = %q", ct)
		}
	})
}

// TestNoEndpointCrossesOrganizations gives organization B's all-scope key
// every id of organization A's data, on every endpoint.
func TestNoEndpointCrossesOrganizations(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		a := newTenant(t, n, "Alpha")
		b := newTenant(t, n, "Beta")
		now := time.Now().Add(-time.Minute)
		ab := batch(a.Org.SiteKey, "visitor-alpha-1", "session-alpha-1", "evt-alpha-", 3, now)
		ab["events"] = append(ab["events"].([]map[string]any), map[string]any{"id": "evt-alpha-id", "type": "identify",
			"ts": now.UnixMilli(), "traits": map[string]any{"email": "alpha@example.com"}})
		if code, out := send(t, n, a, ab, chromeUA); code != 200 {
			t.Fatalf("alpha batch: %d %v", code, out)
		}
		var customers listBody[struct{ ID string }]
		n.call("GET", "/api/v1/customers", a.Key, nil, nil, &customers)
		if len(customers.Data) != 1 {
			t.Fatalf("alpha customers: %+v", customers)
		}
		alphaCustomer := customers.Data[0].ID
		var keys listBody[struct{ ID string }]
		n.call("GET", "/api/v1/keys", a.Key, nil, nil, &keys)
		alphaKeyID := keys.Data[0].ID

		for _, path := range []string{
			"/api/v1/customers/" + alphaCustomer,
			"/api/v1/visitors/visitor-alpha-1",
			"/api/v1/sessions/session-alpha-1",
			"/api/v1/sessions/session-alpha-1/events",
		} {
			if code := n.call("GET", path, b.Key, nil, nil, nil); code != 404 {
				t.Errorf("beta GET %s = %d, want 404", path, code)
			}
		}
		for _, path := range []string{
			"/api/v1/customers", "/api/v1/visitors", "/api/v1/sessions",
			"/api/v1/visitors?customerId=" + alphaCustomer, "/api/v1/sessions?visitorId=visitor-alpha-1",
			"/api/v1/sessions?customerId=" + alphaCustomer,
		} {
			var l listBody[json.RawMessage]
			if code := n.call("GET", path, b.Key, nil, nil, &l); code != 200 || len(l.Data) != 0 {
				t.Errorf("beta GET %s = %d with %d items, want 200 and none", path, code, len(l.Data))
			}
		}
		if code := n.call("DELETE", "/api/v1/keys/"+alphaKeyID, b.Key, nil, nil, nil); code != 404 {
			t.Errorf("beta revoking alpha's key = %d, want 404", code)
		}
		if code := n.call("GET", "/api/v1/organization", a.Key, nil, nil, nil); code != 200 {
			t.Errorf("alpha's key stopped working after beta's attempt: %d", code)
		}
		var org struct{ ID, Name string }
		n.call("PATCH", "/api/v1/organization", b.Key, map[string]any{"name": "Beta Renamed"}, nil, &org)
		if org.ID != b.Org.ID {
			t.Errorf("beta's PATCH changed %s", org.ID)
		}
		n.call("GET", "/api/v1/organization", a.Key, nil, nil, &org)
		if org.Name != "Alpha" {
			t.Errorf("alpha renamed to %q by beta", org.Name)
		}
		// Beta's site key from alpha's origin is refused, and alpha's site key
		// cannot write into beta.
		bb := batch(b.Org.SiteKey, "visitor-alpha-1", "session-alpha-1", "evt-beta-", 1, now)
		if code := n.call("POST", "/v1/events", "", bb, map[string]string{"Origin": a.origin()}, nil); code != 403 {
			t.Errorf("beta site key from alpha origin = %d, want 403", code)
		}
		// Server-side events with beta's key land in beta, never in alpha's
		// session of the same id.
		sb := batch("", "visitor-alpha-1", "session-alpha-1", "evt-alpha-", 1, now)
		var out map[string]any
		if code := n.call("POST", "/api/v1/events", b.Key, sb, nil, &out); code != 200 || out["stored"] != float64(1) {
			t.Errorf("beta server-side events: %d %v", code, out)
		}
		var s struct{ EventCount int }
		n.call("GET", "/api/v1/sessions/session-alpha-1", a.Key, nil, nil, &s)
		if s.EventCount != 4 {
			t.Errorf("alpha session has %d events after beta's writes, want 4", s.EventCount)
		}
	})
}

func TestKeysScopesAndRevocation(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	admin := newTenant(t, n, "Keys", presage.ScopeAdmin)
	var created struct {
		ID     string          `json:"id"`
		Key    string          `json:"key"`
		Scopes []presage.Scope `json:"scopes"`
	}
	if code := n.call("POST", "/api/v1/keys", admin.Key, map[string]any{"name": "reader", "scopes": []string{"read"}}, nil, &created); code != 201 || created.Key == "" {
		t.Fatalf("create key: %d %+v", code, created)
	}
	if code := n.call("GET", "/api/v1/sessions", created.Key, nil, nil, nil); code != 200 {
		t.Errorf("read key reading sessions: %d", code)
	}
	var p problemBody
	if code := n.call("POST", "/api/v1/keys", created.Key, map[string]any{"name": "x", "scopes": []string{"admin"}}, nil, &p); code != 403 {
		t.Errorf("read key creating keys: %d %+v", code, p)
	}
	if code := n.call("GET", "/api/v1/sessions", admin.Key, nil, nil, nil); code != 403 {
		t.Errorf("admin-only key reading sessions: %d, want 403", code)
	}
	if code := n.call("POST", "/api/v1/keys", admin.Key, map[string]any{"name": "x", "scopes": []string{"root"}}, nil, &p); code != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "/scopes/0" {
		t.Errorf("unknown scope: %d %+v", code, p)
	}
	if code := n.call("POST", "/api/v1/keys", admin.Key, map[string]any{"name": "x", "scopes": "read"}, nil, &p); code != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "/scopes" {
		t.Errorf("scopes of the wrong type: %d %+v", code, p)
	}
	if code := n.call("POST", "/api/v1/keys", admin.Key, map[string]any{"name": "x", "scopes": []string{"read"}, "extra": 1}, nil, &p); code != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "/extra" {
		t.Errorf("unknown field: %d %+v", code, p)
	}
	var keys listBody[struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}]
	n.call("GET", "/api/v1/keys", admin.Key, nil, nil, &keys)
	for _, k := range keys.Data {
		if k.Key != "" {
			t.Errorf("key list shows a secret for %s", k.ID)
		}
	}
	if code := n.call("DELETE", "/api/v1/keys/"+created.ID, admin.Key, nil, nil, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code := n.call("GET", "/api/v1/sessions", created.Key, nil, nil, &p); code != 401 {
		t.Errorf("revoked key: %d, want 401", code)
	}
	for _, bad := range []string{"", "psk_nope", "psk_" + strings.Repeat("a", 16) + "_" + strings.Repeat("b", 52)} {
		if code := n.call("GET", "/api/v1/sessions", bad, nil, nil, &p); code != 401 || p.Status != 401 {
			t.Errorf("key %q: %d %+v", bad, code, p)
		}
	}
}

func TestOperationsEndpoints(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	shop := newTenant(t, n, "Ops")
	if code := n.call("GET", "/healthz", "", nil, nil, nil); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code := n.call("GET", "/readyz", "", nil, nil, nil); code != 200 {
		t.Errorf("readyz %d", code)
	}
	send(t, n, shop, batch(shop.Org.SiteKey, "visitor-ops-1", "session-ops-1", "evt-ops-", 3, time.Now()), chromeUA)
	send(t, n, shop, `{"bad"`, chromeUA)
	resp, err := http.Get(n.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"presage_events_accepted_total 3",
		`presage_events_rejected_total{reason="invalid"} 1`,
		"presage_commit_duration_seconds_bucket",
		`presage_http_requests_total{code="200",method="POST",route="POST /v1/events"} 1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code := n.call("GET", "/sdk.js", "", nil, nil, nil); code != 200 {
		t.Errorf("sdk.js %d", code)
	}
	if code := n.call("GET", "/demo/", "", nil, nil, nil); code != 200 {
		t.Errorf("demo %d", code)
	}
	if code := n.call("GET", "/api/v1/nothing", shop.Key, nil, nil, nil); code != 404 {
		t.Errorf("unknown api path %d", code)
	}
}
