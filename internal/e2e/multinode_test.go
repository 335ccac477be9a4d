package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/testwait"
)

// TestTwoNodesShareOnePostgres runs two servers on one PostgreSQL database and
// checks that they behave as one service: data, keys, revocations, origins
// and customer identity are shared.
func TestTwoNodesShareOnePostgres(t *testing.T) {
	st := postgresStorage(t)
	const origin = "http://shop.e2e.test"
	org := createOrg(t, st, "multinode", origin)
	admin := createKey(t, st, org.ID, "admin", "read", "write", "admin", "gdpr")

	// Each node has its own data directory; only the database is shared.
	a := startServer(t, "node-a", Storage{DataDir: t.TempDir(), DatabaseURL: st.DatabaseURL})
	b := startServer(t, "node-b", Storage{DataDir: t.TempDir(), DatabaseURL: st.DatabaseURL})
	// Clients are made inside each subtest: their failures stop that subtest.
	admins := func(t *testing.T) (onA, onB *api) { return newAPI(t, a, admin.Key), newAPI(t, b, admin.Key) }

	t.Run("events sent to A are read on B", func(t *testing.T) {
		adminA, adminB := admins(t)
		visitor, session := clientID("v"), clientID("s")
		now := time.Now().UnixMilli()
		first := trackerBatch{SiteKey: org.SiteKey, VisitorID: visitor, SessionID: session, Events: []trackerEvent{
			{ID: clientID("e"), Type: "pageview", TS: now - 2000, URL: origin + "/products/trail-runner-2"},
			{ID: clientID("e"), Type: "custom", Name: "product_added", TS: now - 1000, URL: origin + "/products/trail-runner-2",
				Attributes: map[string]any{"sku": "TR-2", "price": 89.9}},
		}}
		mustPost(t, a, origin, first)
		second := trackerBatch{SiteKey: org.SiteKey, VisitorID: visitor, SessionID: session, Events: []trackerEvent{
			{ID: clientID("e"), Type: "pageview", TS: now, URL: origin + "/cart"},
		}}
		mustPost(t, b, origin, second)

		want := []string{first.Events[0].ID, first.Events[1].ID, second.Events[0].ID}
		for _, n := range []*api{adminA, adminB} {
			events := listAll[apiEvent](n, "/api/v1/sessions/"+session+"/events")
			var got []string
			for _, e := range events {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: session events %v, want %v (oldest first)", n.base, got, want)
			}
		}
	})

	t.Run("keys and revocations are shared", func(t *testing.T) {
		adminA, adminB := admins(t)
		var created Key
		adminA.must(http.StatusCreated, http.MethodPost, "/api/v1/keys",
			map[string]any{"name": "created-on-a", "scopes": []string{"read"}}, &created)
		if !strings.HasPrefix(created.Key, "psk_") || created.ID == "" {
			t.Fatalf("POST /api/v1/keys answered %+v, want an id and a psk_ key", created)
		}
		onA, onB := newAPI(t, a, created.Key), newAPI(t, b, created.Key)
		// Use it on both nodes first, so that any cache of either node has it.
		onB.must(http.StatusOK, http.MethodGet, "/api/v1/sessions?limit=1", nil, nil)
		onA.must(http.StatusOK, http.MethodGet, "/api/v1/sessions?limit=1", nil, nil)

		adminB.must(http.StatusNoContent, http.MethodDelete, "/api/v1/keys/"+created.ID, nil, nil)
		// "Revokes the key at once, on every node": no grace period.
		if status, body := onA.do(http.MethodGet, "/api/v1/sessions?limit=1", nil); status != http.StatusUnauthorized {
			t.Errorf("revoked on B, key still answered %d on A: %s", status, body)
		}
		if status, body := onB.do(http.MethodGet, "/api/v1/sessions?limit=1", nil); status != http.StatusUnauthorized {
			t.Errorf("revoked on B, key still answered %d on B: %s", status, body)
		}
	})

	t.Run("an origin added on A is accepted by B within 2s", func(t *testing.T) {
		adminA, _ := admins(t)
		const late = "http://late.e2e.test"
		batch := func() trackerBatch {
			return trackerBatch{SiteKey: org.SiteKey, VisitorID: clientID("v"), SessionID: clientID("s"), Events: []trackerEvent{
				{ID: clientID("e"), Type: "pageview", TS: time.Now().UnixMilli(), URL: late + "/"},
			}}
		}
		// Refused first, which also puts the organization in B's cache.
		if status, body := postBatch(t, b, late, batch()); status != http.StatusForbidden {
			t.Fatalf("origin %s not yet allowed: B answered %d, want 403: %s", late, status, body)
		}
		adminA.must(http.StatusOK, http.MethodPatch, "/api/v1/organization",
			map[string]any{"allowedOrigins": []string{origin, late}}, nil)
		patched := time.Now()
		var last string
		ok := testwait.Poll(2*time.Second, func() bool {
			status, body := postBatch(t, b, late, batch())
			last = fmt.Sprintf("%d %s", status, body)
			return status == http.StatusOK
		})
		if !ok {
			t.Fatalf("B still refused origin %s 2s after A allowed it; last answer: %s", late, last)
		}
		t.Logf("B accepted the new origin %s after the PATCH on A", time.Since(patched).Round(time.Millisecond))
	})

	t.Run("concurrent identify of one email on both nodes makes one customer", func(t *testing.T) {
		adminA, adminB := admins(t)
		const rounds = 5
		emails := make([]string, rounds)
		visitors := make([][2]string, rounds)
		for i := range rounds {
			emails[i] = fmt.Sprintf("race-%d-%s@example.test", i, randomHex(4))
			visitors[i] = [2]string{clientID("v"), clientID("v")}
			var start, wg sync.WaitGroup
			start.Add(1)
			statuses := make([]string, 2)
			for n, node := range []*Server{a, b} {
				identify := trackerBatch{SiteKey: org.SiteKey, VisitorID: visitors[i][n], SessionID: clientID("s"), Events: []trackerEvent{
					{ID: clientID("e"), Type: "identify", TS: time.Now().UnixMilli(), URL: origin + "/account",
						Traits: map[string]any{"email": emails[i], "givenName": "Ada"}},
				}}
				wg.Go(func() {
					start.Wait()
					status, body, err := sendBatch(node, origin, identify)
					statuses[n] = fmt.Sprintf("%d %s %v", status, body, err)
				})
			}
			start.Done()
			testwait.Wait(t, &wg, time.Minute, "both identify requests")
			for n, s := range statuses {
				if !strings.HasPrefix(s, "200 ") {
					t.Fatalf("round %d: identify on node %d answered %s", i, n, s)
				}
			}
		}

		customers := listAll[apiCustomer](adminB, "/api/v1/customers")
		for i, email := range emails {
			var ids []string
			for _, c := range customers {
				if e, _ := c.Traits["email"].(string); strings.EqualFold(e, email) {
					ids = append(ids, c.ID)
				}
			}
			if len(ids) != 1 {
				t.Errorf("round %d: %d customers with email %s (%v), want 1", i, len(ids), email, ids)
				continue
			}
			var c apiCustomer
			adminA.must(http.StatusOK, http.MethodGet, "/api/v1/customers/"+ids[0], nil, &c)
			for _, v := range visitors[i] {
				if !slices.Contains(c.Visitors, v) {
					t.Errorf("round %d: customer %s has visitors %v, missing %s", i, c.ID, c.Visitors, v)
				}
			}
		}
	})
}

func mustPost(t *testing.T, s *Server, origin string, b trackerBatch) {
	t.Helper()
	if status, body := postBatch(t, s, origin, b); status != http.StatusOK {
		t.Fatalf("POST %s/v1/events: status %d, want 200: %s", s.URL, status, body)
	}
}
