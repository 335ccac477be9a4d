package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/storetest"
	"github.com/presage-dev/presage/internal/testwait"
)

// node is one in-process Presage server listening on loopback.
type node struct {
	t    *testing.T
	URL  string
	App  *App
	stop func()
}

// testClock is a Config.Now that moves only when the test advances it, so a
// test that needs time to pass (a session timeout, a cache TTL) moves it on
// at once instead of sleeping, whatever the load of the machine.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

// newTestClock starts at the current time, so timestamps stay plausible.
func newTestClock() *testClock {
	return &testClock{now: time.Now().UTC().Truncate(time.Millisecond)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// engines runs fn once per storage engine.
func engines(t *testing.T, fn func(t *testing.T, cfg Config)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Config{DataDir: filepath.Join(t.TempDir(), "data")})
	})
	t.Run("postgres", func(t *testing.T) {
		// The data directory holds the master key every node of the test shares.
		fn(t, Config{DataDir: t.TempDir(), DatabaseURL: storetest.PostgresURL(t)})
	})
}

func startNode(t *testing.T, cfg Config) *node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Demo = true
	a, err := Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("open app: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h, err := a.Prepare(ctx, ln)
	if err != nil {
		cancel()
		t.Fatalf("prepare: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, h) }()
	n := &node{t: t, URL: "http://" + ln.Addr().String(), App: a}
	var once bool
	n.stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		// Shutdown is bounded by cfg.ShutdownTimeout (30 s by default).
		if err := testwait.Recv(t, done, time.Minute, "the node to shut down"); err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(n.stop)
	return n
}

// call performs a request and decodes a JSON answer into out (if non-nil).
func (n *node) call(method, path, key string, body any, headers map[string]string, out any) int {
	n.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			n.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, n.URL+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			n.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// tenantFixture is an organization with an all-scope key, created through
// the service like `presage org create` does.
type tenantFixture struct {
	Org presage.Organization
	Key string
}

func newTenant(t *testing.T, n *node, name string, scopes ...presage.Scope) tenantFixture {
	t.Helper()
	ctx := context.Background()
	org, err := n.App.Tenants.CreateOrganization(presage.AsOperator(ctx, ""), name, []string{"https://" + strings.ToLower(name) + ".example"})
	if err != nil {
		t.Fatal(err)
	}
	// Journey tests track under legitimate interest; consent gating has
	// tests of its own (consent_test.go).
	trackUnderLegitimateInterest(t, n.App, org.ID)
	if len(scopes) == 0 {
		scopes = presage.AllScopes
	}
	_, key, err := n.App.Tenants.CreateKey(presage.AsOperator(ctx, org.ID), "test", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return tenantFixture{Org: org, Key: key}
}

// trackUnderLegitimateInterest makes analytics the organization's one
// purpose, under legitimate interest: its visitors are tracked without a
// decision.
func trackUnderLegitimateInterest(t testing.TB, a *App, orgID string) {
	t.Helper()
	admin := presage.WithPrincipal(context.Background(), presage.Principal{OrgID: orgID, Scopes: presage.AllScopes})
	if _, err := a.Consents.SetPurposes(admin, consent.PurposesInput{Purposes: []consent.PurposeInput{{Name: consent.PurposeAnalytics,
		Basis: consent.BasisLegitimateInterest, Description: "Understanding how the shop is used."}}}); err != nil {
		t.Fatal(err)
	}
}

// benchOrganization creates the organization "Bench" on
// https://bench.example in a.
func benchOrganization(b *testing.B, a *App) presage.Organization {
	b.Helper()
	org, err := a.Tenants.CreateOrganization(presage.AsOperator(context.Background(), ""), "Bench", []string{"https://bench.example"})
	if err != nil {
		b.Fatal(err)
	}
	return org
}

func (tf tenantFixture) origin() string { return tf.Org.AllowedOrigins[0] }

// batch builds a tracker batch with n pageviews (ids derived from prefix).
func batch(siteKey, visitor, session, prefix string, n int, at time.Time) map[string]any {
	events := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		events = append(events, map[string]any{
			"id":    fmt.Sprintf("%s%04d", prefix, i),
			"type":  "pageview",
			"ts":    at.Add(time.Duration(i) * time.Millisecond).UnixMilli(),
			"url":   fmt.Sprintf("https://shop.example/p/%d?utm_source=news&utm_medium=email", i),
			"title": "Page",
		})
	}
	b := map[string]any{"visitorId": visitor, "sessionId": session, "sentAt": at.Add(time.Second).UnixMilli(), "events": events}
	if siteKey != "" {
		b["siteKey"] = siteKey
	}
	return b
}

type problemBody struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []presage.Violation `json:"errors"`
}

type listBody[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor"`
}

// reencode decodes a generic JSON value into out.
func reencode(t *testing.T, in any, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}
