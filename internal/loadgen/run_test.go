package loadgen

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testSiteKey = "pk_test_loadgen"
	testOrigin  = "http://shop.example.test"
)

// recorder is a fake collector that validates and records every batch.
type recorder struct {
	t       *testing.T
	mu      sync.Mutex
	batches []gotBatch
	// answer decides the status of a valid batch; nil answers 200.
	answer func(b gotBatch, attempt int) int
	seen   map[string]int // first event id → attempts so far
}

func newRecorder(t *testing.T) (*recorder, *httptest.Server) {
	rec := &recorder{t: t, seen: map[string]int{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := readBatch(r, testSiteKey, testOrigin)
	if err != nil {
		rec.t.Errorf("invalid request: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rec.mu.Lock()
	rec.batches = append(rec.batches, b)
	rec.seen[b.Events[0].ID]++
	attempt := rec.seen[b.Events[0].ID]
	rec.mu.Unlock()
	status := http.StatusOK
	if rec.answer != nil {
		status = rec.answer(b, attempt)
	}
	switch status {
	case -1: // drop the connection without an answer
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	case http.StatusOK:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int{"stored": len(b.Events), "duplicates": 0})
	default:
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": "test says no"})
	}
}

// acks collects OnAck calls.
type acks struct {
	mu    sync.Mutex
	calls [][]string
}

func (a *acks) add(ids []string) {
	a.mu.Lock()
	a.calls = append(a.calls, ids)
	a.mu.Unlock()
}

func (a *acks) ids() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, c := range a.calls {
		out = append(out, c...)
	}
	return out
}

func run(t *testing.T, ctx context.Context, cfg Config) Report {
	t.Helper()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("report:\n%s", rep)
	return rep
}

func TestRunSendsValidRealisticBatches(t *testing.T) {
	rec, srv := newRecorder(t)
	var a acks
	rep := run(t, t.Context(), Config{
		URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin,
		Concurrency: 4, BatchSize: 100, MaxRequests: 200, Duration: time.Minute, Visitors: 30, OnAck: a.add,
	})
	if rep.Requests != 200 || rep.Events != 200*100 || rep.Generated != rep.Events || rep.Dropped != 0 ||
		rep.Errors != 0 || rep.Retries != 0 || rep.Stored != rep.Events {
		t.Fatalf("report %+v, want 200 requests of 100 events, no error", rep)
	}

	ids := map[string]bool{}
	sessionVisitor := map[string]string{}
	visitorSessions := map[string]map[string]bool{}
	lastTS := map[string]int64{}
	kinds := map[string]int{}
	var utm, google, facebook, direct, mobile, desktop, typedAttr int
	for _, b := range rec.batches {
		if v, ok := sessionVisitor[b.SessionID]; ok && v != b.VisitorID {
			t.Fatalf("session %s used by visitors %s and %s", b.SessionID, v, b.VisitorID)
		}
		sessionVisitor[b.SessionID] = b.VisitorID
		if visitorSessions[b.VisitorID] == nil {
			visitorSessions[b.VisitorID] = map[string]bool{}
		}
		visitorSessions[b.VisitorID][b.SessionID] = true
		if strings.Contains(b.UserAgent, "Mobile") {
			mobile++
		} else {
			desktop++
		}
		for _, e := range b.Events {
			if ids[e.ID] {
				t.Fatalf("event id %s sent twice", e.ID)
			}
			ids[e.ID] = true
			if e.TS < lastTS[b.SessionID] {
				t.Fatalf("session %s: ts %d after %d goes backwards", b.SessionID, e.TS, lastTS[b.SessionID])
			}
			lastTS[b.SessionID] = e.TS
			kind := e.Type
			if e.Name != "" && e.Type == "custom" {
				kind += ":" + e.Name
			}
			kinds[kind]++
			if strings.Contains(e.URL, "utm_source=") {
				utm++
			}
			if e.Type == "pageview" && !strings.HasPrefix(e.Referrer, testOrigin) {
				switch {
				case strings.Contains(e.Referrer, "google"):
					google++
				case strings.Contains(e.Referrer, "facebook"):
					facebook++
				case e.Referrer == "":
					direct++
				}
			}
			for _, raw := range e.Attributes {
				if strings.Contains(string(raw), "dataType") {
					typedAttr++
				}
			}
			if e.URL == "" || !strings.HasPrefix(e.URL, testOrigin+"/") {
				t.Fatalf("event url %q is not a page of %s", e.URL, testOrigin)
			}
		}
	}
	t.Logf("event mix: %v; %d sessions of %d visitors", kinds, len(sessionVisitor), len(visitorSessions))
	for _, k := range []string{"pageview", "custom:product_added", "search", "form_start", "form_submit", "identify", "scroll"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in 20000", k)
		}
	}
	if kinds["pageview"] < kinds["custom:product_added"] || kinds["identify"] > kinds["pageview"]/5 {
		t.Errorf("unrealistic mix %v: pageviews should dominate, identify be occasional", kinds)
	}
	for name, n := range map[string]int{"utm": utm, "google": google, "facebook": facebook, "direct": direct,
		"mobile": mobile, "desktop": desktop, "typed attributes": typedAttr} {
		if n == 0 {
			t.Errorf("no %s traffic", name)
		}
	}
	if len(visitorSessions) > 30 {
		t.Errorf("%d visitors, want at most Visitors=30", len(visitorSessions))
	}
	if len(sessionVisitor) >= len(rec.batches) || len(sessionVisitor) <= len(visitorSessions) {
		t.Errorf("%d sessions for %d batches of %d visitors: sessions should span batches and visitors return",
			len(sessionVisitor), len(rec.batches), len(visitorSessions))
	}

	acked := a.ids()
	if len(a.calls) != 200 || len(acked) != len(ids) {
		t.Fatalf("OnAck: %d calls with %d ids, want 200 calls with %d ids", len(a.calls), len(acked), len(ids))
	}
	for _, id := range acked {
		if !ids[id] {
			t.Fatalf("acknowledged id %s was never sent", id)
		}
	}
}

func TestRetryReusesIDs(t *testing.T) {
	rec, srv := newRecorder(t)
	// Every batch fails twice, once with 503 and once with a dropped
	// connection, then succeeds.
	rec.answer = func(b gotBatch, attempt int) int {
		switch attempt {
		case 1:
			return http.StatusServiceUnavailable
		case 2:
			return -1
		}
		return http.StatusOK
	}
	var a acks
	rep := run(t, t.Context(), Config{
		URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, Concurrency: 3, BatchSize: 7, MaxRequests: 30,
		Duration: time.Minute, Retry: true, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, OnAck: a.add,
	})
	if rep.Requests != 30 || rep.Retries != 60 || rep.Errors != 60 || rep.Dropped != 0 || rep.Events != 30*7 {
		t.Fatalf("report %+v, want 30 acknowledged batches after 60 retries", rep)
	}
	if rep.FirstError == "" {
		t.Error("FirstError is empty")
	}
	// Group the attempts by batch: every attempt carries the same events.
	attempts := map[string][]gotBatch{}
	for _, b := range rec.batches {
		attempts[b.Events[0].ID] = append(attempts[b.Events[0].ID], b)
	}
	if len(attempts) != 30 {
		t.Fatalf("%d distinct batches, want 30", len(attempts))
	}
	for first, tries := range attempts {
		if len(tries) != 3 {
			t.Fatalf("batch %s sent %d times, want 3", first, len(tries))
		}
		want, _ := json.Marshal(tries[0].Events)
		for _, b := range tries[1:] {
			got, _ := json.Marshal(b.Events)
			if string(got) != string(want) || b.SessionID != tries[0].SessionID || b.VisitorID != tries[0].VisitorID {
				t.Fatalf("retry of %s changed the batch:\n%s\nwant\n%s", first, got, want)
			}
			if b.SentAt < tries[0].SentAt {
				t.Errorf("retry sentAt %d before first sentAt %d", b.SentAt, tries[0].SentAt)
			}
		}
	}
	if len(a.calls) != 30 || len(a.ids()) != 30*7 {
		t.Fatalf("OnAck: %d calls with %d ids, want one call per batch", len(a.calls), len(a.ids()))
	}
}

func TestWithoutRetryFailedBatchesAreDropped(t *testing.T) {
	rec, srv := newRecorder(t)
	rec.answer = func(gotBatch, int) int { return http.StatusInternalServerError }
	rep := run(t, t.Context(), Config{URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, BatchSize: 5, MaxRequests: 10})
	if rep.Requests != 0 || rep.Errors != 10 || rep.Retries != 0 || rep.Dropped != 50 || rep.Generated != 50 {
		t.Fatalf("report %+v, want 10 errors, 50 dropped events", rep)
	}
	if len(rec.batches) != 10 {
		t.Fatalf("%d requests, want 10", len(rec.batches))
	}
}

func TestBadRequestIsDroppedNotRetried(t *testing.T) {
	rec, srv := newRecorder(t)
	var n atomic.Int64
	rec.answer = func(gotBatch, int) int {
		if n.Add(1)%2 == 0 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	}
	rep := run(t, t.Context(), Config{URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, BatchSize: 2,
		MaxRequests: 10, Retry: true, Backoff: time.Millisecond})
	if rep.Requests != 5 || rep.Errors != 5 || rep.Retries != 0 || rep.Dropped != 10 {
		t.Fatalf("report %+v, want 5 acknowledged and 5 dropped batches", rep)
	}
	if !strings.Contains(rep.FirstError, "400") || !strings.Contains(rep.FirstError, "test says no") {
		t.Errorf("FirstError %q lacks the status and the problem detail", rep.FirstError)
	}
}

func TestRefusedSiteKeyStopsTheRun(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		rec, srv := newRecorder(t)
		rec.answer = func(gotBatch, int) int { return status }
		start := time.Now()
		rep, err := Run(t.Context(), Config{URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, Concurrency: 2,
			Duration: 10 * time.Second, Retry: true})
		if err == nil || !strings.Contains(err.Error(), "test says no") {
			t.Fatalf("status %d: Run error %v, want the refusal", status, err)
		}
		if time.Since(start) > 5*time.Second || rep.Requests != 0 || rep.Errors == 0 || rep.Errors > 2 {
			t.Fatalf("status %d: report %+v after %s, want a prompt stop", status, rep, time.Since(start))
		}
	}
}

func TestRetryEndsWithContext(t *testing.T) {
	rec, srv := newRecorder(t)
	rec.answer = func(gotBatch, int) int { return http.StatusServiceUnavailable }
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	rep := run(t, ctx, Config{URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, Concurrency: 2, BatchSize: 3,
		Duration: time.Minute, Retry: true, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if rep.Requests != 0 || rep.Retries == 0 || rep.Dropped != rep.Generated || rep.Generated != 6 {
		t.Fatalf("report %+v, want 2 batches retried until ctx ended, then dropped", rep)
	}
	if rep.Elapsed > 10*time.Second {
		t.Fatalf("run took %s after ctx ended", rep.Elapsed)
	}
}

func TestDurationBoundsTheRun(t *testing.T) {
	_, srv := newRecorder(t)
	rep := run(t, t.Context(), Config{URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, Concurrency: 2,
		BatchSize: 1, Duration: 300 * time.Millisecond})
	// Batches in flight at the deadline finish, so the run may outlast it by
	// the slowest request (this machine may be busy).
	if rep.Requests == 0 || rep.Elapsed < 300*time.Millisecond || rep.Elapsed > 300*time.Millisecond+rep.Max+time.Second {
		t.Fatalf("report %+v, want some requests in about 300ms", rep)
	}
	if rep.RequestsPerSec <= 0 || rep.EventsPerSec != rep.RequestsPerSec {
		t.Fatalf("rates %.1f req/s, %.1f events/s, want equal positive rates for batches of 1", rep.RequestsPerSec, rep.EventsPerSec)
	}
}

// fakeClock is a clock that only moves when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestLatencyPercentiles(t *testing.T) {
	// One tab sends 100 requests in turn to a fake server that moves a fake
	// clock: 90 answers take 1ms, 9 take 30ms, the last 120ms. Nearest rank:
	// p50 is 1ms, p99 30ms, max 120ms.
	clock := &fakeClock{now: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clock.mu.Lock()
		n++
		i := n
		clock.mu.Unlock()
		switch {
		case i == 100:
			clock.Advance(120 * time.Millisecond)
		case i > 90:
			clock.Advance(30 * time.Millisecond)
		default:
			clock.Advance(time.Millisecond)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	rep := run(t, t.Context(), Config{URL: srv.URL, SiteKey: testSiteKey, BatchSize: 1, MaxRequests: 100, now: clock.Now})
	if rep.Requests != 100 {
		t.Fatalf("%d requests, want 100", rep.Requests)
	}
	if rep.P50 != time.Millisecond || rep.P99 != 30*time.Millisecond || rep.Max != 120*time.Millisecond {
		t.Fatalf("p50 %s, p99 %s, max %s; want 1ms, 30ms, 120ms", rep.P50, rep.P99, rep.Max)
	}
	if rep.Elapsed != 480*time.Millisecond || rep.RequestsPerSec != 100/0.48 {
		t.Fatalf("elapsed %s at %.3f req/s, want 480ms at %.3f req/s", rep.Elapsed, rep.RequestsPerSec, 100/0.48)
	}
}

func TestLatencyIncludesRetries(t *testing.T) {
	// A batch acknowledged at its third attempt waited for all three.
	clock := &fakeClock{now: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
	rec, srv := newRecorder(t)
	rec.answer = func(_ gotBatch, attempt int) int {
		clock.Advance(10 * time.Millisecond)
		if attempt < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	rep := run(t, t.Context(), Config{URL: srv.URL, SiteKey: testSiteKey, Origin: testOrigin, MaxRequests: 1,
		Retry: true, Backoff: time.Millisecond, now: clock.Now})
	if rep.Requests != 1 || rep.Retries != 2 || rep.P50 != 30*time.Millisecond || rep.Max != 30*time.Millisecond {
		t.Fatalf("report %+v, want one batch acknowledged after 30ms and 2 retries", rep)
	}
}

func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i))
	}
	for _, c := range []struct {
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 99, 7},
		{[]time.Duration{1, 2}, 50, 1},
		{[]time.Duration{1, 2}, 99, 2},
		{[]time.Duration{1, 2, 3}, 50, 2},
		{hundred, 50, 50},
		{hundred, 99, 99},
		{hundred, 100, 100},
		{hundred[:10], 99, 10},
	} {
		if got := percentile(c.in, c.p); got != c.want {
			t.Errorf("percentile(%v, %d) = %d, want %d", c.in, c.p, got, c.want)
		}
	}
}

func TestBuildReport(t *testing.T) {
	rep := buildReport([]*workerStats{
		{requests: 2, events: 20, errors: 1, retries: 1, generated: 20, stored: 18, duplicates: 2, latencies: []time.Duration{3 * time.Millisecond, time.Millisecond}},
		{requests: 1, events: 10, generated: 15, dropped: 5, firstError: "503 Service Unavailable", latencies: []time.Duration{2 * time.Millisecond}},
	}, 2*time.Second)
	want := Report{Requests: 3, Events: 30, Errors: 1, Retries: 1, Generated: 35, Dropped: 5, Stored: 18, Duplicates: 2,
		FirstError: "503 Service Unavailable", Elapsed: 2 * time.Second, P50: 2 * time.Millisecond, P99: 3 * time.Millisecond,
		Max: 3 * time.Millisecond, RequestsPerSec: 1.5, EventsPerSec: 15}
	if rep != want {
		t.Fatalf("report\n%+v\nwant\n%+v", rep, want)
	}
	s := rep.String()
	for _, part := range []string{"3 requests", "30 events", "1.5 req/s", "15.0 events/s", "p50 2ms", "p99 3ms",
		"1 errors", "1 retries", "5 of 35 events dropped", "18 stored", "2 duplicates", "503 Service Unavailable"} {
		if !strings.Contains(s, part) {
			t.Errorf("String() lacks %q:\n%s", part, s)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1:1", SiteKey: "pk_x", MaxRequests: 1}
	for name, mutate := range map[string]func(*Config){
		"no URL":           func(c *Config) { c.URL = "" },
		"relative URL":     func(c *Config) { c.URL = "/v1/events" },
		"ftp URL":          func(c *Config) { c.URL = "ftp://127.0.0.1" },
		"URL with query":   func(c *Config) { c.URL = "http://127.0.0.1:1/?x=1" },
		"no site key":      func(c *Config) { c.SiteKey = "" },
		"origin with path": func(c *Config) { c.Origin = "https://shop.example/page" },
		"unbounded":        func(c *Config) { c.MaxRequests = 0 },
		"negative":         func(c *Config) { c.Duration = -time.Second },
		"batch too large":  func(c *Config) { c.BatchSize = 101 },
		"batch negative":   func(c *Config) { c.BatchSize = -1 },
	} {
		c := ok
		mutate(&c)
		if _, err := Run(t.Context(), c); err == nil {
			t.Errorf("%s: Run accepted %+v", name, c)
		}
	}
	c, err := ok.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "http://127.0.0.1:1" || c.Concurrency != 1 || c.BatchSize != 20 || c.Visitors != 100 ||
		c.Backoff != time.Second || c.MaxBackoff != time.Minute {
		t.Fatalf("defaults %+v", c)
	}
}

func TestBatchesFitTheProtocol(t *testing.T) {
	g := newGenerator(testOrigin, testSiteKey)
	visitors := []*visitor{g.newVisitor(10), g.newVisitor(10), g.newVisitor(10)}
	now := time.Now()
	largest := 0
	for i := range 300 {
		b := g.batch(visitors[i%len(visitors)], 100, now)
		body, err := b.encode(now)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, len(body))
		got, err := decodeBatch(body)
		if err == nil {
			err = got.validate(testSiteKey)
		}
		if err != nil {
			t.Fatalf("batch %d: %v\n%s", i, err, body)
		}
		if got.SentAt != now.UnixMilli() || !slices.Equal(b.ids(), idsOf(got)) {
			t.Fatalf("batch %d: sentAt %d or ids differ from the generated batch", i, got.SentAt)
		}
		// Batches come faster than real browsing: times must still stay
		// at or before sentAt.
		now = now.Add(time.Duration(i%3) * time.Millisecond)
	}
	t.Logf("largest body of 100 events: %d bytes", largest)
	if largest > 48<<10 {
		t.Errorf("largest body %d bytes leaves too little room under the 64 KiB limit", largest)
	}
}

func idsOf(b gotBatch) []string {
	out := make([]string, len(b.Events))
	for i, e := range b.Events {
		out[i] = e.ID
	}
	return out
}
