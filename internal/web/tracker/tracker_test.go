package tracker

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuildSize(t *testing.T) {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sdk.js (core): %d bytes minified, %d bytes gzipped", len(b.JS), len(b.Gzip))
	if len(b.Gzip) > 8192 {
		t.Errorf("gzipped core is %d bytes, want at most 8192", len(b.Gzip))
	}
	check := func(name string, a Asset) {
		if !bytes.HasPrefix(a.JS, []byte("(()=>{")) {
			t.Errorf("%s is not an IIFE: %.40s", name, a.JS)
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.Gzip))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, a.JS) {
			t.Errorf("%s: Gzip does not decompress to JS", name)
		}
	}
	check("sdk.js", b.Asset)
	want := []string{"autotrackClick", "autotrackIdle", "autotrackInViewport", "autotrackScrollDepth", "banner",
		"consentModeBridge", "forms", "klaroBridge"}
	if got := slices.Sorted(maps.Keys(b.Chunks)); !slices.Equal(got, want) {
		t.Errorf("chunks = %v, want %v", got, want)
	}
	for _, name := range want {
		c := b.Chunks[name]
		t.Logf("sdk/%s.js: %d bytes minified, %d bytes gzipped", name, len(c.JS), len(c.Gzip))
		check(name, c)
		// A chunk reaches the core through the Api only: no second copy of
		// the core's state (e.g. the queue's localStorage key).
		if bytes.Contains(c.JS, []byte("_presage_q")) {
			t.Errorf("chunk %s carries a copy of the core", name)
		}
	}
	if len(b.Version) != 16 || !bytes.Contains(b.JS, []byte(b.Version)) {
		t.Errorf("version %q is not in the core", b.Version)
	}
}

func TestBuildRefusesACoreImportInAChunk(t *testing.T) {
	_, err := build(fstestMap(map[string]string{
		"src/main.ts":       `console.log(1)`,
		"src/state.ts":      `export const st = {}`,
		"src/plugins/x.ts":  `import { st } from '../state'; console.log(st)`,
		"src/plugins/_y.ts": `export const y = 1`,
	}))
	if err == nil || !strings.Contains(err.Error(), "plugins/") {
		t.Fatalf("err = %v, want a refusal of the core import", err)
	}
}

func TestBuildRejectsBareImports(t *testing.T) {
	_, err := build(fstestMap(map[string]string{"src/main.ts": `import x from "left-pad"; console.log(x)`}))
	if err == nil || !strings.Contains(err.Error(), "relative") {
		t.Fatalf("err = %v, want a relative-import error", err)
	}
}

func TestHandler(t *testing.T) {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()

	get := func(h map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/sdk.js", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := get(nil)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(body, b.JS) {
		t.Fatalf("plain GET: status %d, %d bytes", res.StatusCode, len(body))
	}
	for k, want := range map[string]string{"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300", "ETag": b.ETag} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	res = get(map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, b.Gzip) {
		t.Errorf("gzip GET: encoding %q, %d bytes", res.Header.Get("Content-Encoding"), len(body))
	}

	res = get(map[string]string{"Accept-Encoding": "gzip;q=0"})
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 must not be gzipped")
	}

	res = get(map[string]string{"If-None-Match": `W/"x", ` + b.ETag})
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}

	req, _ := http.NewRequest("POST", srv.URL+"/sdk.js", nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", res.StatusCode)
	}
}

func fstestMap(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}
