// Package demo serves "Presage Outfitters", a small shop that shows the
// tracker at work: pageviews, search, a custom event, tracked forms, identify
// and a single-page "deals" section, behind the tracker's built-in consent
// banner (a "Privacy settings" link in every footer reopens the choices). Its
// pages and assets are embedded; it keeps no state and stores nothing in the
// browser besides what the tracker itself stores (docs/cookies.md).
package demo

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the demo shop.
type Config struct {
	// SiteKey is the site key of the demo organization, given to ac('init').
	SiteKey string
}

var pages = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/card.html"))

// page parses the layout with one content template.
func page(name string) *template.Template {
	t := template.Must(pages.Clone())
	return template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
}

var (
	homePage     = page("home")
	productsPage = page("products")
	productPage  = page("product")
	checkoutPage = page("checkout")
	signinPage   = page("signin")
	appPage      = page("app")
	notFoundPage = page("notfound")
)

type view struct {
	Title    string
	SiteKey  string
	Query    string
	SPA      bool
	Products []Product
	Product  *Product
}

// Handler serves the shop. Mount it at /demo/ with the prefix stripped, for
// example mux.Handle("/demo/", http.StripPrefix("/demo", demo.Handler(cfg)));
// a "/demo/" prefix stripped whole works too. Pages link to /demo/... and load
// the tracker from /sdk.js.
func Handler(cfg Config) http.Handler {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := "/" + strings.TrimPrefix(r.URL.Path, "/")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		v := view{SiteKey: cfg.SiteKey}
		switch {
		case strings.HasPrefix(p, "/static/"):
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			w.Header().Set("Cache-Control", "public, max-age=300")
			files.ServeHTTP(w, r2)
			return
		case p == "/":
			v.Title, v.Products = "Home", Catalog
			render(w, homePage, v, http.StatusOK)
		case p == "/products":
			v.Query = strings.TrimSpace(r.URL.Query().Get("q"))
			v.Title, v.Products = "Shop", Search(v.Query)
			render(w, productsPage, v, http.StatusOK)
		case strings.HasPrefix(p, "/products/"):
			prod := Find(strings.TrimPrefix(p, "/products/"))
			if prod == nil {
				v.Title = "Not found"
				render(w, notFoundPage, v, http.StatusNotFound)
				return
			}
			v.Title, v.Product = prod.Name, prod
			render(w, productPage, v, http.StatusOK)
		case p == "/checkout":
			v.Title = "Checkout"
			render(w, checkoutPage, v, http.StatusOK)
		case p == "/signin":
			v.Title = "Sign in"
			render(w, signinPage, v, http.StatusOK)
		case p == "/app" || strings.HasPrefix(p, "/app/"):
			v.Title, v.SPA = "Deals", true
			render(w, appPage, v, http.StatusOK)
		default:
			v.Title = "Not found"
			render(w, notFoundPage, v, http.StatusNotFound)
		}
	})
}

func render(w http.ResponseWriter, t *template.Template, v view, status int) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.Error("demo: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
