package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowser(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.SetCookie(w, &http.Cookie{Name: "srv", Value: "1", HttpOnly: true})
		fmt.Fprint(w, `<!doctype html><title>t</title><script>document.cookie="js=2; Path=/"</script>`)
	}))
	defer srv.Close()

	ctx := New(t)
	Do(t, ctx, chromedp.Navigate(srv.URL))
	if got := Eval[string](t, ctx, "document.title"); got != "t" {
		t.Errorf("title = %q", got)
	}
	if c := Cookie(t, ctx, "srv"); c == nil || !c.HTTPOnly {
		t.Errorf("srv cookie = %+v, want an HttpOnly cookie", c)
	}
	if c := Cookie(t, ctx, "js"); c == nil || c.Value != "2" {
		t.Errorf("js cookie = %+v", c)
	}
	if n := len(PageCookies(t, ctx)); n != 2 {
		t.Errorf("page cookies: %d, want 2", n)
	}

	// Only the probes count, not the page's own requests (its favicon).
	reqs := WatchRequests(t, ctx, "/probe-")
	SetOffline(t, ctx, true)
	if Eval[bool](t, ctx, "navigator.onLine") {
		t.Error("navigator.onLine is true while offline")
	}
	before := hits.Load()
	if ok := Eval[bool](t, ctx, "fetch('/probe-offline').then(()=>true, ()=>false)"); ok {
		t.Error("fetch succeeded while offline")
	}
	if hits.Load() != before {
		t.Error("the server saw a request while offline")
	}
	WaitFor(t, 5*time.Second, "the failed request", func() bool { return reqs.Failed() == 1 && reqs.Started() == 1 })
	Eval[bool](t, ctx, "window.onl=0; addEventListener('online', ()=>window.onl=1); true")
	SetOffline(t, ctx, false)
	WaitFor(t, 5*time.Second, "the online event", func() bool { return Eval[bool](t, ctx, "window.onl==1") })
	if ok := Eval[bool](t, ctx, "fetch('/probe-online').then(()=>true, ()=>false)"); !ok {
		t.Error("fetch failed after going back online")
	}
	WaitFor(t, 5*time.Second, "the second request", func() bool { return reqs.Started() == 2 })
	if reqs.Failed() != 1 {
		t.Errorf("%d failed requests, want only the offline one", reqs.Failed())
	}
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, func() bool { n++; return n == 3 }) {
		t.Error("Poll gave up")
	}
	if Poll(50*time.Millisecond, func() bool { return false }) {
		t.Error("Poll returned true")
	}
}
