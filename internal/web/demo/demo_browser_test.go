package demo

import (
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

// TestShopInBrowser drives the shop with the real tracker against a
// collector that records request bodies.
func TestShopInBrowser(t *testing.T) {
	b, err := tracker.Build()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bodies []string
	mux := http.NewServeMux()
	mux.Handle("GET /sdk.js", tracker.Handler(b))
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

	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/products/BOT-TRL"), chromedp.Click("#add-to-cart"))
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
	if seen("Lovelace")() || seen("4111")() || seen("Analytical")() {
		t.Error("a personal checkout field left the browser")
	}

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/demo/app/deals"), chromedp.Click("#winter-link"),
		chromedp.WaitVisible("#deals-title"))
	browsertest.WaitFor(t, 8*time.Second, "the SPA pageview", seen(`/demo/app/deals/winter","title":"Winter sale`))
}
