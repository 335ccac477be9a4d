package app

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/presage-dev/presage/internal/browsertest"
	"github.com/presage-dev/presage/internal/presage"
)

// device is one browser profile of the visitor: its own visitor-id cookie.
type device struct {
	ctx     context.Context
	visitor string
}

// shopOnDevice browses the demo in a fresh Chromium: consent, a search, a
// product added to the cart, and a sign-in with email.
func shopOnDevice(t *testing.T, n *node, email string) device {
	t.Helper()
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/"))
	browsertest.ClickText(t, ctx, consentHost, "Accept all")
	browsertest.WaitFor(t, 10*time.Second, "the visitor cookie", func() bool { return browsertest.Cookie(t, ctx, "_presage_vid") != nil })
	browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/products?q=jacket"),
		chromedp.Navigate(n.URL+"/demo/products/BOT-TRL"), chromedp.Click("#add-to-cart"), chromedp.WaitVisible("#added-message"),
		chromedp.Navigate(n.URL+"/demo/signin"), chromedp.SendKeys("#signin-email", email), chromedp.SendKeys("#signin-name", "Ada"),
		chromedp.Click("#signin-submit"), chromedp.WaitVisible("#signin-welcome"))
	d := device{ctx: ctx, visitor: browsertest.Cookie(t, ctx, "_presage_vid").Value}
	browsertest.WaitFor(t, 15*time.Second, "the identify of "+d.visitor, func() bool {
		_, events := visitorJourney(t, n, n.App.Demo.Key, d.visitor)
		return slices.ContainsFunc(events, func(e journeyEvent) bool { return e.Type == "identify" })
	})
	return d
}

// TestGDPRRoundTripInTheBrowser: one customer on two devices of the demo
// shop, found, exported, rectified and erased through the v1 API; after the
// erasure nothing of the subject is left in any column of any table, the
// collector refuses the old visitor, and the consent ledger is intact.
func TestGDPRRoundTripInTheBrowser(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		start := time.Now()
		cfg.Logger = errorLog(t)
		n := startNode(t, cfg)
		key := n.App.Demo.Key
		const email, newEmail = "ada.lovelace@example.com", "ada.byron@example.com"

		// The second device types the address in another case (its email
		// input strips the spaces, as browsers do).
		devices := []device{shopOnDevice(t, n, email), shopOnDevice(t, n, " Ada.Lovelace@Example.com ")}
		visitors := []string{devices[0].visitor, devices[1].visitor}
		if visitors[0] == visitors[1] {
			t.Fatalf("both devices have visitor %s", visitors[0])
		}
		// Close the browsers, so the journey no longer changes while it is
		// compared with the export.
		for _, d := range devices {
			if err := chromedp.Cancel(d.ctx); err != nil {
				t.Fatal(err)
			}
		}
		var sessions []string
		events := map[string]bool{}
		for _, v := range visitors {
			ss, es := visitorJourney(t, n, key, v)
			if len(ss) == 0 || len(es) == 0 {
				t.Fatalf("visitor %s: %d sessions, %d events", v, len(ss), len(es))
			}
			sessions = append(sessions, ss...)
			for _, e := range es {
				events[e.ID] = true
			}
		}
		for _, s := range sessions {
			browsertest.WaitFor(t, 15*time.Second, "predictions of "+s, func() bool {
				var l listBody[predictionBody]
				return n.call("GET", "/api/v1/sessions/"+s+"/predictions", key, nil, nil, &l) == 200 && len(l.Data) > 0
			})
		}

		// Search: by email and by each device, the one customer with both.
		matches := searchSubjects(t, n, key, "email", email)
		if len(matches) != 1 || matches[0].CustomerID == nil || !sameSet(matches[0].VisitorIDs, visitors) ||
			matches[0].Counts["events"] != int64(len(events)) || matches[0].Counts["sessions"] != int64(len(sessions)) {
			t.Fatalf("search by email: %+v, want visitors %v, %d events, %d sessions", matches, visitors, len(events), len(sessions))
		}
		customer := *matches[0].CustomerID
		for _, v := range visitors {
			if m := searchSubjects(t, n, key, "visitor_id", v); len(m) != 1 || m[0].CustomerID == nil || *m[0].CustomerID != customer {
				t.Errorf("search by visitor %s: %+v", v, m)
			}
		}

		// Export: the whole subject in one bundle.
		exp := serveGDPR(t, n, key, "export", email, nil)
		var bundle struct {
			Files struct {
				Customers []struct {
					ID         string         `json:"id"`
					Traits     map[string]any `json:"traits"`
					VisitorIDs []string       `json:"visitorIds"`
				} `json:"customers.json"`
				Visitors    []struct{ ID string } `json:"visitors.json"`
				Sessions    []struct{ ID string } `json:"sessions.json"`
				Events      []struct{ ID string } `json:"events.json"`
				Predictions []struct {
					SessionID string `json:"sessionId"`
				} `json:"predictions.json"`
				Consent struct {
					Records []struct {
						VisitorID string `json:"visitorId"`
						Action    string `json:"action"`
					} `json:"records"`
					Notices []struct {
						Texts map[string]string `json:"texts"`
					} `json:"notices"`
				} `json:"consent_history.json"`
				Requests []struct{ ID string } `json:"requests.json"`
			} `json:"files"`
		}
		if code := n.call("GET", "/api/v1/gdpr/requests/"+exp.ID+"/export", key, nil, nil, &bundle); code != 200 {
			t.Fatalf("download export: %d", code)
		}
		f := bundle.Files
		if len(f.Customers) != 1 || f.Customers[0].ID != customer || !sameSet(f.Customers[0].VisitorIDs, visitors) ||
			!strings.EqualFold(strings.TrimSpace(asString(f.Customers[0].Traits["email"])), email) {
			t.Errorf("export customers: %+v", f.Customers)
		}
		ids := func(n int, id func(int) string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = id(i)
			}
			return out
		}
		if got := ids(len(f.Visitors), func(i int) string { return f.Visitors[i].ID }); !sameSet(got, visitors) {
			t.Errorf("export visitors %v, want %v", got, visitors)
		}
		if got := ids(len(f.Sessions), func(i int) string { return f.Sessions[i].ID }); !sameSet(got, sessions) {
			t.Errorf("export sessions %v, want %v", got, sessions)
		}
		if got := ids(len(f.Events), func(i int) string { return f.Events[i].ID }); !sameSet(got, keysOf(events)) {
			t.Errorf("export has %d events, the API %d", len(got), len(events))
		}
		if got := ids(len(f.Predictions), func(i int) string { return f.Predictions[i].SessionID }); len(got) == 0 ||
			!sameSet(dedup(got), sessions) {
			t.Errorf("export predictions of sessions %v, want %v", got, sessions)
		}
		consented := map[string]bool{}
		for _, r := range f.Consent.Records {
			if r.Action == "grant" {
				consented[r.VisitorID] = true
			}
		}
		if !consented[visitors[0]] || !consented[visitors[1]] || len(f.Consent.Notices) == 0 || len(f.Consent.Notices[0].Texts) == 0 {
			t.Errorf("export consent history: %+v", f.Consent)
		}
		if !slices.ContainsFunc(f.Requests, func(r struct{ ID string }) bool { return r.ID == exp.ID }) {
			t.Errorf("export requests %+v lack %s", f.Requests, exp.ID)
		}

		// Rectify the email.
		serveGDPR(t, n, key, "rectify", email, []map[string]any{{"type": "email", "existingValue": email, "updatedValue": newEmail}})
		if m := searchSubjects(t, n, key, "email", email); len(m) != 0 {
			t.Errorf("search by the old email after rectification: %+v", m)
		}
		if m := searchSubjects(t, n, key, "email", newEmail); len(m) != 1 || m[0].CustomerID == nil || *m[0].CustomerID != customer {
			t.Errorf("search by the new email after rectification: %+v", m)
		}
		var cust struct {
			Traits map[string]any `json:"traits"`
		}
		if code := n.call("GET", "/api/v1/customers/"+customer, key, nil, nil, &cust); code != 200 || cust.Traits["email"] != newEmail {
			t.Errorf("customer after rectification: %d %+v", code, cust)
		}

		// Erase.
		erasedAt := time.Now()
		if r := serveGDPR(t, n, key, "erase", newEmail, nil); r.Result == nil || r.Result.NothingHeld {
			t.Fatalf("erasure: %+v", r)
		}
		t.Logf("erasure took %v", time.Since(erasedAt))
		needles := append([]string{customer, email, newEmail}, visitors...)
		needles = append(append(needles, sessions...), keysOf(events)...)
		if hits := findInDatabase(t, cfg, needles); len(hits) > 0 {
			t.Errorf("the erased subject is still in the database:\n  %s", strings.Join(hits, "\n  "))
		}
		for _, list := range []string{"/api/v1/customers", "/api/v1/visitors", "/api/v1/sessions"} {
			var l listBody[map[string]any]
			if code := n.call("GET", list+"?limit=1000", key, nil, nil, &l); code != 200 {
				t.Fatalf("GET %s: %d", list, code)
			}
			raw, _ := json.Marshal(l.Data)
			for _, id := range append([]string{customer}, append(visitors, sessions...)...) {
				if strings.Contains(string(raw), id) {
					t.Errorf("GET %s still lists %s", list, id)
				}
			}
		}
		for _, path := range append([]string{"/api/v1/customers/" + customer, "/api/v1/visitors/" + visitors[0],
			"/api/v1/visitors/" + visitors[1]}, prefixed("/api/v1/sessions/", sessions)...) {
			if code := n.call("GET", path, key, nil, nil, nil); code != 404 {
				t.Errorf("GET %s after the erasure: %d, want 404", path, code)
			}
		}
		for _, v := range visitors {
			if m := searchSubjects(t, n, key, "visitor_id", v); len(m) != 0 {
				t.Errorf("search by visitor %s after the erasure: %+v", v, m)
			}
		}
		if code := n.call("GET", "/api/v1/gdpr/requests/"+exp.ID+"/export", key, nil, nil, nil); code != 404 {
			t.Errorf("the earlier export of the erased subject still downloads: %d", code)
		}

		// A late event of the old device is refused and not stored.
		var p problemBody
		late := batch(n.App.Demo.Org.SiteKey, visitors[0], "session-late", "evt-late-", 1, time.Now())
		if code := n.call("POST", "/v1/events", "", late, map[string]string{"Origin": n.URL, "User-Agent": chromeUA}, &p); code != 403 ||
			!strings.HasSuffix(p.Type, "/consent_required") || !strings.Contains(p.Detail, "erased") {
			t.Errorf("late event of the erased visitor: %d %+v", code, p)
		}
		if ss, _ := visitorJourney(t, n, key, visitors[0]); len(ss) != 0 {
			t.Errorf("the late event made sessions %v", ss)
		}

		// The ledger, anonymized, still verifies.
		admin := presage.WithPrincipal(context.Background(), presage.Principal{OrgID: n.App.Demo.Org.ID, Scopes: presage.AllScopes})
		if rep, err := n.App.Consents.Verify(admin); err != nil || !rep.OK || rep.Records < 2 {
			t.Errorf("ledger after the erasure: %+v %v", rep, err)
		}
		t.Logf("round trip took %v", time.Since(start))
	})
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func dedup(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func prefixed(prefix string, s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		out = append(out, prefix+v)
	}
	return out
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
