// Package browsertest starts a headless Chromium for tests and offers small
// helpers on top of chromedp: reading cookies through the DevTools protocol,
// switching the network off and on, evaluating JavaScript and polling for a
// condition.
//
// Usage:
//
//	ctx := browsertest.New(t)
//	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL))
//	browsertest.WaitFor(t, 5*time.Second, "a request", func() bool { return len(got()) > 0 })
//
// New skips the test when no browser is installed, unless the environment
// sets PRESAGE_REQUIRE_BROWSER=1 (as CI does). The browser binary is taken
// from PRESAGE_CHROMIUM, else /usr/bin/chromium, else chromium (or another
// Chrome) on PATH. Every test gets its own browser process and a fresh
// profile directory, both removed by t.Cleanup. The package never talks to
// the network itself.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/presage-dev/presage/internal/testwait"
)

// Timeout bounds each browser test started by New.
const Timeout = 60 * time.Second

// BrowserPath returns the Chromium binary to use, or "" when none is found.
func BrowserPath() string {
	if p := os.Getenv("PRESAGE_CHROMIUM"); p != "" {
		if lp, err := exec.LookPath(p); err == nil {
			return lp
		}
		return ""
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if lp, err := exec.LookPath(p); err == nil {
			return lp
		}
	}
	return ""
}

// New starts a headless Chromium with a fresh profile and returns a chromedp
// context for its first tab. The browser is stopped on t.Cleanup.
func New(t testing.TB) context.Context {
	t.Helper()
	path := BrowserPath()
	if path == "" {
		if os.Getenv("PRESAGE_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium not found (PRESAGE_REQUIRE_BROWSER=1): install it with apt-get install -y chromium or set PRESAGE_CHROMIUM")
		}
		t.Skip("chromium not found: install it with apt-get install -y chromium to run browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	base, cancelBase := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelBase()
	})
	// Start the browser now, so a broken installation fails here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	return ctx
}

// Do runs actions on the tab of ctx and fails the test on error.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its result
// into T (promises are awaited). It fails the test on error.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: eval %q: %v", expr, err)
	}
	return v
}

// WaitFor polls cond every 20 ms until it returns true, and fails the test
// with what when timeout passes first.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("browsertest: timed out after %v waiting for %s", timeout, what)
	}
}

// Poll polls cond every 20 ms until it returns true (true) or timeout passes
// (false). Use it to assert that something does not happen.
func Poll(timeout time.Duration, cond func() bool) bool {
	return testwait.Poll(timeout, cond)
}
