package tracker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/presage-dev/presage/internal/browsertest"
)

const wait = 8 * time.Second

// open starts a browser on a page of the fake collector.
func open(t *testing.T, c *fakeCollector, path string) context.Context {
	t.Helper()
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(c.url(path)))
	return ctx
}

// waitEvents waits until n acknowledged events of a type (and name) arrived.
func waitEvents(t *testing.T, c *fakeCollector, typ, name string, n int) []event {
	t.Helper()
	browsertest.WaitFor(t, wait, typ+" "+name+" events", func() bool { return len(c.find(typ, name)) >= n })
	return c.find(typ, name)
}

func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return browsertest.Eval[T](t, ctx, expr)
}

func run(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	browsertest.Eval[bool](t, ctx, "(() => { "+expr+"\n})(), true")
}

// uniqueIDs fails when an event id appears in two acknowledged requests or twice in one.
func uniqueIDs(t *testing.T, c *fakeCollector) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range c.acked() {
		if seen[e.ID] {
			t.Errorf("event %s (%s %s) delivered twice", e.ID, e.Type, e.Name)
		}
		seen[e.ID] = true
	}
}

func attr(e event, k string) any {
	var v any
	if raw, ok := e.Attributes[k]; ok {
		json.Unmarshal(raw, &v)
	}
	return v
}

func TestSnippetQueuesBeforeLoad(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	pv := waitEvents(t, c, "pageview", "", 1)
	q := waitEvents(t, c, "custom", "queued", 1)
	if n := js[int](t, ctx, "window.queuedBeforeLoad"); n != 4 {
		t.Errorf("calls queued before load = %d, want 4", n)
	}
	if !js[bool](t, ctx, "typeof ac == 'function' && ac.q === undefined && ac.loaded === true") {
		t.Error("ac was not replaced by the live function")
	}
	if pv[0].TS > q[0].TS {
		t.Error("queued calls were not replayed in order")
	}
	if js[int](t, ctx, "window.readyCount") != 1 {
		t.Error("ready did not fire exactly once")
	}
	reqs := c.all()
	b := reqs[0].Batch
	if b.SiteKey != "pk_test_site" || !strings.HasPrefix(b.VisitorID, "v") || !strings.HasPrefix(b.SessionID, "s") || b.SentAt == nil {
		t.Errorf("batch envelope = %+v", b)
	}
	if b.Context["lang"] == "" || b.Context["screen"] == "" || b.Context["tz"] == "" {
		t.Errorf("context = %v", b.Context)
	}
	p := pv[0]
	if p.URL != c.url("/t/page.html") || p.Title != "Tracker test page" {
		t.Errorf("pageview = %+v", p)
	}
	if attr(q[0], "n") != 1.0 {
		t.Errorf("queued attributes = %v", q[0].Attributes)
	}
}

func TestCookiesAndSession(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	vid := browsertest.Cookie(t, ctx, "_presage_vid")
	sid := browsertest.Cookie(t, ctx, "_presage_sid")
	if vid == nil || sid == nil {
		t.Fatalf("cookies: vid %v sid %v", vid, sid)
	}
	b := c.all()[0].Batch
	if vid.Value != b.VisitorID || sid.Value != b.SessionID {
		t.Errorf("cookies %s/%s, batch %s/%s", vid.Value, sid.Value, b.VisitorID, b.SessionID)
	}
	now := float64(time.Now().Unix())
	if d := vid.Expires - now; d < 390*86400 || d > 396*86400 {
		t.Errorf("visitor cookie lives %.0f days, want ~13 months", d/86400)
	}
	if d := sid.Expires - now; d < 29*60 || d > 31*60 {
		t.Errorf("session cookie lives %.0f s, want 30 min", d)
	}
	for _, ck := range []string{vid.SameSite.String(), sid.SameSite.String()} {
		if ck != "Lax" {
			t.Errorf("SameSite = %s, want Lax", ck)
		}
	}
	if vid.Secure || vid.HTTPOnly {
		t.Error("on http the cookie must not be Secure; it is set by script so not HttpOnly")
	}
	id := js[string](t, ctx, "new Promise(r => ac('api.session.getId', (err, id) => r(id)))")
	if id != sid.Value {
		t.Errorf("api.session.getId = %q, cookie %q", id, sid.Value)
	}
	if !js[bool](t, ctx, "new Promise(r => ac('on', 'ready', d => r(d.sessionId == '"+id+"')))") {
		t.Error("a late ready subscriber was not called with the session id")
	}
	// A second page load keeps both ids.
	browsertest.Do(t, ctx, chromedp.Navigate(c.url("/t/page.html?x=1")))
	browsertest.WaitFor(t, wait, "second pageview", func() bool { return len(c.find("pageview", "")) == 2 })
	last := c.all()[len(c.all())-1].Batch
	if last.VisitorID != vid.Value || last.SessionID != sid.Value {
		t.Error("ids changed across page loads")
	}
}

func TestRecordTypedAttributes(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	run(t, ctx, `ac('record', 'product_added', {sku: 'A-1', price: 23.5, gift: false,
		added: {dataType: 'date', value: '2026-11-29'}, qty: {dataType: 'integer', value: 2},
		badInt: {dataType: 'integer', value: 2.5}, badDate: {dataType: 'date', value: 'tomorrow'},
		when: new Date(0), obj: {x: 1}, arr: [1], nan: NaN, inf: Infinity, nul: null, undef: undefined, fn: function () {},
		'bad key!': 'v', long: 'x'.repeat(2000)})`)
	run(t, ctx, `ac('record', '')`)              // no name: dropped
	run(t, ctx, `ac('record', 'y'.repeat(300))`) // truncated to 128
	run(t, ctx, `ac('flush')`)
	e := waitEvents(t, c, "custom", "product_added", 1)[0]
	want := map[string]string{
		"sku": `"A-1"`, "price": `23.5`, "gift": `false`,
		"added":    `{"dataType":"date","value":"2026-11-29"}`,
		"qty":      `{"dataType":"integer","value":2}`,
		"when":     `{"dataType":"datetime","value":"1970-01-01T00:00:00.000Z"}`,
		"bad_key_": `"v"`,
		"long":     `"` + strings.Repeat("x", 1024) + `"`,
	}
	if len(e.Attributes) != len(want) {
		t.Errorf("attributes = %v", e.Attributes)
	}
	for k, v := range want {
		if string(e.Attributes[k]) != v {
			t.Errorf("attributes[%s] = %s, want %s", k, e.Attributes[k], v)
		}
	}
	long := waitEvents(t, c, "custom", strings.Repeat("y", 128), 1)
	if len(long) != 1 {
		t.Error("long name not truncated")
	}
	for _, ev := range c.find("custom", "") {
		if ev.Name == "" {
			t.Error("custom event without a name was sent")
		}
	}
	// Many attributes: at most 50 are sent.
	run(t, ctx, `(() => { const a = {}; for (let i = 0; i < 80; i++) a['k' + i] = i; ac('record', 'many', a); ac('flush') })()`)
	if m := waitEvents(t, c, "custom", "many", 1)[0]; len(m.Attributes) != 50 {
		t.Errorf("many: %d attributes, want 50", len(m.Attributes))
	}
}

func TestIdentify(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	run(t, ctx, `ac('identify', {givenName: 'NoKey'})`) // no email/phone/customerId: dropped
	run(t, ctx, `ac('identify', {email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace', customerId: 42, plan: 'gold', nested: {a: 1}})`)
	run(t, ctx, `ac('flush')`)
	ids := waitEvents(t, c, "identify", "", 1)
	if len(ids) != 1 {
		t.Fatalf("%d identify events, want 1", len(ids))
	}
	tr := ids[0].Traits
	for k, v := range map[string]string{"email": `"ada@example.com"`, "givenName": `"Ada"`, "familyName": `"Lovelace"`, "customerId": `"42"`, "plan": `"gold"`} {
		if string(tr[k]) != v {
			t.Errorf("traits[%s] = %s, want %s", k, tr[k], v)
		}
	}
	if _, ok := tr["nested"]; ok || ids[0].Attributes != nil {
		t.Errorf("identify = %+v", ids[0])
	}
}

func TestSearchParam(t *testing.T) {
	c := newCollector(t)
	open(t, c, "/t/page.html?q=winter+boots&utm_source=news")
	s := waitEvents(t, c, "search", "", 1)
	if attr(s[0], "query") != "winter boots" || !strings.Contains(s[0].URL, "q=winter+boots") {
		t.Errorf("search = %+v", s[0])
	}
	if len(c.find("pageview", "")) != 1 {
		t.Error("no pageview with the search")
	}
}

func TestForms(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	run(t, ctx, `ac('forms:track', '#f', {formName: 'checkout', captureFormDataOnSubmit: true, allowFields: ['shipping', 'password', 'cardnumber']})`)
	run(t, ctx, `ac('forms:track', '#g', {captureFormDataOnAbandon: true})`)
	browsertest.Do(t, ctx,
		chromedp.SendKeys("#given", "Ada"),
		chromedp.SendKeys("#email", "ada-secret@example.com"),
		chromedp.SendKeys("#password", "hunter2"),
		chromedp.SendKeys("#card", "4111111111111111"),
		chromedp.SetValue("#shipping", "express"),
	)
	run(t, ctx, `document.getElementById('shipping').dispatchEvent(new Event('change', {bubbles: true}))`)
	start := waitEvents(t, c, "form_start", "checkout", 1)
	if len(start) != 1 || start[0].Attributes != nil {
		t.Errorf("form_start = %+v", start)
	}
	browsertest.Do(t, ctx, chromedp.Click("#submit"))
	sub := waitEvents(t, c, "form_submit", "checkout", 1)[0]
	if got := attr(sub, "fields"); got != "givenName,email,shipping" {
		t.Errorf("fields = %v, want the names of filled, non-secret fields", got)
	}
	if attr(sub, "field.shipping") != "express" || len(sub.Attributes) != 2 {
		t.Errorf("form_submit attributes = %v", sub.Attributes)
	}
	// The second form is started, then the page is left: form_abandon.
	browsertest.Do(t, ctx, chromedp.SendKeys("#nick", "adalove"))
	waitEvents(t, c, "form_start", "newsletter", 1)
	browsertest.Do(t, ctx, chromedp.Click("#other"))
	ab := waitEvents(t, c, "form_abandon", "newsletter", 1)
	if attr(ab[0], "fields") != "nick" || len(ab[0].Attributes) != 1 {
		t.Errorf("form_abandon attributes = %v", ab[0].Attributes)
	}
	if len(c.find("form_abandon", "checkout")) != 0 {
		t.Error("a submitted form was reported abandoned")
	}
	for _, r := range c.all() {
		for _, secret := range []string{"ada-secret", "hunter2", "4111", "secret-hidden-value", "adalove", "password", "cardnumber", "token"} {
			if strings.Contains(r.Raw, secret) {
				t.Errorf("a request contains %q: %s", secret, r.Raw)
			}
		}
	}
}

func TestSPAAutotrack(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/app/")
	waitEvents(t, c, "pageview", "", 1)
	browsertest.Do(t, ctx, chromedp.SendKeys("#q", "x"))
	waitEvents(t, c, "form_start", "spaform", 1)
	browsertest.Do(t, ctx, chromedp.Click("#to-deals"))
	pv := waitEvents(t, c, "pageview", "", 2)
	if pv[1].URL != c.url("/app/deals") || pv[1].Referrer != c.url("/app/") {
		t.Errorf("route pageview = %+v", pv[1])
	}
	waitEvents(t, c, "form_abandon", "spaform", 1)             // the route change left the started form
	browsertest.Do(t, ctx, chromedp.Click("#to-deals"))        // same URL: no pageview
	run(t, ctx, `history.replaceState({}, '', location.href)`) // same URL: no pageview
	browsertest.Do(t, ctx, chromedp.Click("#to-winter"))
	waitEvents(t, c, "pageview", "", 3)
	run(t, ctx, `history.back()`)
	waitEvents(t, c, "pageview", "", 4)
	browsertest.Do(t, ctx, chromedp.Click("#to-hash"))
	pv = waitEvents(t, c, "pageview", "", 5)
	want := []string{"/app/", "/app/deals", "/app/deals/winter", "/app/deals", "/app/deals#top"}
	if browsertest.Poll(1500*time.Millisecond, func() bool { return len(c.find("pageview", "")) > len(want) }) {
		t.Error("duplicate pageviews")
	}
	pv = c.find("pageview", "")
	for i, p := range want {
		if pv[i].URL != c.url(p) {
			t.Errorf("pageview %d = %s, want %s", i, pv[i].URL, p)
		}
	}
	uniqueIDs(t, c)
}

func TestScrollDepth(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	run(t, ctx, `ac('load', 'autotrackScrollDepth', {percentages: [25, 50, 100, 'x', 400]})`)
	run(t, ctx, `window.scrollTo(0, document.body.scrollHeight * 0.4)`)
	s := waitEvents(t, c, "scroll", "", 1)
	if attr(s[0], "percent") != 25.0 {
		t.Errorf("first scroll = %v", s[0].Attributes)
	}
	run(t, ctx, `window.scrollTo(0, document.body.scrollHeight)`)
	waitEvents(t, c, "scroll", "", 3)
	run(t, ctx, `window.scrollTo(0, 0)`)
	run(t, ctx, `window.scrollTo(0, document.body.scrollHeight)`)
	run(t, ctx, `ac('flush')`)
	if browsertest.Poll(1500*time.Millisecond, func() bool { return len(c.find("scroll", "")) > 3 }) {
		t.Error("a percentage was sent twice")
	}
	var got []any
	for _, e := range c.find("scroll", "") {
		got = append(got, attr(e, "percent"))
	}
	if len(got) != 3 || got[0] != 25.0 || got[1] != 50.0 || got[2] != 100.0 {
		t.Errorf("percentages = %v", got)
	}
}

func TestDestroy(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	run(t, ctx, `ac('load', 'autotrackUrlChange')`)
	run(t, ctx, `ac('load', 'autotrackScrollDepth')`)
	run(t, ctx, `ac('forms:track', '#f')`)
	run(t, ctx, `sessionStorage.setItem('_presage_x', '1'); localStorage.setItem('other', '1')`)
	run(t, ctx, `ac('record', 'dropped')`) // queued, then dropped by destroy
	run(t, ctx, `ac('destroy')`)
	n := len(c.all())
	if browsertest.Cookie(t, ctx, "_presage_vid") != nil || browsertest.Cookie(t, ctx, "_presage_sid") != nil {
		t.Error("cookies left after destroy")
	}
	if left := js[string](t, ctx, `Object.keys(localStorage).concat(Object.keys(sessionStorage)).join(',')`); left != "other" {
		t.Errorf("storage after destroy: %q, want only the page's own key", left)
	}
	run(t, ctx, `ac('record', 'after'); ac('pageview'); ac('identify', {email: 'a@b.c'}); ac('flush')`)
	run(t, ctx, `history.pushState({}, '', '/t/page.html?moved=1')`)
	run(t, ctx, `window.scrollTo(0, document.body.scrollHeight)`)
	browsertest.Do(t, ctx, chromedp.SendKeys("#given", "x"), chromedp.Click("#submit"))
	if browsertest.Poll(2500*time.Millisecond, func() bool { return len(c.all()) > n }) {
		t.Errorf("requests after destroy: %v", c.all()[n:])
	}
	if len(c.find("custom", "dropped")) != 0 {
		t.Error("a queued event was sent after destroy")
	}
	if browsertest.Cookie(t, ctx, "_presage_vid") != nil || browsertest.Cookie(t, ctx, "_presage_sid") != nil {
		t.Error("cookies set again after destroy")
	}
}

func TestOfflineThenOnline(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	before := len(c.all())
	browsertest.SetOffline(t, ctx, true)
	for _, name := range []string{"off1", "off2", "off3"} {
		run(t, ctx, `ac('record', '`+name+`')`)
	}
	run(t, ctx, `ac('flush')`)
	browsertest.WaitFor(t, wait, "the queue in localStorage", func() bool {
		return js[bool](t, ctx, `(localStorage.getItem('_presage_q') || '').includes('off3')`)
	})
	if len(c.all()) != before {
		t.Error("a request arrived while offline")
	}
	run(t, ctx, `ac('record', 'off4')`) // more events while offline join the queue
	browsertest.SetOffline(t, ctx, false)
	for _, name := range []string{"off1", "off2", "off3", "off4"} {
		waitEvents(t, c, "custom", name, 1)
	}
	browsertest.WaitFor(t, wait, "an empty queue", func() bool {
		return js[bool](t, ctx, `localStorage.getItem('_presage_q') === null`)
	})
	uniqueIDs(t, c)
}

func TestRetryAfter503(t *testing.T) {
	c := newCollector(t)
	c.setStatus(503)
	ctx := open(t, c, "/t/page.html")
	browsertest.WaitFor(t, wait, "two failed attempts", func() bool { return len(c.all()) >= 2 })
	c.setStatus(200)
	waitEvents(t, c, "pageview", "", 1)
	waitEvents(t, c, "custom", "queued", 1)
	reqs := c.all()
	first := map[string]bool{}
	for _, e := range reqs[0].Batch.Events {
		first[e.ID] = true
	}
	for _, r := range reqs[1:] {
		for _, e := range r.Batch.Events {
			if r.Status == 503 && !first[e.ID] {
				t.Errorf("retry carried a new id %s", e.ID)
			}
		}
	}
	uniqueIDs(t, c)
	// The collector records a batch before it answers: wait for the answer.
	browsertest.WaitFor(t, wait, "the queue to empty after success", func() bool {
		return js[bool](t, ctx, `localStorage.getItem('_presage_q') === null`)
	})
}

func TestQueueSurvivesReload(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/page.html")
	waitEvents(t, c, "pageview", "", 1)
	c.setStatus(0) // drop connections: network errors
	run(t, ctx, `ac('record', 'persisted'); ac('flush')`)
	browsertest.WaitFor(t, wait, "two failed attempts", func() bool {
		n := 0
		for _, r := range c.all() {
			if r.Status == 0 {
				n++
			}
		}
		return n >= 2
	})
	var id string
	for _, r := range c.all() {
		for _, e := range r.Batch.Events {
			if e.Name == "persisted" {
				id = e.ID
			}
		}
	}
	c.setStatus(200)
	browsertest.Do(t, ctx, chromedp.Reload())
	got := waitEvents(t, c, "custom", "persisted", 1)
	if got[0].ID != id {
		t.Errorf("resent with id %s, first sent as %s", got[0].ID, id)
	}
	waitEvents(t, c, "pageview", "", 2)
	uniqueIDs(t, c)
}

func TestUnauthorizedStops(t *testing.T) {
	c := newCollector(t)
	c.setStatus(401)
	ctx := open(t, c, "/t/page.html")
	browsertest.WaitFor(t, wait, "the first request", func() bool { return len(c.all()) == 1 })
	run(t, ctx, `ac('record', 'x'); ac('flush')`)
	if browsertest.Poll(2500*time.Millisecond, func() bool { return len(c.all()) > 1 }) {
		t.Error("the tracker kept sending after 401")
	}
}

// TestGenesysPage runs a page written for Genesys, unchanged: consent is
// required by default, so the visitor's analytics grant was stored by an
// earlier visit, and the queued calls are tracked from the start.
func TestGenesysPage(t *testing.T) {
	c := newCollector(t)
	ctx := browsertest.New(t)
	const subject = "v0123456789abcdef0123456789abcdef"
	storedGrant(t, ctx, c, subject)
	browsertest.Do(t, ctx, chromedp.Navigate(c.url("/t/genesys.html")))
	pv := waitEvents(t, c, "pageview", "", 1)
	if vid := c.all()[0].Batch.VisitorID; vid != subject {
		t.Errorf("visitorId = %s, want the consent subject %s", vid, subject)
	}
	if ck := browsertest.Cookie(t, ctx, "_presage_vid"); ck == nil || ck.Value != subject {
		t.Errorf("visitor cookie = %+v", ck)
	}
	rec := waitEvents(t, c, "custom", "product_viewed", 1)
	if attr(rec[0], "productId") != "SKU-1" || attr(rec[0], "price") != 12.5 {
		t.Errorf("record = %v", rec[0].Attributes)
	}
	if b := c.all()[0].Batch; b.SiteKey != "5fc0a3e1-7d2b-4c8e-9a61-0b3c2d4e5f60" {
		t.Errorf("siteKey = %q, want the Genesys organization id", b.SiteKey)
	}
	if pv[0].Title != "Page written for Genesys Predictive Engagement" {
		t.Errorf("pageview = %+v", pv[0])
	}
	browsertest.Do(t, ctx, chromedp.SendKeys("#first", "Grace"), chromedp.SendKeys("#pw", "pw123"))
	start := waitEvents(t, c, "form_start", "", 1)
	if start[0].Name != "f" {
		t.Errorf("form name = %q, want the form id", start[0].Name)
	}
	browsertest.Do(t, ctx, chromedp.Click("#send"))
	sub := waitEvents(t, c, "form_submit", "", 1)
	if attr(sub[0], "fields") != "firstName" || len(sub[0].Attributes) != 1 {
		t.Errorf("form_submit = %v", sub[0].Attributes)
	}
	run(t, ctx, `window.scrollTo(0, document.body.scrollHeight)`)
	waitEvents(t, c, "scroll", "", 4)
	for _, r := range c.all() {
		if strings.Contains(r.Raw, "Grace") || strings.Contains(r.Raw, "pw123") {
			t.Errorf("a form value was sent: %s", r.Raw)
		}
	}
	uniqueIDs(t, c)
}
