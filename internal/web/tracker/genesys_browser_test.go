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

// Browser tests of Genesys Predictive Engagement's ac(...) commands, called
// with the option shapes and callback signatures Genesys documents, on
// testdata/genesys-commands.html (consent not required, a global traits
// mapper for email, console.warn captured in window.warnings).

const genesysPage = "/t/genesys-commands.html"

// openGenesys opens the page and waits for its pageview.
func openGenesys(t *testing.T) (*fakeCollector, context.Context) {
	t.Helper()
	c := newCollector(t)
	ctx := open(t, c, genesysPage)
	waitEvents(t, c, "pageview", "", 1)
	return c, ctx
}

// loadPlugin runs ac('load', name, options, cb) and returns once cb was
// called, failing unless its err was null or undefined.
func loadPlugin(t *testing.T, ctx context.Context, name, options string) {
	t.Helper()
	err := js[string](t, ctx, `new Promise(r => ac('load', '`+name+`', `+options+`, function (err) {
		r(err == null ? 'ok' : 'err: ' + (err && err.message))
	}))`)
	if err != "ok" {
		t.Fatalf("load %s: callback got %s", name, err)
	}
}

// warnings returns the captured console warnings containing s.
func warnings(t *testing.T, ctx context.Context, s string) []string {
	t.Helper()
	all := js[[]string](t, ctx, `window.warnings`)
	var out []string
	for _, w := range all {
		if strings.Contains(w, s) {
			out = append(out, w)
		}
	}
	return out
}

// noMore asserts that no more than n events of a type and name arrive within d.
func noMore(t *testing.T, ctx context.Context, c *fakeCollector, typ, name string, n int, d time.Duration) {
	t.Helper()
	run(t, ctx, `ac('flush')`)
	if browsertest.Poll(d, func() bool { return len(c.find(typ, name)) > n }) {
		t.Errorf("%d %s %s events, want %d", len(c.find(typ, name)), typ, name, n)
	}
}

func TestGenesysAutotrackClick(t *testing.T) {
	c, ctx := openGenesys(t)
	loadPlugin(t, ctx, "autotrackClick", `{clickEvents: [{selector: '#buy', eventName: 'buy_clicked', customAttributes: {color: 'green'}}]}`)
	for i, sel := range []string{"#buy", "#buy-icon"} { // the element, then a child of it
		browsertest.Do(t, ctx, chromedp.Click(sel))
		run(t, ctx, `ac('flush')`)
		evs := waitEvents(t, c, "custom", "buy_clicked", i+1)
		if got := attr(evs[i], "color"); got != "green" {
			t.Errorf("click on %s: color = %v, attributes %v", sel, got, evs[i].Attributes)
		}
	}
	browsertest.Do(t, ctx, chromedp.Click("h1")) // elsewhere: nothing
	noMore(t, ctx, c, "custom", "buy_clicked", 2, time.Second)
}

func TestGenesysAutotrackIdle(t *testing.T) {
	c, ctx := openGenesys(t)
	start := time.Now()
	loadPlugin(t, ctx, "autotrackIdle", `{idleEvents: [{eventName: 'idle_1s', idleAfter: 1}]}`)
	if len(c.find("custom", "idle_1s")) != 0 {
		t.Fatal("idle event before the idle time")
	}
	waitEvents(t, c, "custom", "idle_1s", 1)
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("idle event after %v, want ~1 s", d)
	}
}

func TestGenesysAutotrackInViewport(t *testing.T) {
	c, ctx := openGenesys(t)
	loadPlugin(t, ctx, "autotrackInViewport", `{inViewportEvents: [{selector: '#promo', eventName: 'promo_seen'}]}`)
	noMore(t, ctx, c, "custom", "promo_seen", 0, time.Second) // below the fold
	run(t, ctx, `document.getElementById('promo').scrollIntoView({block: 'center'})`)
	run(t, ctx, `setTimeout(() => ac('flush'), 300)`)
	waitEvents(t, c, "custom", "promo_seen", 1)
	run(t, ctx, `window.scrollTo(0, 0)`)
	time.Sleep(300 * time.Millisecond)
	run(t, ctx, `document.getElementById('promo').scrollIntoView({block: 'center'})`)
	time.Sleep(300 * time.Millisecond)
	noMore(t, ctx, c, "custom", "promo_seen", 1, 1500*time.Millisecond)
}

func TestGenesysAutotrackScrollDepth(t *testing.T) {
	c, ctx := openGenesys(t)
	loadPlugin(t, ctx, "autotrackScrollDepth", `{scrollDepthEvents: [{percentage: 50, eventName: 'half'}]}`)
	noMore(t, ctx, c, "custom", "half", 0, 500*time.Millisecond)
	run(t, ctx, `window.scrollTo(0, document.documentElement.scrollHeight * 0.3)`) // 30% + a viewport: < 50%
	noMore(t, ctx, c, "custom", "half", 0, 500*time.Millisecond)
	run(t, ctx, `window.scrollTo(0, document.documentElement.scrollHeight * 0.6)`)
	run(t, ctx, `setTimeout(() => ac('flush'), 200)`)
	h := waitEvents(t, c, "custom", "half", 1)
	if attr(h[0], "percentage") != 50.0 {
		t.Errorf("half attributes = %v", h[0].Attributes)
	}
	if len(c.find("scroll", "")) != 0 {
		t.Error("scrollDepthEvents also sent Presage scroll events")
	}
}

func TestGenesysUnknownPluginAndCommand(t *testing.T) {
	_, ctx := openGenesys(t)
	got := js[string](t, ctx, `new Promise(r => ac('load', 'nope', {}, function (err) {
		r(err instanceof Error ? err.message : 'not an Error: ' + String(err))
	}))`)
	if !strings.Contains(got, "nope") {
		t.Errorf("load nope: callback got %q, want an Error naming the plugin", got)
	}
	run(t, ctx, `ac('bogus'); ac('bogus'); ac('bogus', 1, 2)`)
	if w := warnings(t, ctx, "bogus"); len(w) != 1 {
		t.Errorf("warnings about bogus = %q, want exactly one", w)
	}
}

func TestGenesysSessionAPI(t *testing.T) {
	_, ctx := openGenesys(t)
	sid := browsertest.Cookie(t, ctx, "_presage_sid")
	vid := browsertest.Cookie(t, ctx, "_presage_vid")
	if sid == nil || vid == nil {
		t.Fatalf("cookies: sid %v vid %v", sid, vid)
	}
	type answer struct {
		Err  any `json:"err"`
		Data any `json:"data"`
	}
	call := func(cmd string) answer {
		return js[answer](t, ctx, `new Promise(r => ac('`+cmd+`', (err, d) => r({err: err === undefined ? 'undefined' : err, data: d})))`)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"api.session.getId", sid.Value},
		{"api.session.getCustomerCookieId", vid.Value},
	} {
		a := call(tc.cmd)
		if a.Err != nil || a.Data != tc.want {
			t.Errorf("%s: err %v, id %v, want null, %s", tc.cmd, a.Err, a.Data, tc.want)
		}
	}
	a := call("api.session.getData")
	d, _ := a.Data.(map[string]any)
	if a.Err != nil || d == nil {
		t.Fatalf("api.session.getData: err %v, data %v", a.Err, a.Data)
	}
	if d["id"] != sid.Value || d["customerCookieId"] != vid.Value {
		t.Errorf("getData = %v, want id %s, customerCookieId %s", d, sid.Value, vid.Value)
	}
	if _, ok := d["shortId"].(float64); !ok {
		t.Errorf("getData shortId = %#v, want a number", d["shortId"])
	}
}

func TestGenesysTypedAttributes(t *testing.T) {
	c, ctx := openGenesys(t)
	run(t, ctx, `ac('record', 'product_added', {quantity: {dataType: 'integer', value: '12'},
		price: {dataType: 'number', value: '15.99'}, gift: {dataType: 'boolean', value: 'false'},
		bad: {dataType: 'integer', value: 'abc'}}); ac('flush')`)
	e := waitEvents(t, c, "custom", "product_added", 1)[0]
	want := map[string]string{
		"quantity": `{"dataType":"integer","value":12}`,
		"price":    `{"dataType":"number","value":15.99}`,
		"gift":     `{"dataType":"boolean","value":false}`,
	}
	if len(e.Attributes) != len(want) {
		t.Errorf("attributes = %v, want only %v", e.Attributes, want)
	}
	for k, v := range want {
		if string(e.Attributes[k]) != v {
			t.Errorf("attributes[%s] = %s, want %s", k, e.Attributes[k], v)
		}
	}
	if w := warnings(t, ctx, `"bad"`); len(w) != 1 {
		t.Errorf("warnings about bad = %q, want one", w)
	}
}

func TestGenesysTraitsMapper(t *testing.T) {
	c, ctx := openGenesys(t)
	run(t, ctx, `ac('record', 'signup', {email: 'Ada@Example.com', plan: 'gold'}); ac('flush')`)
	id := waitEvents(t, c, "identify", "", 1)[0]
	if got, _ := attrRaw(id.Traits, "email").(string); !strings.EqualFold(got, "ada@example.com") {
		t.Errorf("identify traits = %v", id.Traits)
	}
	s := waitEvents(t, c, "custom", "signup", 1)[0]
	if _, ok := s.Attributes["email"]; ok || attr(s, "plan") != "gold" {
		t.Errorf("signup attributes = %v, want plan without email", s.Attributes)
	}
	run(t, ctx, `ac('record', 'x', {mobile: '+33612345678'}, {traitsMapper: [{fieldName: 'mobile', traitName: 'cellPhone'}]}); ac('flush')`)
	ids := waitEvents(t, c, "identify", "", 2)
	if got := attrRaw(ids[1].Traits, "phone"); got != "+33612345678" {
		t.Errorf("per-call identify traits = %v, want phone", ids[1].Traits)
	}
	x := waitEvents(t, c, "custom", "x", 1)[0]
	if _, ok := x.Attributes["mobile"]; ok {
		t.Errorf("x attributes = %v, want no mobile", x.Attributes)
	}
	for _, r := range c.all() {
		if strings.Contains(r.Raw, `"custom"`) && strings.Contains(r.Raw, "Example.com") && len(r.Batch.Events) == 1 {
			t.Errorf("the email was sent with a custom event: %s", r.Raw)
		}
	}
}

func TestGenesysPageviewOptions(t *testing.T) {
	c, ctx := openGenesys(t)
	run(t, ctx, `ac('pageview', {title: 'T', location: 'https://example.com/x', referrer: 'https://ref.example/'}); ac('flush')`)
	p := waitEvents(t, c, "pageview", "", 2)[1]
	if p.Title != "T" || p.URL != "https://example.com/x" || p.Referrer != "https://ref.example/" {
		t.Errorf("pageview = title %q url %q referrer %q", p.Title, p.URL, p.Referrer)
	}
	if p.Attributes != nil {
		t.Errorf("pageview attributes = %v, want none", p.Attributes)
	}
}

func TestGenesysFormsScriptedSubmit(t *testing.T) {
	c, ctx := openGenesys(t)
	run(t, ctx, `ac('forms:track', '#f')`)
	browsertest.Do(t, ctx, chromedp.SendKeys("#first", "Grace"))
	waitEvents(t, c, "form_start", "", 1)
	run(t, ctx, `document.querySelector('#send').click()`)
	waitEvents(t, c, "form_submit", "", 1)
	// The edited input loses focus: its change event is no new start.
	run(t, ctx, `document.querySelector('#first').blur()`)
	noMore(t, ctx, c, "form_start", "", 1, time.Second)
	browsertest.Do(t, ctx, chromedp.Click("#other"))
	browsertest.WaitFor(t, wait, "the other page", func() bool {
		return js[string](t, ctx, `document.title`) == "Other page"
	})
	if browsertest.Poll(time.Second, func() bool { return len(c.find("form_abandon", "")) > 0 }) {
		t.Error("a submitted form was reported abandoned")
	}
	if n, m := len(c.find("form_start", "")), len(c.find("form_submit", "")); n != 1 || m != 1 {
		t.Errorf("%d form_start, %d form_submit, want one each", n, m)
	}
}

func TestGenesysDomReady(t *testing.T) {
	_, ctx := openGenesys(t)
	got := js[string](t, ctx, `new Promise(r => { ac('dom', 'ready', function (err) { r(err == null ? 'called' : 'err') }); setTimeout(() => r('not called'), 2000) })`)
	if got != "called" {
		t.Errorf("dom ready callback: %s", got)
	}
}

// attrRaw decodes one attribute or trait.
func attrRaw(m map[string]json.RawMessage, k string) any {
	return attr(event{Attributes: m}, k)
}
