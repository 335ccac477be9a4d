package browsertest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// Cookies returns every cookie of the browser (all sites), read through the
// DevTools protocol, so HttpOnly cookies are included.
func Cookies(t testing.TB, ctx context.Context) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatalf("browsertest: Storage.getCookies: %v", err)
	}
	return res.Cookies
}

// PageCookies returns the cookies the current page would send (its URL and
// its frames' URLs).
func PageCookies(t testing.TB, ctx context.Context) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatalf("browsertest: Network.getCookies: %v", err)
	}
	return res.Cookies
}

// Cookie returns the browser cookie with the given name, or nil.
func Cookie(t testing.TB, ctx context.Context, name string) *network.Cookie {
	t.Helper()
	for _, c := range Cookies(t, ctx) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// SetOffline switches the tab's network off (every request fails, and
// navigator.onLine is false with an "offline" event) or back on (an "online"
// event fires).
func SetOffline(t testing.TB, ctx context.Context, offline bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatalf("browsertest: Network.emulateNetworkConditionsByRule: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		t.Fatalf("browsertest: Network.overrideNetworkState: %v", err)
	}
}

// CookieNames returns the sorted names of every cookie the browser holds.
func CookieNames(t testing.TB, ctx context.Context) []string {
	t.Helper()
	var names []string
	for _, c := range Cookies(t, ctx) {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

// Requests counts the requests a tab makes to URLs containing a pattern, as
// DevTools reports them: a test can wait until the page has tried to send
// (and, offline, failed) instead of sleeping for as long as that may take.
type Requests struct {
	mu              sync.Mutex
	ids             map[network.RequestID]bool
	started, failed int
}

// WatchRequests counts, from now on and until ctx ends, the requests of the
// tab of ctx whose URL contains pattern.
func WatchRequests(t testing.TB, ctx context.Context, pattern string) *Requests {
	t.Helper()
	r := &Requests{ids: map[network.RequestID]bool{}}
	// The listener runs in the loop reading the tab's messages: it only
	// counts, under a lock, and returns.
	if err := chromedp.Listen(ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.Contains(ev.Request.URL, pattern) && !r.ids[ev.RequestID] {
				r.ids[ev.RequestID] = true
				r.started++
			}
		case *network.EventLoadingFailed:
			if r.ids[ev.RequestID] {
				r.failed++
			}
		}
	}); err != nil {
		t.Fatalf("browsertest: listen to the tab: %v", err)
	}
	return r
}

// Started is how many matching requests the page has started.
func (r *Requests) Started() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started
}

// Failed is how many matching requests ended without a response (offline,
// refused connection, cancelled).
func (r *Requests) Failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
