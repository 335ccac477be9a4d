package tracker

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/presage-dev/presage/internal/browsertest"
)

// The consent UI lives in the open shadow root of #presage-consent.
const shadow = `document.querySelector('#presage-consent')?.shadowRoot`

// quiet is how long a test watches the collector to assert that nothing comes.
const quiet = 2 * time.Second

func dialogOpen(t *testing.T, ctx context.Context) bool {
	return js[bool](t, ctx, `!!(`+shadow+`?.querySelector('[role=dialog] .a button'))`)
}

func waitDialog(t *testing.T, ctx context.Context) {
	t.Helper()
	browsertest.WaitFor(t, wait, "the consent dialog", func() bool { return dialogOpen(t, ctx) })
}

// clickUI clicks the consent UI's visible button (or checkbox label) with the
// given text, with a real mouse click.
func clickUI(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	browsertest.ClickText(t, ctx, "#presage-consent", text)
}

func storageKeys(t *testing.T, ctx context.Context) string {
	return js[string](t, ctx, `Object.keys(localStorage).concat(Object.keys(sessionStorage)).sort().join(',')`)
}

// waitPosts waits for n consent decisions and returns them all.
func waitPosts(t *testing.T, c *fakeCollector, n int) []consentBody {
	t.Helper()
	browsertest.WaitFor(t, wait, strconv.Itoa(n)+" POST /v1/consent", func() bool { return len(c.posts()) >= n })
	return c.posts()
}

// waitTracking waits until tracking started (the grant was acknowledged).
func waitTracking(t *testing.T, ctx context.Context) {
	t.Helper()
	browsertest.WaitFor(t, wait, "tracking to start", func() bool { return browsertest.Cookie(t, ctx, "_presage_vid") != nil })
}

// consentCookie returns the parsed _presage_consent cookie (nil if absent).
func consentCookie(t *testing.T, ctx context.Context) map[string]string {
	ck := browsertest.Cookie(t, ctx, "_presage_consent")
	if ck == nil {
		return nil
	}
	m := map[string]string{}
	for _, kv := range strings.Split(ck.Value, "&") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// pageActions does what a visitor and the page do; before consent (or after a
// withdrawal) none of it may reach the collector.
func pageActions(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, `ac('record', 'late'); ac('pageview'); ac('identify', {email: 'late@example.com'}); ac('forms:track', '#f'); ac('flush')`)
	browsertest.Do(t, ctx, chromedp.SendKeys("#given", "Ada"))
	run(t, ctx, `history.pushState({}, '', location.pathname + '?moved=1'); document.dispatchEvent(new Event('visibilitychange'))`)
}

func TestConsentNothingBeforeDecision(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/consent.html")
	waitDialog(t, ctx)

	gets := c.consentRequests("GET", "/v1/consent")
	if len(gets) != 1 {
		t.Fatalf("%d GET /v1/consent, want 1", len(gets))
	}
	if q := gets[0].Query; q.Get("siteKey") != "pk_test_site" || q.Get("lang") != "en" || q.Has("visitorId") || len(q) != 2 {
		t.Errorf("GET /v1/consent query = %v, want siteKey and lang only", q)
	}

	// The dialog: labelled, described, in plain words, with named buttons.
	var d struct {
		Role, Title, Desc, Lang string
		Buttons                 []string
		Focused                 string
	}
	raw := js[string](t, ctx, `(() => { const r = `+shadow+`, d = r.querySelector('[role=dialog]');
		return JSON.stringify({Role: d.getAttribute('role'), Lang: d.lang,
			Title: r.getElementById(d.getAttribute('aria-labelledby')).textContent,
			Desc: r.getElementById(d.getAttribute('aria-describedby')).textContent,
			Buttons: [...d.querySelectorAll('button')].map(b => b.textContent),
			Focused: r.activeElement && r.activeElement.getAttribute('role')}) })()`)
	json.Unmarshal([]byte(raw), &d)
	if d.Role != "dialog" || d.Title != "Your privacy choices" || d.Lang != "en" {
		t.Errorf("dialog = %+v", d)
	}
	for _, s := range []string{"We record the pages you visit", "offers based on", "support requests"} {
		if !strings.Contains(d.Desc, s) {
			t.Errorf("description %q lacks %q", d.Desc, s)
		}
	}
	if !slices.Equal(d.Buttons, []string{"Accept all", "Reject all", "Choose"}) {
		t.Errorf("buttons = %q", d.Buttons)
	}
	if d.Focused != "dialog" {
		t.Errorf("focus is on %q, want the dialog", d.Focused)
	}
	// Accept and Reject are equally prominent.
	style := func(label string) string {
		return js[string](t, ctx, `(() => { const b = [...`+shadow+`.querySelectorAll('button')].find(b => b.textContent == '`+label+`');
			const s = getComputedStyle(b), q = b.getBoundingClientRect();
			return [q.width, q.height, s.fontWeight, s.fontSize, s.color, s.backgroundColor, s.borderWidth, s.borderColor, s.padding].join(' ') })()`)
	}
	if a, r := style("Accept all"), style("Reject all"); a != r {
		t.Errorf("Accept all (%s) and Reject all (%s) differ", a, r)
	}

	pageActions(t, ctx)
	if browsertest.Poll(quiet, func() bool { return len(c.all()) > 0 || len(c.posts()) > 0 }) {
		t.Errorf("requests before a decision: events %v, decisions %v", c.all(), c.posts())
	}
	if n := browsertest.CookieNames(t, ctx); len(n) != 0 {
		t.Errorf("cookies before a decision: %v", n)
	}
	if k := storageKeys(t, ctx); k != "" {
		t.Errorf("web storage before a decision: %q", k)
	}
	if id := js[any](t, ctx, `new Promise(r => ac('api.visitor.getId', (err, id) => r(err ? null : id)))`); id != nil {
		t.Errorf("visitor id before a decision: %v", id)
	}
	if !js[bool](t, ctx, `new Promise(r => ac('consent', 'get', s => r(Object.keys(s).length == 0)))`) {
		t.Error("consent state is not empty before a decision")
	}
}

func TestConsentReject(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/consent.html")
	waitDialog(t, ctx)
	clickUI(t, ctx, "Reject all")
	// Two decisions, sent at once, arriving in either order: the deny of
	// the consent purposes and the objection to support (checked below).
	posts := waitPosts(t, c, 2)
	p := posts[0]
	if p.Action != "deny" {
		p = posts[1]
	}
	if p.Action != "deny" || !slices.Equal(p.Purposes, []string{"analytics", "marketing"}) || p.Notice != 3 ||
		p.Method != "banner" || p.SiteKey != "pk_test_site" || *p.Signals.GPC || *p.Signals.DNT || p.Artefact != nil {
		t.Errorf("POST /v1/consent = %+v", p)
	}
	if dialogOpen(t, ctx) {
		t.Error("the banner stayed after Reject all")
	}
	ck := browsertest.Cookie(t, ctx, "_presage_consent")
	if ck == nil {
		t.Fatal("no _presage_consent cookie after a decision")
	}
	if d := ck.Expires - float64(time.Now().Unix()); d < 390*86400 || d > 396*86400 || ck.SameSite.String() != "Lax" || ck.Secure || ck.Path != "/" {
		t.Errorf("consent cookie = %+v", ck)
	}
	if v := consentCookie(t, ctx); v["_v"] != p.VisitorID || v["_n"] != "3" || v["analytics"] != "denied" || v["marketing"] != "denied" || v["_t"] == "" {
		t.Errorf("consent cookie value = %v (subject %s)", v, p.VisitorID)
	}
	if n := browsertest.CookieNames(t, ctx); !slices.Equal(n, []string{"_presage_consent"}) {
		t.Errorf("cookies after Reject all: %v", n)
	}
	pageActions(t, ctx)
	if browsertest.Poll(quiet, func() bool { return len(c.all()) > 0 }) {
		t.Errorf("events after Reject all: %v", c.all())
	}
	if k := storageKeys(t, ctx); k != "" {
		t.Errorf("web storage after Reject all: %q", k)
	}
	// Reject all denies the consent purposes and objects to support, which
	// rests on legitimate interest.
	if !js[bool](t, ctx, `(l => l.analytics == 'denied' && l.marketing == 'denied' && l.support == 'objected')(consentLog[consentLog.length-1])`) {
		t.Errorf("consent events = %s", js[string](t, ctx, `JSON.stringify(consentLog)`))
	}

	// The next page: no banner, no GET, the Privacy settings button instead.
	browsertest.Do(t, ctx, chromedp.Navigate(c.url("/t/consent.html")))
	browsertest.WaitFor(t, wait, "the Privacy settings button", func() bool {
		return js[bool](t, ctx, `!!`+shadow+`?.querySelector('button[aria-label="Privacy settings"]:not([hidden])')`)
	})
	if dialogOpen(t, ctx) || len(c.consentRequests("GET", "/v1/consent")) != 1 {
		t.Error("the banner came back after a decision")
	}
	if browsertest.Poll(500*time.Millisecond, func() bool { return len(c.all()) > 0 }) {
		t.Error("events after a reload")
	}
}

func TestConsentAcceptThenWithdraw(t *testing.T) {
	c := newCollector(t)
	c.setEnforce(true)
	ctx := open(t, c, "/t/consent.html")
	waitDialog(t, ctx)
	clickUI(t, ctx, "Accept all")
	p := waitPosts(t, c, 1)[0]
	if p.Action != "grant" || !slices.Equal(p.Purposes, []string{"analytics", "marketing"}) || p.Notice != 3 || p.Method != "banner" {
		t.Errorf("POST /v1/consent = %+v", p)
	}
	subject := p.VisitorID
	waitTracking(t, ctx)
	if v := browsertest.Cookie(t, ctx, "_presage_vid").Value; v != subject {
		t.Errorf("visitor id %s, consent subject %s", v, subject)
	}
	run(t, ctx, `ac('record', 'after_accept'); ac('flush')`)
	waitEvents(t, c, "custom", "after_accept", 1)
	for _, r := range c.all() {
		if r.Batch.VisitorID != subject || r.Status != 200 {
			t.Errorf("batch of %s answered %d, want the subject %s and 200", r.Batch.VisitorID, r.Status, subject)
		}
	}
	if len(c.find("custom", "before_consent")) > 0 || len(c.find("identify", "")) > 0 {
		t.Error("a call from before the decision was replayed")
	}
	// The page the visitor consented on is counted from the moment of consent:
	// one pageview, sent after the grant, never before it.
	if pv := c.find("pageview", ""); len(pv) != 1 || pv[0].URL != c.url("/t/consent.html") {
		t.Errorf("pageviews after accepting = %+v, want the consent page once", pv)
	}
	if s := js[string](t, ctx, `new Promise(r => ac('consent', 'get', s => r(s.analytics + ' ' + s.marketing)))`); s != "granted granted" {
		t.Errorf("consent get = %s", s)
	}
	jws := js[string](t, ctx, `new Promise(r => ac('consent', 'receipt', r))`)
	if strings.Count(jws, ".") != 2 || !strings.HasPrefix(jws, "eyJ") {
		t.Errorf("receipt = %q", jws)
	}
	if rq := c.consentRequests("GET", "/v1/consent/receipt"); len(rq) != 1 || rq[0].Query.Get("visitorId") != subject || rq[0].Query.Get("siteKey") != "pk_test_site" {
		t.Errorf("receipt requests = %+v", rq)
	}

	// A stored decision: the next page tracks from the start, without a banner.
	browsertest.Do(t, ctx, chromedp.Navigate(c.url("/t/consent.html")))
	pv := waitEvents(t, c, "pageview", "", 2)
	if pv[1].URL != c.url("/t/consent.html") || dialogOpen(t, ctx) {
		t.Errorf("pageview after reload = %+v (dialog open: %v)", pv[1], dialogOpen(t, ctx))
	}
	run(t, ctx, `sessionStorage.setItem('_presage_x', '1'); localStorage.setItem('other', '1')`)

	// Withdraw from the Privacy settings button: the panel shows the current
	// choices and "Withdraw all" is one click.
	clickUI(t, ctx, "Privacy settings")
	waitDialog(t, ctx)
	if got := js[string](t, ctx, `[...`+shadow+`.querySelectorAll('input[type=checkbox]')].map(i => i.name + '=' + i.checked).join(',')`); got != "analytics=true,support=true,marketing=true" {
		t.Errorf("panel checkboxes = %s", got)
	}
	clickUI(t, ctx, "Withdraw all")
	w := waitPosts(t, c, 2)[1]
	if w.Action != "withdraw" || w.Purposes != nil || w.Method != "preferences" || w.VisitorID != subject {
		t.Errorf("withdrawal = %+v", w)
	}
	if n := browsertest.CookieNames(t, ctx); !slices.Equal(n, []string{"_presage_consent"}) {
		t.Errorf("cookies after withdrawal: %v", n)
	}
	if v := consentCookie(t, ctx); v["analytics"] != "withdrawn" || v["marketing"] != "withdrawn" || v["_v"] != subject {
		t.Errorf("consent cookie after withdrawal = %v", v)
	}
	if k := storageKeys(t, ctx); k != "other" {
		t.Errorf("web storage after withdrawal: %q, want only the page's own key", k)
	}
	n := len(c.all())
	pageActions(t, ctx)
	if browsertest.Poll(quiet, func() bool { return len(c.all()) > n }) {
		t.Errorf("events after withdrawal: %v", c.all()[n:])
	}
	if n := browsertest.CookieNames(t, ctx); !slices.Equal(n, []string{"_presage_consent"}) {
		t.Errorf("cookies after page actions: %v", n)
	}
	if !js[bool](t, ctx, `consentLog.length == 1 && consentLog[0].analytics == 'withdrawn'`) {
		t.Errorf("consent events = %s", js[string](t, ctx, `JSON.stringify(consentLog)`))
	}
}

func TestConsentCommandsAndOnePurpose(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/consent.html")
	waitDialog(t, ctx)
	const tcf = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"
	run(t, ctx, `ac('consent', 'grant', {purposes: ['analytics', 'marketing'], notice: 3, tcf: '`+tcf+`'})`)
	p := waitPosts(t, c, 1)[0]
	if p.Method != "banner" || p.Action != "grant" || string(p.Artefact["tcf"]) != `"`+tcf+`"` {
		t.Errorf("POST /v1/consent = %+v, artefact %s", p, p.Artefact["tcf"])
	}
	browsertest.WaitFor(t, wait, "the banner to close", func() bool { return !dialogOpen(t, ctx) })

	// The site's own link opens the panel; unchecking one purpose withdraws only it.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.ID("privacy"))) // not a Search: the page script mentions "#privacy"
	waitDialog(t, ctx)
	clickUI(t, ctx, "Marketing")
	clickUI(t, ctx, "Save choices")
	w := waitPosts(t, c, 2)[1]
	if w.Action != "withdraw" || !slices.Equal(w.Purposes, []string{"marketing"}) || w.Method != "preferences" || w.Notice != 3 {
		t.Errorf("withdrawal = %+v", w)
	}
	if v := consentCookie(t, ctx); v["analytics"] != "granted" || v["marketing"] != "withdrawn" {
		t.Errorf("consent cookie = %v", v)
	}
	run(t, ctx, `ac('record', 'still_tracked'); ac('flush')`)
	if e := waitEvents(t, c, "custom", "still_tracked", 1); c.all()[0].Batch.VisitorID != p.VisitorID {
		t.Errorf("event %+v from %s, want the subject %s", e, c.all()[0].Batch.VisitorID, p.VisitorID)
	}

	// Escape closes the panel without deciding.
	run(t, ctx, `ac('consent', 'open')`)
	waitDialog(t, ctx)
	browsertest.Do(t, ctx, chromedp.KeyEvent(kb.Escape))
	browsertest.WaitFor(t, wait, "the panel to close", func() bool { return !dialogOpen(t, ctx) })
	if browsertest.Poll(300*time.Millisecond, func() bool { return len(c.posts()) > 2 }) {
		t.Error("Escape recorded a decision")
	}
	// A withdrawal through the API with no purposes withdraws everything.
	run(t, ctx, `ac('consent', 'withdraw')`)
	if w := waitPosts(t, c, 3)[2]; w.Action != "withdraw" || w.Purposes != nil || w.Method != "banner" {
		t.Errorf("withdrawal = %+v", w)
	}
	if n := browsertest.CookieNames(t, ctx); !slices.Equal(n, []string{"_presage_consent"}) {
		t.Errorf("cookies after withdrawal: %v", n)
	}
}

func TestConsentKeyboard(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/consent.html")
	waitDialog(t, ctx)
	focused := func() string {
		return js[string](t, ctx, `(() => { const a = `+shadow+`.activeElement; return a ? a.textContent || a.getAttribute('role') : '' })()`)
	}
	key := func(k string) { browsertest.Do(t, ctx, chromedp.KeyEvent(k)) }
	var order []string
	for range 3 {
		key(kb.Tab)
		order = append(order, focused())
	}
	if !slices.Equal(order, []string{"Accept all", "Reject all", "Choose"}) {
		t.Errorf("Tab order = %q", order)
	}
	if o := js[string](t, ctx, `getComputedStyle(`+shadow+`.activeElement).outlineStyle`); o == "none" {
		t.Error("no visible focus on the focused button")
	}
	// Choose opens the panel, unchecked by default; Escape goes back to the banner.
	key(kb.Enter)
	browsertest.WaitFor(t, wait, "the preferences panel", func() bool {
		return js[string](t, ctx, `[...`+shadow+`.querySelectorAll('input[type=checkbox]')].map(i => i.name + '=' + i.checked).join(',')`) == "analytics=false,support=true,marketing=false"
	})
	key(kb.Escape)
	browsertest.WaitFor(t, wait, "the banner again", func() bool { return strings.Contains(js[string](t, ctx, shadow+`.textContent`), "Choose") })
	if len(c.posts()) != 0 {
		t.Fatal("a decision without a choice")
	}
	key(kb.Tab)
	if f := focused(); f != "Accept all" {
		t.Fatalf("focused %q, want Accept all", f)
	}
	key(kb.Enter)
	if p := waitPosts(t, c, 1)[0]; p.Action != "grant" || p.Method != "banner" {
		t.Errorf("POST /v1/consent = %+v", p)
	}
	waitTracking(t, ctx)
	run(t, ctx, `ac('record', 'by_keyboard'); ac('flush')`)
	waitEvents(t, c, "custom", "by_keyboard", 1)
}

func TestConsentGPCSignal(t *testing.T) {
	c := newCollector(t)
	ctx := browsertest.New(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true})`,
	}); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, ctx, chromedp.Navigate(c.url("/t/consent.html")))
	waitDialog(t, ctx)
	clickUI(t, ctx, "Accept all")
	p := waitPosts(t, c, 1)[0]
	if p.Signals == nil || !*p.Signals.GPC || *p.Signals.DNT {
		t.Errorf("signals = %+v, want gpc true, dnt false", p.Signals)
	}
}

func TestConsentModeBridge(t *testing.T) {
	c := newCollector(t)
	c.setEnforce(true)
	ctx := open(t, c, "/t/gcm.html")
	browsertest.WaitFor(t, wait, "the tracker", func() bool { return js[bool](t, ctx, `ac.loaded === true`) })
	// A default is not the visitor's choice: nothing is recorded, nothing shown.
	if browsertest.Poll(time.Second, func() bool { return len(c.posts()) > 0 || dialogOpen(t, ctx) }) {
		t.Fatalf("a default was recorded or the banner shown: %+v", c.posts())
	}
	if n := browsertest.CookieNames(t, ctx); len(n) != 0 {
		t.Errorf("cookies before a decision: %v", n)
	}
	run(t, ctx, `gtag('consent', 'update', {analytics_storage: 'granted'})`)
	ps := waitPosts(t, c, 2)
	slices.SortFunc(ps, func(a, b consentBody) int { return strings.Compare(a.Action, b.Action) })
	if g, d := ps[1], ps[0]; g.Action != "grant" || !slices.Equal(g.Purposes, []string{"analytics"}) ||
		d.Action != "deny" || !slices.Equal(d.Purposes, []string{"marketing"}) || g.Method != "consent_manager" || g.Notice != 3 {
		t.Errorf("decisions = %+v", ps)
	}
	var gcm map[string]any
	json.Unmarshal(ps[1].Artefact["gcm"], &gcm)
	if gcm["analytics_storage"] != "granted" || gcm["ad_storage"] != "denied" || gcm["wait_for_update"] != 500.0 {
		t.Errorf("artefact gcm = %v", gcm)
	}
	waitTracking(t, ctx)
	run(t, ctx, `ac('record', 'gcm_granted'); ac('flush')`)
	waitEvents(t, c, "custom", "gcm_granted", 1)

	run(t, ctx, `gtag('consent', 'update', {ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted'})`)
	if p := waitPosts(t, c, 3)[2]; p.Action != "grant" || !slices.Equal(p.Purposes, []string{"marketing"}) {
		t.Errorf("marketing decision = %+v", p)
	}
	// A grant applies in the page once the collector's answer arrives, which
	// is after the collector saw the request: until then the next update
	// would find marketing still ungranted and grant it again.
	browsertest.WaitFor(t, wait, "the marketing grant to apply", func() bool {
		return consentCookie(t, ctx)["marketing"] == "granted"
	})
	run(t, ctx, `gtag('consent', 'update', {analytics_storage: 'denied'})`)
	if p := waitPosts(t, c, 4)[3]; p.Action != "withdraw" || !slices.Equal(p.Purposes, []string{"analytics"}) {
		t.Errorf("withdrawal = %+v", p)
	}
	n := len(c.all())
	if names := browsertest.CookieNames(t, ctx); !slices.Equal(names, []string{"_presage_consent"}) {
		t.Errorf("cookies after withdrawal: %v", names)
	}
	run(t, ctx, `ac('record', 'gcm_withdrawn'); ac('flush')`)
	if browsertest.Poll(quiet, func() bool { return len(c.all()) > n }) || dialogOpen(t, ctx) {
		t.Error("events after the withdrawal, or the built-in banner with a bridge")
	}
}

func TestKlaroBridge(t *testing.T) {
	c := newCollector(t)
	ctx := open(t, c, "/t/klaro.html")
	browsertest.WaitFor(t, wait, "Klaro", func() bool {
		return js[bool](t, ctx, `!!(window.klaro && klaro.getManager && ac.loaded)`)
	})
	if browsertest.Poll(time.Second, func() bool { return len(c.posts()) > 0 || dialogOpen(t, ctx) }) {
		t.Fatalf("decisions before the visitor chose, or the built-in banner: %+v", c.posts())
	}
	// The visitor accepts analytics and declines marketing in Klaro.
	run(t, ctx, `const m = klaro.getManager(); m.updateConsent('presage-analytics', true); m.updateConsent('presage-marketing', false); m.saveAndApplyConsents('save')`)
	ps := waitPosts(t, c, 2)
	slices.SortFunc(ps, func(a, b consentBody) int { return strings.Compare(a.Action, b.Action) })
	if g, d := ps[1], ps[0]; g.Action != "grant" || !slices.Equal(g.Purposes, []string{"analytics"}) ||
		d.Action != "deny" || !slices.Equal(d.Purposes, []string{"marketing"}) || g.Method != "consent_manager" || g.Notice != 3 {
		t.Errorf("decisions = %+v", ps)
	}
	if a := string(ps[1].Artefact["klaro"]); a != `{"presage-analytics":true,"presage-marketing":false}` {
		t.Errorf("artefact klaro = %s", a)
	}
	waitTracking(t, ctx)
	run(t, ctx, `ac('record', 'klaro_granted'); ac('flush')`)
	waitEvents(t, c, "custom", "klaro_granted", 1)

	// The next page: Klaro's stored choice equals ours, nothing is recorded again.
	browsertest.Do(t, ctx, chromedp.Navigate(c.url("/t/klaro.html")))
	waitEvents(t, c, "pageview", "", 1)
	if browsertest.Poll(time.Second, func() bool { return len(c.posts()) > 2 }) {
		t.Errorf("an unchanged choice was recorded again: %+v", c.posts()[2:])
	}
	run(t, ctx, `const m = klaro.getManager(); m.updateConsent('presage-analytics', false); m.saveAndApplyConsents('save')`)
	if p := waitPosts(t, c, 3)[2]; p.Action != "withdraw" || !slices.Equal(p.Purposes, []string{"analytics"}) {
		t.Errorf("withdrawal = %+v", p)
	}
	if browsertest.Cookie(t, ctx, "_presage_vid") != nil {
		t.Error("visitor cookie left after the withdrawal in Klaro")
	}
}

func TestConsentRequiredStops(t *testing.T) {
	c := newCollector(t)
	c.setEnforce(true)
	ctx := open(t, c, "/t/consent.html")
	waitDialog(t, ctx)
	clickUI(t, ctx, "Accept all")
	subject := waitPosts(t, c, 1)[0].VisitorID
	waitTracking(t, ctx)
	run(t, ctx, `ac('record', 'first'); ac('flush')`)
	waitEvents(t, c, "custom", "first", 1)

	c.revoke(subject) // withdrawn elsewhere: the collector now answers 403 consent_required
	run(t, ctx, `ac('record', 'refused'); ac('flush')`)
	browsertest.WaitFor(t, wait, "tracking to stop", func() bool {
		return browsertest.Cookie(t, ctx, "_presage_vid") == nil && browsertest.Cookie(t, ctx, "_presage_sid") == nil
	})
	var v map[string]string
	if !browsertest.Poll(wait, func() bool {
		v = consentCookie(t, ctx)
		return v != nil && v["analytics"] == "" && v["marketing"] == "granted"
	}) {
		t.Errorf("consent cookie = %v, want it kept without the analytics decision", v)
	}
	if k := storageKeys(t, ctx); k != "" {
		t.Errorf("web storage after 403: %q", k)
	}
	n := len(c.all())
	pageActions(t, ctx)
	if browsertest.Poll(quiet, func() bool { return len(c.all()) > n }) {
		t.Errorf("events after 403 consent_required: %v", c.all()[n:])
	}
}

// storedGrant sets a _presage_consent cookie as a visit that granted
// analytics would have left, for subject.
func storedGrant(t *testing.T, ctx context.Context, c *fakeCollector, subject string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: "_presage_consent", Value: "_v=" + subject + "&_n=3&_t=1764384000000&analytics=granted", URL: c.url("/"),
	}); err != nil {
		t.Fatal(err)
	}
}
