package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/presage-dev/presage/internal/browsertest"
	"github.com/presage-dev/presage/internal/web/tracker"
)

// consentInfo is what GET /v1/consent answers (docs/consent.md).
const consentInfo = `{"purposes": [{"name": "analytics", "basis": "consent", "description": "Journey analytics"}],
  "notice": {"version": 1, "language": "en", "title": "Your privacy at Presage Outfitters",
    "texts": {"analytics": "We record the pages you visit and what you add to your cart, to improve the shop."}}}`

// clickConsent clicks the consent UI's button with the given text (in the
// tracker's shadow root) with a real mouse click.
func clickConsent(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	browsertest.ClickText(t, ctx, "#presage-consent", text)
}

// TestShopInBrowser drives the shop with the real tracker against a
// collector that records request bodies: the visitor accepts the consent
// banner first, and withdraws at the end from the footer's Privacy settings.
func TestShopInBrowser(t *testing.T) {
	b, err := tracker.Build()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bodies, decisions []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/consent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(consentInfo))
	})
	mux.HandleFunc("POST /v1/consent", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		decisions = append(decisions, string(raw))
		mu.Unlock()
		w.Write([]byte(`{"record":"cr_1","seq":1,"states":{}}`))
	})
	mux.Handle("GET /sdk.js", tracker.Handler(b))
	mux.Handle("GET /sdk/{chunk}", tracker.Handler(b))
	mux.HandleFunc("POST /v1/events", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(raw))
		mu.Unlock()
		w.Write([]byte(`{"stored":1,"duplicates":0}`))
	})
	mux.Handle("/demo/", http.StripPrefix("/demo", Handler(Config{SiteKey: "pk_demo"})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	seen := func(s string) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return strings.Contains(strings.Join(bodies, "\n"), s)
		}
	}

	decided := func(s string) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return strings.Contains(strings.Join(decisions, "\n"), s)
		}
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(bodies)
	}

	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/products/BOT-TRL"))
	clickConsent(t, ctx, "Accept all")
	browsertest.WaitFor(t, 8*time.Second, "the grant", decided(`"action":"grant","purposes":["analytics"],"notice":1,"method":"banner"`))
	browsertest.WaitFor(t, 8*time.Second, "tracking", func() bool { return browsertest.Cookie(t, ctx, "_presage_vid") != nil })
	if count() != 0 {
		t.Error("events before the visitor accepted")
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.ID("add-to-cart")))
	browsertest.WaitFor(t, 8*time.Second, "product_added", seen(`"name":"product_added"`))
	browsertest.WaitFor(t, 8*time.Second, "the sku", seen(`"sku":"BOT-TRL"`))

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/"),
		chromedp.SendKeys("#search-input", "boots"), chromedp.Click("#search-button"))
	browsertest.WaitFor(t, 8*time.Second, "a search event", seen(`"query":"boots"`))

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/signin"),
		chromedp.SendKeys("#signin-email", "ada@example.com"), chromedp.SendKeys("#signin-name", "Ada"),
		chromedp.Click("#signin-submit"), chromedp.WaitVisible("#signin-welcome"))
	browsertest.WaitFor(t, 8*time.Second, "identify", seen(`"traits":{"email":"ada@example.com","givenName":"Ada"}`))

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/checkout"),
		chromedp.SendKeys("#checkout-name", "Ada Lovelace"), chromedp.SendKeys("#checkout-email", "ada@example.com"),
		chromedp.SendKeys("#checkout-address", "12 Analytical Row"), chromedp.SendKeys("#checkout-card", "4111111111111111"),
		chromedp.Click("#checkout-submit"), chromedp.WaitVisible("#order-confirmation"))
	browsertest.WaitFor(t, 8*time.Second, "form_submit", seen(`"field.shipping":"standard"`))
	// Whole values: a short digit run like "4111" also occurs in random ids and timestamps.
	if seen("Lovelace")() || seen("4111111111111111")() || seen("Analytical Row")() {
		t.Error("a personal checkout field left the browser")
	}

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/app/deals"), chromedp.Click("#winter-link"),
		chromedp.WaitVisible("#deals-title"))
	browsertest.WaitFor(t, 8*time.Second, "the SPA pageview", seen(`/demo/app/deals/winter","title":"Winter sale`))

	// The footer's Privacy settings link opens the panel; Withdraw all stops everything.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.ID("privacy-settings")))
	clickConsent(t, ctx, "Withdraw all")
	browsertest.WaitFor(t, 8*time.Second, "the withdrawal", decided(`"action":"withdraw"`))
	n := count()
	for _, c := range browsertest.Cookies(t, ctx) {
		if c.Name != "_presage_consent" {
			t.Errorf("cookie %s left after the withdrawal", c.Name)
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/products/BOT-TRL"), chromedp.Click(chromedp.ID("add-to-cart")))
	if browsertest.Poll(2*time.Second, func() bool { return count() > n }) {
		t.Error("events after the withdrawal")
	}
}
