package tracker

import (
	"net/http"
	"strconv"
	"strings"
)

// Handler serves the core at /sdk.js and the chunks at /sdk/{name}.js
// (mounted at both paths), with an ETag, gzip when the client accepts it,
// and a five-minute public cache; a chunk asked for with this build's
// version (?v=) is immutable and cached for a year.
func Handler(b Bundle) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		a, cache := b.Asset, "public, max-age=300"
		if name, ok := strings.CutPrefix(r.URL.Path, "/sdk/"); ok {
			c, found := b.Chunks[strings.TrimSuffix(name, ".js")]
			if !found || !strings.HasSuffix(name, ".js") {
				http.NotFound(w, r)
				return
			}
			a = c
			if r.URL.Query().Get("v") == b.Version {
				cache = "public, max-age=31536000, immutable"
			}
		}
		serve(w, r, a, cache)
	})
}

func serve(w http.ResponseWriter, r *http.Request, a Asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.ETag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if etagMatch(r.Header.Get("If-None-Match"), a.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.JS
	if acceptsGzip(r.Header.Get("Accept-Encoding")) && len(a.Gzip) > 0 {
		h.Set("Content-Encoding", "gzip")
		body = a.Gzip
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// etagMatch reports whether an If-None-Match header matches etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (q > 0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(name) != "*" {
			continue
		}
		params = strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}
