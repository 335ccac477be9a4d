package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

type outcomeBody struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Direction   string  `json:"direction"`
	ValueField  *string `json:"valueField"`
	Condition   struct {
		Kind       string           `json:"kind"`
		EventName  string           `json:"eventName"`
		URLPattern string           `json:"urlPattern"`
		FormName   string           `json:"formName"`
		Attributes []map[string]any `json:"attributes"`
	} `json:"condition"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

type achievementBody struct {
	OutcomeID  string   `json:"outcomeId"`
	SessionID  string   `json:"sessionId"`
	VisitorID  string   `json:"visitorId"`
	CustomerID *string  `json:"customerId"`
	EventID    string   `json:"eventId"`
	AchievedAt string   `json:"achievedAt"`
	Value      *float64 `json:"value"`
}

func purchaseOutcome(name string) map[string]any {
	return map[string]any{"name": name, "direction": "maximize", "valueField": "total",
		"condition": map[string]any{"kind": "event", "eventName": "purchase",
			"attributes": []map[string]any{{"name": "total", "op": "gte", "value": 50}}}}
}

func pageOutcome(name, pattern string) map[string]any {
	return map[string]any{"name": name, "direction": "minimize", "condition": map[string]any{"kind": "page", "urlPattern": pattern}}
}

// newTenantKey issues another key of tf's organization.
func newTenantKey(t *testing.T, n *node, tf tenantFixture, scopes ...presage.Scope) string {
	t.Helper()
	_, key, err := n.App.Tenants.CreateKey(presage.AsOperator(context.Background(), tf.Org.ID), "scoped", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func decodeBody(t *testing.T, resp *http.Response, out any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
}

func violationFields(p problemBody) []string {
	var out []string
	for _, v := range p.Errors {
		out = append(out, v.Field)
	}
	return out
}

func TestOutcomesThroughTheAPI(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		clock := newTestClock()
		cfg.Now = clock.Now
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Outcomeshop")
		reader := newTenantKey(t, n, shop, presage.ScopeRead)
		rival := newTenant(t, n, "Rivalshop")

		var created outcomeBody
		req, err := http.NewRequest(http.MethodPost, n.URL+"/api/v1/outcomes", jsonBody(t, purchaseOutcome("Purchase")))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+shop.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		decodeBody(t, resp, &created)
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/outcomes/"+created.ID ||
			created.Name != "Purchase" || created.Direction != "maximize" || created.ValueField == nil || *created.ValueField != "total" ||
			created.Condition.EventName != "purchase" || len(created.Condition.Attributes) != 1 || created.CreatedAt == "" {
			t.Fatalf("create: %d %q %+v", resp.StatusCode, resp.Header.Get("Location"), created)
		}

		// Read with a read key; the stored definition reads back as created.
		var got outcomeBody
		if code := n.call("GET", "/api/v1/outcomes/"+created.ID, reader, nil, nil, &got); code != http.StatusOK ||
			got.ID != created.ID || got.CreatedAt != created.CreatedAt || got.Condition.Attributes[0]["value"] != float64(50) {
			t.Fatalf("get: %d %+v", code, got)
		}
		var list listBody[outcomeBody]
		if code := n.call("GET", "/api/v1/outcomes", reader, nil, nil, &list); code != http.StatusOK || len(list.Data) != 1 {
			t.Fatalf("list: %d %+v", code, list)
		}

		// Scopes: a read key cannot create, change or delete.
		var p problemBody
		if code := n.call("POST", "/api/v1/outcomes", reader, pageOutcome("Help", "/help"), nil, &p); code != http.StatusForbidden {
			t.Errorf("read key creates: %d %+v", code, p)
		}
		if code := n.call("PUT", "/api/v1/outcomes/"+created.ID, reader, pageOutcome("Help", "/help"), nil, nil); code != http.StatusForbidden {
			t.Errorf("read key updates: %d", code)
		}
		if code := n.call("DELETE", "/api/v1/outcomes/"+created.ID, reader, nil, nil, nil); code != http.StatusForbidden {
			t.Errorf("read key deletes: %d", code)
		}

		// Validation names each failing field.
		p = problemBody{}
		bad := map[string]any{"name": "", "direction": "up", "condition": map[string]any{"kind": "page", "urlPattern": "checkout",
			"eventName": "purchase"}}
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, bad, nil, &p); code != http.StatusBadRequest ||
			!slices.Equal(violationFields(p), []string{"/name", "/direction", "/condition/eventName", "/condition/urlPattern"}) {
			t.Errorf("invalid definition: %d %+v", code, p)
		}
		p = problemBody{}
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, `{"name": "x", "condition": {"kind": "page", "pattern": "/"}}`, nil, &p); code != http.StatusBadRequest ||
			!slices.Equal(violationFields(p), []string{"/condition/pattern"}) {
			t.Errorf("unknown field: %d %+v", code, p)
		}

		// Names are unique per organization, on create and on update.
		p = problemBody{}
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, purchaseOutcome("Purchase"), nil, &p); code != http.StatusConflict ||
			!slices.Equal(violationFields(p), []string{"/name"}) {
			t.Errorf("duplicate name: %d %+v", code, p)
		}
		var help outcomeBody
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, pageOutcome("Help", "/help/**"), nil, &help); code != http.StatusCreated {
			t.Fatalf("second outcome: %d", code)
		}
		if code := n.call("PUT", "/api/v1/outcomes/"+help.ID, shop.Key, pageOutcome("Purchase", "/help"), nil, nil); code != http.StatusConflict {
			t.Errorf("rename onto a taken name: %d", code)
		}
		if code := n.call("POST", "/api/v1/outcomes", rival.Key, purchaseOutcome("Purchase"), nil, nil); code != http.StatusCreated {
			t.Errorf("another organization cannot reuse the name: %d", code)
		}

		// PUT replaces the whole definition and keeps id and creation time;
		// the clock moves on, so the update time differs.
		clock.Advance(time.Second)
		var updated outcomeBody
		if code := n.call("PUT", "/api/v1/outcomes/"+created.ID, shop.Key, map[string]any{"name": "Big purchase",
			"description": "Orders of 100 or more", "direction": "maximize",
			"condition": map[string]any{"kind": "form", "formName": "checkout"}}, nil, &updated); code != http.StatusOK {
			t.Fatalf("update: %d", code)
		}
		got = outcomeBody{}
		n.call("GET", "/api/v1/outcomes/"+created.ID, shop.Key, nil, nil, &got)
		if got.Name != "Big purchase" || got.Description != "Orders of 100 or more" || got.ValueField != nil ||
			got.Condition.Kind != "form" || got.Condition.FormName != "checkout" || got.Condition.EventName != "" ||
			got.Condition.Attributes != nil || got.CreatedAt != created.CreatedAt || got.UpdatedAt == created.UpdatedAt {
			t.Errorf("after update: %+v", got)
		}

		// Another organization sees none of it.
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			var body any
			if method == "PUT" {
				body = pageOutcome("Mine now", "/")
			}
			if code := n.call(method, "/api/v1/outcomes/"+created.ID, rival.Key, body, nil, nil); code != http.StatusNotFound {
				t.Errorf("%s of another organization's outcome: %d", method, code)
			}
		}
		list = listBody[outcomeBody]{}
		if n.call("GET", "/api/v1/outcomes", rival.Key, nil, nil, &list); len(list.Data) != 1 || list.Data[0].ID == created.ID {
			t.Errorf("rival lists %+v", list.Data)
		}

		if code := n.call("DELETE", "/api/v1/outcomes/"+created.ID, shop.Key, nil, nil, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		if code := n.call("GET", "/api/v1/outcomes/"+created.ID, shop.Key, nil, nil, nil); code != http.StatusNotFound {
			t.Errorf("get after delete: %d", code)
		}
		if code := n.call("DELETE", "/api/v1/outcomes/"+created.ID, shop.Key, nil, nil, nil); code != http.StatusNotFound {
			t.Errorf("second delete: %d", code)
		}
		list = listBody[outcomeBody]{}
		if n.call("GET", "/api/v1/outcomes", shop.Key, nil, nil, &list); len(list.Data) != 1 || list.Data[0].ID != help.ID {
			t.Errorf("after delete the list is %+v", list.Data)
		}
	})
}

func TestOutcomeLimit(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Limitshop")
		for i := range presage.MaxOutcomesPerOrg {
			if code := n.call("POST", "/api/v1/outcomes", shop.Key, pageOutcome(fmt.Sprintf("Page %d", i), fmt.Sprintf("/p/%d", i)), nil, nil); code != http.StatusCreated {
				t.Fatalf("outcome %d: %d", i, code)
			}
		}
		var p problemBody
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, pageOutcome("Page 100", "/p/100"), nil, &p); code != http.StatusConflict ||
			p.Type != "https://presage.dev/problems/conflict" {
			t.Fatalf("outcome 101: %d %+v", code, p)
		}
		var list listBody[outcomeBody]
		if n.call("GET", "/api/v1/outcomes", shop.Key, nil, nil, &list); len(list.Data) != presage.MaxOutcomesPerOrg ||
			list.Data[0].Name != "Page 0" || list.Data[99].Name != "Page 99" {
			t.Fatalf("list holds %d outcomes", len(list.Data))
		}
		// Deleting one makes room again.
		if code := n.call("DELETE", "/api/v1/outcomes/"+list.Data[0].ID, shop.Key, nil, nil, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, pageOutcome("Page 100", "/p/100"), nil, nil); code != http.StatusCreated {
			t.Fatalf("after a delete: %d", code)
		}

		// Concurrent creations cannot pass the limit either: the store
		// counts and inserts in one transaction.
		race := newTenant(t, n, "Raceshop")
		for i := range presage.MaxOutcomesPerOrg - 5 {
			if code := n.call("POST", "/api/v1/outcomes", race.Key, pageOutcome(fmt.Sprintf("Page %d", i), "/"), nil, nil); code != http.StatusCreated {
				t.Fatalf("outcome %d: %d", i, code)
			}
		}
		codes := make(chan int, 12)
		var wg sync.WaitGroup
		for i := range cap(codes) {
			wg.Go(func() {
				codes <- n.call("POST", "/api/v1/outcomes", race.Key, pageOutcome(fmt.Sprintf("Racer %d", i), "/"), nil, nil)
			})
		}
		testwait.Wait(t, &wg, 30*time.Second, "the concurrent creations")
		close(codes)
		counts := map[int]int{}
		for c := range codes {
			counts[c]++
		}
		if counts[http.StatusCreated] != 5 || counts[http.StatusConflict] != cap(codes)-5 {
			t.Errorf("concurrent creations answered %v, want 5 created", counts)
		}
	})
}

// TestAchievementsThroughTheAPI sends a purchase and reads the achievement
// back by session, by customer and through the filtered list.
func TestAchievementsThroughTheAPI(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Achieveshop")
		rival := newTenant(t, n, "Achieverival")
		var purchase, thanks outcomeBody
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, purchaseOutcome("Purchase"), nil, &purchase); code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		if code := n.call("POST", "/api/v1/outcomes", shop.Key, pageOutcome("Thanks", "/thanks/**"), nil, &thanks); code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		now := time.Now().Add(-time.Minute)
		b := batch(shop.Org.SiteKey, "visitor-buyer-1", "session-buyer-1", "evt-buyer-", 2, now)
		b["events"] = append(b["events"].([]map[string]any),
			map[string]any{"id": "evt-buyer-small", "type": "custom", "name": "purchase", "ts": now.Add(time.Second).UnixMilli(),
				"attributes": map[string]any{"total": 20}},
			map[string]any{"id": "evt-buyer-big", "type": "custom", "name": "purchase", "ts": now.Add(2 * time.Second).UnixMilli(),
				"attributes": map[string]any{"total": 129.9}},
			map[string]any{"id": "evt-buyer-identify", "type": "identify", "ts": now.Add(3 * time.Second).UnixMilli(),
				"traits": map[string]any{"email": "buyer@example.com"}})
		if code, out := send(t, n, shop, b, chromeUA); code != http.StatusOK {
			t.Fatalf("batch: %d %v", code, out)
		}

		var l listBody[achievementBody]
		// An achievement that never comes fails below.
		testwait.Poll(10*time.Second, func() bool {
			l = listBody[achievementBody]{}
			if code := n.call("GET", "/api/v1/sessions/session-buyer-1/achievements", shop.Key, nil, nil, &l); code != http.StatusOK {
				t.Fatalf("session achievements: %d", code)
			}
			return len(l.Data) > 0
		})
		if len(l.Data) != 1 {
			t.Fatalf("session achievements: %+v", l.Data)
		}
		a := l.Data[0]
		if a.OutcomeID != purchase.ID || a.EventID != "evt-buyer-big" || a.VisitorID != "visitor-buyer-1" ||
			a.Value == nil || *a.Value != 129.9 || a.CustomerID == nil {
			t.Fatalf("achievement %+v", a)
		}
		var byCustomer listBody[achievementBody]
		if code := n.call("GET", "/api/v1/customers/"+*a.CustomerID+"/achievements", shop.Key, nil, nil, &byCustomer); code != http.StatusOK ||
			len(byCustomer.Data) != 1 || byCustomer.Data[0].EventID != "evt-buyer-big" {
			t.Errorf("customer achievements: %d %+v", code, byCustomer)
		}
		for query, want := range map[string]int{
			"outcomeId=" + purchase.ID:                 1,
			"outcomeId=" + thanks.ID:                   0,
			"visitorId=visitor-buyer-1":                1,
			"customerId=" + *a.CustomerID:              1,
			"sessionId=session-buyer-1&limit=1":        1,
			"sessionId=other-session-1":                0,
			"outcomeId=" + purchase.ID + "&limit=1000": 1,
		} {
			var got listBody[achievementBody]
			if code := n.call("GET", "/api/v1/achievements?"+query, shop.Key, nil, nil, &got); code != http.StatusOK || len(got.Data) != want || got.NextCursor != "" {
				t.Errorf("?%s: %d %+v", query, code, got)
			}
		}
		var p problemBody
		if code := n.call("GET", "/api/v1/achievements?outcomeId=purchase", shop.Key, nil, nil, &p); code != http.StatusBadRequest ||
			!slices.Equal(violationFields(p), []string{"outcomeId"}) {
			t.Errorf("bad filter: %d %+v", code, p)
		}

		// Another organization sees neither the session nor the achievement.
		if code := n.call("GET", "/api/v1/sessions/session-buyer-1/achievements", rival.Key, nil, nil, nil); code != http.StatusNotFound {
			t.Errorf("rival reads the session's achievements: %d", code)
		}
		var none listBody[achievementBody]
		if n.call("GET", "/api/v1/achievements", rival.Key, nil, nil, &none); len(none.Data) != 0 {
			t.Errorf("rival lists %+v", none.Data)
		}
		if code := n.call("GET", "/api/v1/sessions/session-nobody-1/achievements", shop.Key, nil, nil, nil); code != http.StatusNotFound {
			t.Errorf("unknown session: %d", code)
		}

		// Deleting the outcome deletes its achievements.
		if code := n.call("DELETE", "/api/v1/outcomes/"+purchase.ID, shop.Key, nil, nil, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		l = listBody[achievementBody]{}
		if n.call("GET", "/api/v1/sessions/session-buyer-1/achievements", shop.Key, nil, nil, &l); len(l.Data) != 0 {
			t.Errorf("achievements of a deleted outcome: %+v", l.Data)
		}
	})
}
