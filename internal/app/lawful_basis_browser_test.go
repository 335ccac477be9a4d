package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/presage-dev/presage/internal/browsertest"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// genesysPage serves, on an origin of its own, a page with the Genesys
// Predictive Engagement snippet unchanged but for the script URL and the
// organization id.
func genesysPage(t *testing.T, nodeURL string) (*httptest.Server, *string) {
	t.Helper()
	orgID := new(string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Genesys page</title>
<script>
(function(a,t,c,l,o,u,d){a['_genesysJourneySdk']=o;a[o]=a[o]||function(){(a[o].q=a[o].q||[]).push(arguments)},a[o].l=1*new Date();u=t.createElement(c),d=t.getElementsByTagName(c)[0];u.async=1;u.src=l;u.charset='utf-8';d.parentNode.insertBefore(u,d)})(window,document,'script','%s/sdk.js','ac');
ac('init', '%s', {region: 'use1'});
ac('pageview');
</script>
</head><body><h1>Welcome</h1><p>A page written for Genesys.</p></body></html>`, nodeURL, *orgID)
	}))
	t.Cleanup(srv.Close)
	return srv, orgID
}

// genesysTenant is an organization whose only allowed origin is origin, with
// the defaults every new one gets (analytics on consent) and an admin key.
func genesysTenant(t *testing.T, n *node, name, origin string) tenantFixture {
	t.Helper()
	ctx := context.Background()
	org, err := n.App.Tenants.CreateOrganization(presage.AsOperator(ctx, ""), name, []string{origin})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := n.App.Tenants.CreateKey(presage.AsOperator(ctx, org.ID), "admin", presage.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	return tenantFixture{Org: org, Key: key}
}

func bannerText(t *testing.T, ctx context.Context) string {
	return browsertest.Eval[string](t, ctx, `document.querySelector('#presage-consent')?.shadowRoot?.querySelector('[role=dialog]')?.innerText || ''`)
}

// analyticsText is the banner's paragraph about analytics.
func analyticsText(t *testing.T, ctx context.Context) string {
	return browsertest.Eval[string](t, ctx, `[...(document.querySelector('#presage-consent')?.shadowRoot?.querySelectorAll('[role=dialog] p, [role=dialog] label') || [])]
		.map(e => e.innerText).find(s => /^Analytics\b/.test(s)) || ''`)
}

// TestLawfulBasisOnAGenesysPage drives, in Chromium, a page written for
// Genesys (the snippet unchanged but for the script URL and the org id) on
// an origin of its own: an organization on consent tracks nothing before a
// decision; once analytics moves to legitimate interest the tracker tracks at
// once, the banner says so, and an objection from the page stops it, is
// recorded, and is honoured by another node on the same database.
func TestLawfulBasisOnAGenesysPage(t *testing.T) {
	clock := newTestClock()
	cfg := Config{DataDir: t.TempDir(), DatabaseURL: storetest.PostgresURL(t), Now: clock.Now}
	a := startNode(t, cfg)
	b := startNode(t, cfg)

	t.Run("consent: nothing before a decision", func(t *testing.T) {
		page, orgID := genesysPage(t, a.URL)
		shop := genesysTenant(t, a, "GenesysConsent", page.URL)
		*orgID = shop.Org.ID
		before := a.requests(t, "POST /v1/events")

		ctx := browsertest.New(t)
		browsertest.Do(t, ctx, chromedp.Navigate(page.URL+"/"))
		browsertest.WaitFor(t, 10*time.Second, "the consent banner", func() bool { return bannerShown(t, ctx) })
		if txt := bannerText(t, ctx); !strings.Contains(txt, "If you agree") {
			t.Errorf("banner text %q does not ask for consent", txt)
		}
		if browsertest.Poll(2*time.Second, func() bool { return a.requests(t, "POST /v1/events") != before }) {
			t.Error("the tracker sent events before a decision")
		}
		var ss listBody[struct{ ID string }]
		if code := a.call("GET", "/api/v1/sessions", shop.Key, nil, nil, &ss); code != 200 || len(ss.Data) != 0 {
			t.Errorf("sessions before a decision: %d %+v", code, ss.Data)
		}
		if got := browsertest.CookieNames(t, ctx); len(got) != 0 {
			t.Errorf("cookies before a decision: %v", got)
		}
	})

	t.Run("legitimate interest: tracked at once, objection honoured everywhere", func(t *testing.T) {
		page, orgID := genesysPage(t, a.URL)
		shop := genesysTenant(t, a, "GenesysLI", page.URL)
		*orgID = shop.Org.ID

		var put struct {
			Data []struct {
				Name  string `json:"name"`
				Basis string `json:"basis"`
			} `json:"data"`
			Published []struct {
				Version int               `json:"version"`
				Texts   map[string]string `json:"texts"`
			} `json:"published"`
		}
		body := map[string]any{"purposes": []map[string]any{{"name": "analytics", "basis": "legitimate_interest",
			"description": "Understanding how the site is used."}}}
		if code := a.call("PUT", "/api/v1/purposes", shop.Key, body, nil, &put); code != 200 || len(put.Published) != 1 ||
			put.Published[0].Version != 2 || !strings.Contains(put.Published[0].Texts["analytics"], "legitimate interest") ||
			!strings.Contains(put.Published[0].Texts["analytics"], "right to object") {
			t.Fatalf("PUT purposes: %d %+v", code, put)
		}
		var view struct {
			Purposes []struct {
				Name  string `json:"name"`
				Basis string `json:"basis"`
			} `json:"purposes"`
			Notice struct {
				Version int `json:"version"`
			} `json:"notice"`
		}
		if code := b.call("GET", "/v1/consent?siteKey="+shop.Org.ID+"&lang=en", "", nil, map[string]string{"Origin": page.URL}, &view); code != 200 ||
			view.Notice.Version != 2 || !slices.ContainsFunc(view.Purposes, func(p struct {
			Name  string `json:"name"`
			Basis string `json:"basis"`
		}) bool {
			return p.Name == "analytics" && p.Basis == "legitimate_interest"
		}) {
			t.Fatalf("consent view on node b: %d %+v", code, view)
		}

		ctx := browsertest.New(t)
		browsertest.Do(t, ctx, chromedp.Navigate(page.URL+"/"))
		browsertest.WaitFor(t, 10*time.Second, "the visitor cookie", func() bool { return browsertest.Cookie(t, ctx, "_presage_vid") != nil })
		visitor := browsertest.Cookie(t, ctx, "_presage_vid").Value
		events := func() []journeyEvent {
			var ss listBody[struct{ ID string }]
			a.call("GET", "/api/v1/sessions?visitorId="+visitor, shop.Key, nil, nil, &ss)
			var all []journeyEvent
			for _, s := range ss.Data {
				var l listBody[journeyEvent]
				a.call("GET", "/api/v1/sessions/"+s.ID+"/events?limit=1000", shop.Key, nil, nil, &l)
				all = append(all, l.Data...)
			}
			return all
		}
		browsertest.WaitFor(t, 10*time.Second, "the pageview, without any decision", func() bool {
			return slices.ContainsFunc(events(), func(e journeyEvent) bool { return e.Type == "pageview" })
		})
		if got := ledgerRecords(t, a, shop); got != 0 {
			t.Errorf("ledger has %d records before any decision", got)
		}
		// The engagement purposes still rest on consent: the banner asks
		// for them, and tells of analytics on legitimate interest.
		browsertest.WaitFor(t, 10*time.Second, "the banner", func() bool { return bannerShown(t, ctx) })
		if txt := analyticsText(t, ctx); txt == "" || strings.Contains(txt, "If you agree") || !strings.Contains(txt, "legitimate interest") {
			t.Errorf("banner's analytics text %q does not match its basis (banner: %q)", txt, bannerText(t, ctx))
		}

		// Node b, on the same database, accepts the visitor before the objection.
		start := clock.Now()
		for i := 0; ; i++ {
			code, p := eventsFor(t, b, shop, visitor, fmt.Sprintf("evt-b-before-%d-", i), 1)
			if code == 200 {
				break
			}
			if clock.Now().Sub(start) > 2*time.Second {
				t.Fatalf("node b never accepted the visitor on legitimate interest: %d %+v", code, p)
			}
			clock.Advance(50 * time.Millisecond)
		}

		browsertest.Eval[bool](t, ctx, `ac('consent', 'withdraw'), true`)
		if r := onlyRecord(t, a, shop, visitor); r.Action != "withdraw" || r.Decisions["analytics"] != "objected" {
			t.Errorf("ledger record = %+v, want a withdrawal objecting to analytics", r)
		}
		var raw struct {
			Records []struct {
				NoticeVersion int `json:"noticeVersion"`
			} `json:"records"`
		}
		a.call("GET", "/api/v1/consents/"+visitor, shop.Key, nil, nil, &raw)
		if len(raw.Records) != 1 || raw.Records[0].NoticeVersion != 2 {
			t.Errorf("the withdrawal does not name notice 2: %+v", raw.Records)
		}
		browsertest.WaitFor(t, 5*time.Second, "the ids to be removed", func() bool {
			return browsertest.Cookie(t, ctx, "_presage_vid") == nil && browsertest.Cookie(t, ctx, "_presage_sid") == nil
		})

		withdrawn := clock.Now()
		for i := 0; ; i++ {
			code, p := eventsFor(t, b, shop, visitor, fmt.Sprintf("evt-b-after-%d-", i), 1)
			if code == 403 {
				if !strings.HasSuffix(p.Type, "/consent_required") {
					t.Errorf("refusal on node b: %+v", p)
				}
				break
			}
			if clock.Now().Sub(withdrawn) > time.Second {
				t.Fatalf("node b still accepts events %v after the objection: %d", clock.Now().Sub(withdrawn), code)
			}
			clock.Advance(20 * time.Millisecond)
		}
		if code, p := eventsFor(t, a, shop, visitor, "evt-a-after-", 1); code != 403 || !strings.HasSuffix(p.Type, "/consent_required") {
			t.Errorf("node a after the objection: %d %+v", code, p)
		}

		// ac('consent', 'object') records an objection.
		ctx2 := browsertest.New(t)
		browsertest.Do(t, ctx2, chromedp.Navigate(page.URL+"/"))
		browsertest.WaitFor(t, 10*time.Second, "the visitor cookie", func() bool { return browsertest.Cookie(t, ctx2, "_presage_vid") != nil })
		visitor2 := browsertest.Cookie(t, ctx2, "_presage_vid").Value
		browsertest.Eval[bool](t, ctx2, `ac('consent', 'object'), true`)
		if r := onlyRecord(t, a, shop, visitor2); r.Action != "object" || r.Decisions["analytics"] != "objected" {
			t.Errorf("ledger record = %+v, want an objection to analytics", r)
		}
		browsertest.WaitFor(t, 5*time.Second, "the ids to be removed", func() bool { return browsertest.Cookie(t, ctx2, "_presage_vid") == nil })
	})
}

// onlyRecord waits until visitor's ledger history holds one record and
// returns it.
func onlyRecord(t *testing.T, n *node, tf tenantFixture, visitor string) demoRecord {
	t.Helper()
	var hist demoHistory
	browsertest.WaitFor(t, 10*time.Second, "the visitor's decision in the ledger", func() bool {
		n.call("GET", "/api/v1/consents/"+visitor, tf.Key, nil, nil, &hist)
		return len(hist.Records) == 1
	})
	return hist.Records[0]
}
