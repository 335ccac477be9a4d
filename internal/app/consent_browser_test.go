package app

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/presage-dev/presage/internal/browsertest"
)

const consentHost = "#presage-consent"

// requests counts the requests the server answered on one route (all status
// codes), read from /metrics: every request the browser makes to the
// collector lands here.
func (n *node) requests(t *testing.T, route string) int {
	t.Helper()
	resp, err := http.Get(n.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`presage_http_requests_total\{code="\d+",method="[A-Z]+",route="` + regexp.QuoteMeta(route) + `"\} (\d+)`)
	total := 0
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		v, _ := strconv.Atoi(m[1])
		total += v
	}
	return total
}

func presageStorage(t *testing.T, ctx context.Context) string {
	return browsertest.Eval[string](t, ctx, `Object.keys(localStorage).concat(Object.keys(sessionStorage)).filter(k => k.startsWith('_presage')).join(',')`)
}

func bannerShown(t *testing.T, ctx context.Context) bool {
	return browsertest.Eval[bool](t, ctx, `!!document.querySelector('#presage-consent')?.shadowRoot?.querySelector('[role=dialog]')`)
}

type demoHistory struct {
	Records []demoRecord `json:"records"`
}

type demoRecord struct {
	Action     string            `json:"action"`
	Decisions  map[string]string `json:"decisions"`
	RecordedAt time.Time         `json:"recordedAt"`
	Artefact   map[string]any    `json:"artefact"`
}

// TestConsentOnTheDemoInBrowser drives the demo shop's consent banner in
// Chromium against the real server: nothing before a decision, nothing after
// a rejection, events after acceptance, and nothing at all after a
// withdrawal from the Privacy settings link.
func TestConsentOnTheDemoInBrowser(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	key := n.App.Demo.Key
	ledger := func() int64 {
		var rep struct{ Records int64 }
		n.call("GET", "/api/v1/consent/verify", key, nil, nil, &rep)
		return rep.Records
	}
	sessions := func() int {
		var l listBody[struct{ ID string }]
		n.call("GET", "/api/v1/sessions", key, nil, nil, &l)
		return len(l.Data)
	}

	t.Run("nothing before a decision, nothing after a rejection", func(t *testing.T) {
		ctx := browsertest.New(t)
		before := n.requests(t, "POST /v1/events")
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/"))
		browsertest.WaitFor(t, 10*time.Second, "the consent banner", func() bool { return bannerShown(t, ctx) })
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/products/BOT-TRL"), chromedp.Click("#add-to-cart"))
		browsertest.WaitFor(t, 10*time.Second, "the consent banner", func() bool { return bannerShown(t, ctx) })
		if got := browsertest.CookieNames(t, ctx); len(got) != 0 {
			t.Errorf("cookies before a decision: %v", got)
		}
		if s := presageStorage(t, ctx); s != "" {
			t.Errorf("storage before a decision: %s", s)
		}
		if n.requests(t, "POST /v1/consent") != 0 || n.requests(t, "POST /v1/events") != before {
			t.Error("the tracker sent something before a decision")
		}

		browsertest.ClickText(t, ctx, consentHost, "Reject all")
		browsertest.WaitFor(t, 10*time.Second, "the recorded rejection", func() bool { return ledger() == 1 })
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/products/BOT-TRL"), chromedp.Click("#add-to-cart"),
			chromedp.Navigate(n.URL+"/demo/app/"), chromedp.Click("#deals-link"))
		// Nothing may arrive, so there is no event to wait for: watch for
		// longer than the tracker's flush delay (1 s) and fail as soon as
		// something arrives.
		if browsertest.Poll(2*time.Second, func() bool { return n.requests(t, "POST /v1/events") != before || sessions() != 0 }) {
			t.Error("events reached the collector after a rejection")
		}
		if got := browsertest.CookieNames(t, ctx); !slices.Equal(got, []string{"_presage_consent"}) {
			t.Errorf("cookies after rejecting: %v, want only the recorded choice", got)
		}
		if bannerShown(t, ctx) {
			t.Error("the banner asks again after the visitor answered")
		}
	})

	t.Run("accept, then withdraw from Privacy settings", func(t *testing.T) {
		ctx := browsertest.New(t)
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/"))
		browsertest.ClickText(t, ctx, consentHost, "Accept all")
		browsertest.WaitFor(t, 10*time.Second, "the first session", func() bool { return sessions() == 1 })
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/products/BOT-TRL"), chromedp.Click("#add-to-cart"),
			chromedp.WaitVisible("#added-message"))
		visitor := browsertest.Cookie(t, ctx, "_presage_vid").Value
		events := func() []journeyEvent {
			var l listBody[journeyEvent]
			var ss listBody[struct{ ID, VisitorID string }]
			n.call("GET", "/api/v1/sessions?visitorId="+visitor, key, nil, nil, &ss)
			var all []journeyEvent
			for _, s := range ss.Data {
				n.call("GET", "/api/v1/sessions/"+s.ID+"/events?limit=1000", key, nil, nil, &l)
				all = append(all, l.Data...)
			}
			return all
		}
		browsertest.WaitFor(t, 10*time.Second, "the product_added event", func() bool {
			return slices.ContainsFunc(events(), func(e journeyEvent) bool { return e.Name == "product_added" })
		})

		browsertest.ClickText(t, ctx, "", "Privacy settings") // the footer link
		browsertest.ClickText(t, ctx, consentHost, "Withdraw all")
		var hist demoHistory
		browsertest.WaitFor(t, 10*time.Second, "the recorded withdrawal", func() bool {
			n.call("GET", "/api/v1/consents/"+visitor, key, nil, nil, &hist)
			return len(hist.Records) == 2 && hist.Records[1].Action == "withdraw"
		})
		withdrawnAt := hist.Records[1].RecordedAt
		if got := browsertest.CookieNames(t, ctx); !slices.Equal(got, []string{"_presage_consent"}) {
			t.Errorf("cookies after withdrawing: %v, want only the recorded choice", got)
		}
		if s := presageStorage(t, ctx); s != "" {
			t.Errorf("storage after withdrawing: %s", s)
		}
		sent := n.requests(t, "POST /v1/events")
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/products/JKT-ALP"))
		browsertest.Do(t, ctx, chromedp.Click("#add-to-cart"))
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/app/"))
		browsertest.Do(t, ctx, chromedp.Click("#deals-link"))
		browsertest.Do(t, ctx, chromedp.Click("#winter-link"))
		browsertest.Eval[bool](t, ctx, `document.dispatchEvent(new Event('visibilitychange')), true`)
		// As after the rejection: watch past the flush delay, fail at the
		// first request.
		got := sent
		if browsertest.Poll(2*time.Second, func() bool { got = n.requests(t, "POST /v1/events"); return got != sent }) {
			t.Errorf("%d requests reached the collector after the withdrawal", got-sent)
		}
		for _, e := range events() {
			if !e.OccurredAt.Before(withdrawnAt) {
				t.Errorf("event %s %s at %v is not before the withdrawal at %v", e.Type, e.Name, e.OccurredAt, withdrawnAt)
			}
		}
		if len(events()) == 0 {
			t.Error("the events collected before the withdrawal are gone; they were lawful and must stay")
		}
	})

	t.Run("Global Privacy Control objects to marketing", func(t *testing.T) {
		ctx := browsertest.New(t)
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true})`,
		}); err != nil {
			t.Fatal(err)
		}
		browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/"))
		browsertest.ClickText(t, ctx, consentHost, "Accept all")
		browsertest.WaitFor(t, 10*time.Second, "tracking to start", func() bool { return browsertest.Cookie(t, ctx, "_presage_vid") != nil })
		visitor := browsertest.Cookie(t, ctx, "_presage_vid").Value
		var hist demoHistory
		n.call("GET", "/api/v1/consents/"+visitor, key, nil, nil, &hist)
		if len(hist.Records) != 1 || hist.Records[0].Decisions["marketing"] != "objected" || hist.Records[0].Decisions["analytics"] != "granted" {
			t.Fatalf("ledger = %+v", hist.Records)
		}
		if sig, _ := hist.Records[0].Artefact["signals"].(map[string]any); sig["gpc"] != true {
			t.Errorf("the GPC signal is not in the record's artefact: %v", hist.Records[0].Artefact)
		}
		org := n.App.Demo.Org.ID
		if ok, err := n.App.Consents.EngagementAllowed(context.Background(), org, visitor, "marketing"); ok || err != nil {
			t.Errorf("a marketing offer is allowed despite GPC (%v)", err)
		}
		if ok, _ := n.App.Consents.TrackingAllowed(context.Background(), org, visitor); !ok {
			t.Error("analytics, which the visitor accepted, is refused")
		}
	})
}
