package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPages(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/demo/", http.StripPrefix("/demo", Handler(Config{SiteKey: `pk_demo"</script>`})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/demo/", 200, []string{`id="featured"`, `id="search-input"`}},
		{"/demo/products", 200, []string{`id="product-list"`}},
		{"/demo/products?q=boots", 200, []string{"Trail Runner Boots", `value="boots"`}},
		{"/demo/products?q=zzz", 200, []string{`id="no-results"`}},
		{"/demo/products/BOT-TRL", 200, []string{`id="add-to-cart"`, `'product_added'`, `sku: "BOT-TRL"`}},
		{"/demo/checkout", 200, []string{`id="checkout-form"`, `allowFields: ['shipping']`}},
		{"/demo/signin", 200, []string{`id="signin-email"`, `ac('identify'`}},
		{"/demo/app/", 200, []string{`id="deals-link"`, `'autotrackUrlChange'`}},
		{"/demo/app/deals", 200, []string{`id="winter-link"`}},
		{"/demo/app/deals/winter", 200, []string{`id="deals-view"`}},
		{"/demo/products/NOPE", 404, nil},
		{"/demo/nope", 404, nil},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		s := string(body)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, res.StatusCode, tc.status)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.path, ct)
		}
		if !strings.Contains(s, "'/sdk.js'") || !strings.Contains(s, "/demo/static/style.css") || !strings.Contains(s, `id="privacy-settings"`) {
			t.Errorf("%s: no tracker snippet or style sheet", tc.path)
		}
		// The site key is injected as an escaped JavaScript string.
		if !strings.Contains(s, `ac('init', "pk_demo\"\u003c/script\u003e", {consent: {privacyLink: '#privacy-settings'}})`) {
			t.Errorf("%s: site key not injected safely", tc.path)
		}
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: missing %s", tc.path, w)
			}
		}
	}

	res, err := http.Get(srv.URL + "/demo/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// A "/demo/" prefix stripped whole works as well.
	h := http.StripPrefix("/demo/", Handler(Config{SiteKey: "pk"}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/demo/checkout", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "checkout-form") {
		t.Errorf("StripPrefix(/demo/): status %d", rec.Code)
	}
}

func TestSearch(t *testing.T) {
	if n := len(Search("")); n != len(Catalog) {
		t.Errorf("empty search: %d", n)
	}
	if got := Search("WINTER boots"); len(got) != 1 || got[0].SKU != "BOT-WIN" {
		t.Errorf("Search = %v", got)
	}
}
