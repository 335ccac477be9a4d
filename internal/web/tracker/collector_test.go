package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCollector records every POST /v1/events body and answers with the
// status the test chooses (0: drop the connection). It also serves the
// consent endpoints of docs/consent.md (consent_test.go), /sdk.js, the pages
// of testdata/ under /t/ (and testdata/vendor/ under /t/vendor/), and
// spa.html for every /app/ path, all from one origin.
type fakeCollector struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	status   int
	requests []received
	invalid  []string

	enforce  bool                         // refuse events of visitors without an analytics grant (403 consent_required)
	states   map[string]map[string]string // visitor → purpose → decision
	consents []consentReq
}

type received struct {
	Status int
	Raw    string
	Batch  batch
}

type batch struct {
	SiteKey   string            `json:"siteKey"`
	VisitorID string            `json:"visitorId"`
	SessionID string            `json:"sessionId"`
	SentAt    *int64            `json:"sentAt"`
	Context   map[string]string `json:"context"`
	Events    []event           `json:"events"`
}

type event struct {
	ID         string                     `json:"id"`
	Type       string                     `json:"type"`
	Name       string                     `json:"name"`
	TS         int64                      `json:"ts"`
	URL        string                     `json:"url"`
	Title      string                     `json:"title"`
	Referrer   string                     `json:"referrer"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	Traits     map[string]json.RawMessage `json:"traits"`
}

func newCollector(t testing.TB) *fakeCollector {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCollector{t: t, status: 200, states: map[string]map[string]string{}}
	mux := http.NewServeMux()
	mux.Handle("GET /sdk.js", Handler(b))
	mux.Handle("GET /sdk/{chunk}", Handler(b))
	mux.HandleFunc("POST /v1/events", c.events)
	mux.HandleFunc("GET /v1/consent", c.consentInfo)
	mux.HandleFunc("POST /v1/consent", c.consentPost)
	mux.HandleFunc("GET /v1/consent/receipt", c.consentReceipt)
	mux.HandleFunc("GET /t/{name}", func(w http.ResponseWriter, r *http.Request) {
		c.page(w, r.PathValue("name"))
	})
	mux.HandleFunc("GET /t/vendor/{name}", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join("testdata", "vendor", filepath.Base(r.PathValue("name"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(data)
	})
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) { c.page(w, "spa.html") })
	c.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		c.srv.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, s := range c.invalid {
			t.Errorf("collector received an invalid batch: %s", s)
		}
	})
	return c
}

func (c *fakeCollector) page(w http.ResponseWriter, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", filepath.Base(name)))
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(data)
}

func (c *fakeCollector) events(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	status := c.status
	var b batch
	if err := validate(raw, r.Header.Get("Content-Type"), &b); err != nil {
		c.invalid = append(c.invalid, err.Error()+": "+string(raw))
		status = 400
	}
	// fetch must omit cookies. (navigator.sendBeacon, Sec-Fetch-Mode no-cors,
	// cannot: it sends the site's cookies when the collector shares its origin.)
	if ck := r.Header.Get("Cookie"); ck != "" && r.Header.Get("Sec-Fetch-Mode") != "no-cors" {
		c.invalid = append(c.invalid, "events sent with cookies: "+ck)
	}
	refused := status == 200 && c.enforce && c.states[b.VisitorID]["analytics"] != "granted"
	if refused {
		status = 403
	}
	c.requests = append(c.requests, received{Status: status, Raw: string(raw), Batch: b})
	c.mu.Unlock()
	if refused {
		problem(w, 403, "consent_required", "no current analytics consent")
		return
	}
	if status == 0 {
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"stored":%d,"duplicates":0}`, len(b.Events))
}

// setStatus chooses the answer to the next requests (0: drop the connection).
func (c *fakeCollector) setStatus(s int) {
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
}

func (c *fakeCollector) all() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.requests...)
}

// acked returns the events of every request answered 200, in order.
func (c *fakeCollector) acked() []event {
	var evs []event
	for _, r := range c.all() {
		if r.Status == 200 {
			evs = append(evs, r.Batch.Events...)
		}
	}
	return evs
}

func (c *fakeCollector) url(path string) string { return c.srv.URL + path }

// find returns the acknowledged events of a type (and name, if not "").
func (c *fakeCollector) find(typ, name string) []event {
	var out []event
	for _, e := range c.acked() {
		if e.Type == typ && (name == "" || e.Name == name) {
			out = append(out, e)
		}
	}
	return out
}

var (
	clientID = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)
	attrKey  = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	dateRe   = regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
	types    = map[string]bool{"pageview": true, "custom": true, "search": true, "form_start": true,
		"form_submit": true, "form_abandon": true, "identify": true, "scroll": true, "chat": true}
)

// validate checks a request body against docs/collector-protocol.md.
func validate(raw []byte, contentType string, b *batch) error {
	if !strings.HasPrefix(contentType, "text/plain") && !strings.HasPrefix(contentType, "application/json") {
		return fmt.Errorf("content type %q", contentType)
	}
	if len(raw) > 64<<10 {
		return fmt.Errorf("body of %d bytes", len(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return err
	}
	if b.SiteKey == "" || !clientID.MatchString(b.VisitorID) || !clientID.MatchString(b.SessionID) {
		return fmt.Errorf("bad siteKey/visitorId/sessionId")
	}
	if len(b.Context["tz"]) > 64 || len(b.Context["lang"]) > 35 || len(b.Context["screen"]) > 20 {
		return fmt.Errorf("context too long")
	}
	for k := range b.Context {
		if k != "tz" && k != "lang" && k != "screen" {
			return fmt.Errorf("unknown context field %q", k)
		}
	}
	if len(b.Events) < 1 || len(b.Events) > 100 {
		return fmt.Errorf("%d events", len(b.Events))
	}
	now := time.Now().UnixMilli()
	ref := now
	if b.SentAt != nil {
		ref = *b.SentAt
		if math.Abs(float64(ref-now)) > 60e3 {
			return fmt.Errorf("sentAt %d is far from now %d", ref, now)
		}
	}
	for i, e := range b.Events {
		if !clientID.MatchString(e.ID) || !types[e.Type] {
			return fmt.Errorf("events[%d]: bad id or type", i)
		}
		if e.Type == "custom" && (e.Name == "" || len([]rune(e.Name)) > 128) {
			return fmt.Errorf("events[%d]: custom without a valid name", i)
		}
		if e.TS < ref-7*24*3600e3 || e.TS > ref+60e3 {
			return fmt.Errorf("events[%d]: ts out of range", i)
		}
		if e.URL != "" {
			u, err := url.Parse(e.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || len(e.URL) > 2048 {
				return fmt.Errorf("events[%d]: bad url", i)
			}
		}
		if len([]rune(e.Title)) > 512 || len([]rune(e.Referrer)) > 2048 {
			return fmt.Errorf("events[%d]: title or referrer too long", i)
		}
		if err := validateAttrs(e.Attributes); err != nil {
			return fmt.Errorf("events[%d].attributes: %v", i, err)
		}
		if (e.Traits != nil) != (e.Type == "identify") {
			return fmt.Errorf("events[%d]: traits only and always on identify", i)
		}
		if e.Type == "identify" {
			if err := validateAttrs(e.Traits); err != nil {
				return fmt.Errorf("events[%d].traits: %v", i, err)
			}
			if e.Traits["email"] == nil && e.Traits["phone"] == nil && e.Traits["customerId"] == nil {
				return fmt.Errorf("events[%d]: identify without email, phone or customerId", i)
			}
		}
	}
	return nil
}

func validateAttrs(a map[string]json.RawMessage) error {
	if len(a) > 50 {
		return fmt.Errorf("%d keys", len(a))
	}
	for k, raw := range a {
		if !attrKey.MatchString(k) {
			return fmt.Errorf("key %q", k)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		switch v := v.(type) {
		case string:
			if len([]rune(v)) > 1024 {
				return fmt.Errorf("%s: string too long", k)
			}
		case float64, bool:
		case map[string]any:
			if len(v) != 2 {
				return fmt.Errorf("%s: typed value needs dataType and value", k)
			}
			val := v["value"]
			ok := false
			switch v["dataType"] {
			case "string":
				s, isStr := val.(string)
				ok = isStr && len([]rune(s)) <= 1024
			case "number":
				_, ok = val.(float64)
			case "integer":
				f, isNum := val.(float64)
				ok = isNum && f == math.Trunc(f)
			case "boolean":
				_, ok = val.(bool)
			case "date":
				s, _ := val.(string)
				ok = dateRe.MatchString(s)
			case "datetime":
				s, _ := val.(string)
				_, err := time.Parse(time.RFC3339Nano, s)
				ok = err == nil
			}
			if !ok {
				return fmt.Errorf("%s: bad typed value %v", k, v)
			}
		default:
			return fmt.Errorf("%s: value %v", k, v)
		}
	}
	return nil
}
