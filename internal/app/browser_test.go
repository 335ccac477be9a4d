package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/presage-dev/presage/internal/browsertest"
	"github.com/presage-dev/presage/internal/presage"
)

type journeyEvent struct {
	ID         string             `json:"id"`
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId"`
	Seq        int64              `json:"seq"`
	Type       string             `json:"type"`
	Name       string             `json:"name"`
	URL        string             `json:"url"`
	OccurredAt time.Time          `json:"occurredAt"`
	Attributes map[string]any     `json:"attributes"`
	Context    presage.Enrichment `json:"context"`
}

// step is what the test expects of one event: its type, name and URL path.
func (e journeyEvent) step() string {
	u, _ := url.Parse(e.URL)
	s := e.Type
	if e.Name != "" {
		s += ":" + e.Name
	}
	return s + " " + u.Path
}

// TestDemoJourneyInBrowser is the end-to-end test: the real server, the demo
// shop in headless Chromium, and the journey read back through the API.
func TestDemoJourneyInBrowser(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	ctx := browsertest.New(t)
	key := n.App.Demo.Key

	events := func() []journeyEvent {
		var sessions listBody[struct{ ID string }]
		n.call("GET", "/api/v1/sessions", key, nil, nil, &sessions)
		var all []journeyEvent
		for _, s := range sessions.Data {
			cursor := ""
			for {
				var page listBody[journeyEvent]
				n.call("GET", "/api/v1/sessions/"+s.ID+"/events?limit=7&cursor="+cursor, key, nil, nil, &page)
				all = append(all, page.Data...)
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
		}
		return all
	}
	has := func(step string) func() bool {
		return func() bool {
			for _, e := range events() {
				if e.step() == step {
					return true
				}
			}
			return false
		}
	}
	wait := func(step string) { browsertest.WaitFor(t, 15*time.Second, step, has(step)) }

	// Page one: the home page, where the visitor accepts the consent banner
	// (nothing is tracked before); page two: a product, added to the cart.
	browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/"))
	browsertest.ClickText(t, ctx, "#presage-consent", "Accept all")
	wait("pageview /demo/")
	browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/products/BOT-TRL"),
		chromedp.Click("#add-to-cart"), chromedp.WaitVisible("#added-message"))
	wait("custom:product_added /demo/products/BOT-TRL")

	// Page three: the single-page deals app, with a client-side route change.
	browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/app/"), chromedp.Click("#deals-link"))
	wait("pageview /demo/app/deals")

	// Offline: the next route change cannot be sent; back online it arrives once.
	sends := browsertest.WatchRequests(t, ctx, "/v1/events")
	browsertest.SetOffline(t, ctx, true)
	browsertest.Do(t, ctx, chromedp.Click("#winter-link"), chromedp.WaitVisible("#deals-title"))
	browsertest.WaitFor(t, 15*time.Second, "the tracker to try, and fail, to send", func() bool { return sends.Failed() > 0 })
	if has("pageview /demo/app/deals/winter")() {
		t.Fatal("an event reached the server while the browser was offline")
	}
	browsertest.SetOffline(t, ctx, false)
	wait("pageview /demo/app/deals/winter")

	// Identify on the sign-in page.
	browsertest.Do(t, ctx, chromedp.Navigate(n.URL+"/demo/signin"),
		chromedp.SendKeys("#signin-email", "ada@example.com"), chromedp.SendKeys("#signin-name", "Ada"),
		chromedp.Click("#signin-submit"), chromedp.WaitVisible("#signin-welcome"))
	wait("identify /demo/signin")

	sessionID := browsertest.Eval[string](t, ctx, `new Promise(r => ac('api.session.getId', (err, id) => r(id)))`)

	got := events()
	var steps []string
	seen := map[string]bool{}
	var last time.Time
	var lastSeq int64
	for _, e := range got {
		if seen[e.ID] {
			t.Errorf("event %s stored twice", e.ID)
		}
		seen[e.ID] = true
		if e.SessionID != sessionID || e.VisitorID == "" {
			t.Errorf("event %s in session %q, want the browser's session %q", e.ID, e.SessionID, sessionID)
		}
		if e.OccurredAt.Before(last) || (e.OccurredAt.Equal(last) && e.Seq < lastSeq) {
			t.Errorf("event %s out of order", e.ID)
		}
		last, lastSeq = e.OccurredAt, e.Seq
		if e.Context.Device != "desktop" || e.Context.Browser != "Chrome" || e.Context.OS != "Linux" {
			t.Errorf("event %s enrichment = %+v", e.ID, e.Context)
		}
		if e.Type == "scroll" { // depends on the window's height: checked, not listed
			if p, ok := e.Attributes["percent"].(float64); !ok || p <= 0 || p > 100 {
				t.Errorf("scroll event attributes = %v", e.Attributes)
			}
			continue
		}
		steps = append(steps, e.step())
	}
	want := []string{
		"pageview /demo/",
		"pageview /demo/products/BOT-TRL",
		"custom:product_added /demo/products/BOT-TRL",
		"pageview /demo/app/",
		"pageview /demo/app/deals",
		"pageview /demo/app/deals/winter",
		"pageview /demo/signin",
		"form_start:signin /demo/signin",
		"form_submit:signin /demo/signin",
		"identify /demo/signin",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("journey:\n  %s\nwant:\n  %s", strings.Join(steps, "\n  "), strings.Join(want, "\n  "))
	}
	for _, e := range got {
		if e.Type == "custom" && (e.Attributes["sku"] != "BOT-TRL" || e.Attributes["currency"] != "EUR") {
			t.Errorf("product_added attributes = %v", e.Attributes)
		}
	}

	var session struct {
		ID         string             `json:"id"`
		EventCount int                `json:"eventCount"`
		IPPrefix   string             `json:"ipPrefix"`
		Context    presage.Enrichment `json:"context"`
		LandingURL string             `json:"landingUrl"`
	}
	n.call("GET", "/api/v1/sessions/"+sessionID, key, nil, nil, &session)
	if session.EventCount != len(got) || session.IPPrefix != "127.0.0.0/24" ||
		session.Context.ReferrerClass != "direct" || !strings.HasSuffix(session.LandingURL, "/demo/") {
		t.Errorf("session = %+v (with %d events)", session, len(got))
	}
	var customers listBody[struct {
		Traits map[string]any `json:"traits"`
	}]
	n.call("GET", "/api/v1/customers", key, nil, nil, &customers)
	if len(customers.Data) != 1 || customers.Data[0].Traits["email"] != "ada@example.com" {
		t.Errorf("customers = %+v", customers.Data)
	}
	t.Logf("journey of %d events: %s", len(got), fmt.Sprint(steps))
}
