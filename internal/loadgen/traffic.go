package loadgen

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"time"
)

// The wire format of docs/collector-protocol.md.

type wireBatch struct {
	SiteKey   string      `json:"siteKey"`
	VisitorID string      `json:"visitorId"`
	SessionID string      `json:"sessionId"`
	SentAt    int64       `json:"sentAt"`
	Context   wireContext `json:"context"`
	Events    []wireEvent `json:"events"`
}

type wireContext struct {
	TZ     string `json:"tz"`
	Lang   string `json:"lang"`
	Screen string `json:"screen"`
}

type wireEvent struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name,omitempty"`
	TS         int64  `json:"ts"`
	URL        string `json:"url,omitempty"`
	Title      string `json:"title,omitempty"`
	Referrer   string `json:"referrer,omitempty"`
	Attributes obj    `json:"attributes,omitempty"`
	Traits     obj    `json:"traits,omitempty"`
}

// batch is one generated request, encoded once so that every retry sends the
// same events with a fresh sentAt.
type batch struct {
	wire      wireBatch
	body      encoded
	userAgent string
}

// encode returns the request body with sentAt set to now.
func (b *batch) encode(now time.Time) ([]byte, error) {
	b.wire.SentAt = now.UnixMilli()
	return b.body.body(b.wire.SentAt), nil
}

// ids returns a fresh slice of the batch's event ids.
func (b *batch) ids() []string {
	out := make([]string, len(b.wire.Events))
	for i, e := range b.wire.Events {
		out[i] = e.ID
	}
	return out
}

type userAgent struct {
	header  string
	mobile  bool
	screens []string
}

var userAgents = []userAgent{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", false, []string{"1920x1080", "1366x768", "2560x1440"}},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", false, []string{"1440x900", "1512x982", "2560x1440"}},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", false, []string{"1920x1080", "2560x1440"}},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", false, []string{"1920x1080", "1536x864"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", true, []string{"390x844", "393x852", "430x932"}},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", true, []string{"412x915", "360x800"}},
	{"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", true, []string{"384x854"}},
	{"Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", true, []string{"820x1180", "1024x1366"}},
}

var locales = []struct{ tz, lang string }{
	{"Europe/Paris", "fr-FR"}, {"Europe/Berlin", "de-DE"}, {"Europe/London", "en-GB"}, {"Europe/Madrid", "es-ES"},
	{"Europe/Rome", "it-IT"}, {"Europe/Amsterdam", "nl-NL"}, {"America/New_York", "en-US"}, {"America/Toronto", "fr-CA"},
}

type product struct {
	slug, name, sku string
	price           float64
	category        string
}

var products = []product{
	{"trail-runner-2", "Trail Runner 2", "TR-2", 89.9, "shoes"},
	{"city-sneaker", "City Sneaker", "CS-1", 64.5, "shoes"},
	{"merino-tee", "Merino T-Shirt", "MT-7", 39, "tops"},
	{"rain-shell", "Rain Shell Jacket", "RS-3", 149, "outerwear"},
	{"wool-socks-3", "Wool Socks (3 pairs)", "WS-3", 23.5, "accessories"},
	{"day-pack-20", "Day Pack 20 L", "DP-20", 75, "bags"},
	{"sun-cap", "Sun Cap", "SC-1", 19.9, "accessories"},
	{"fleece-mid", "Fleece Mid Layer", "FM-2", 99, "tops"},
}

var searchTerms = []string{"running shoes", "rain jacket", "merino", "socks", "backpack", "gift card", "size guide", "returns"}

var articles = []struct{ slug, title string }{
	{"how-to-choose-trail-shoes", "How to choose trail shoes"},
	{"layering-101", "Layering 101"},
	{"care-for-merino", "Caring for merino wool"},
}

var givenNames = []string{"Ada", "Grace", "Alan", "Hedy", "Linus", "Margaret", "Tim", "Barbara", "Dennis", "Frances"}
var familyNames = []string{"Lovelace", "Hopper", "Turing", "Lamarr", "Torvalds", "Hamilton", "Berners-Lee", "Liskov", "Ritchie", "Allen"}

// A source is where a session comes from: its landing referrer and UTM query.
type source struct {
	referrer string
	utm      string // query string without "?", may be ""
}

func pickSource(r *mrand.Rand) source {
	switch n := r.IntN(100); {
	case n < 25:
		return source{referrer: "https://www.google.com/"}
	case n < 35:
		return source{referrer: "https://www.google.com/", utm: "utm_source=google&utm_medium=cpc&utm_campaign=winter_sale&utm_term=trail+shoes"}
	case n < 50:
		return source{referrer: "https://www.facebook.com/", utm: "utm_source=facebook&utm_medium=social&utm_campaign=new_collection"}
	case n < 55:
		return source{referrer: "https://l.instagram.com/"}
	case n < 68:
		return source{utm: "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_2026_48&utm_content=hero"}
	case n < 72:
		return source{referrer: "https://www.bing.com/"}
	default:
		return source{} // direct
	}
}

// A visitor is one simulated browser: a visitor-id cookie, a device and at
// most one live session.
type visitor struct {
	id      string
	ua      *userAgent
	context wireContext
	person  int // who this is, should they identify
	known   bool
	session *session
}

type session struct {
	id       string
	lastTS   int64  // Unix ms of its last event
	page     string // current page URL
	events   int
	cart     int
	formOpen string // name of a form started and not yet submitted
	identify bool   // identify after the form just submitted
}

// generator makes ids and events for one worker. It is not safe for
// concurrent use.
type generator struct {
	rnd    *mrand.Rand
	origin string
	site   string
}

func newGenerator(origin, siteKey string) *generator {
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		panic("loadgen: crypto/rand failed: " + err.Error())
	}
	return &generator{rnd: mrand.New(mrand.NewChaCha8(seed)), origin: origin, site: siteKey}
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// id returns prefix followed by 20 random characters of [A-Za-z0-9_-]
// (120 bits), a valid client id.
func (g *generator) id(prefix byte) string {
	var b [21]byte
	b[0] = prefix
	for half := 0; half < 2; half++ {
		v := g.rnd.Uint64()
		for i := 0; i < 10; i++ {
			b[1+half*10+i] = idAlphabet[v&63]
			v >>= 6
		}
	}
	return string(b[:])
}

func (g *generator) newVisitor(population int) *visitor {
	ua := &userAgents[g.rnd.IntN(len(userAgents))]
	loc := locales[g.rnd.IntN(len(locales))]
	return &visitor{
		id:      g.id('v'),
		ua:      ua,
		context: wireContext{TZ: loc.tz, Lang: loc.lang, Screen: ua.screens[g.rnd.IntN(len(ua.screens))]},
		// Persons are drawn from a smaller population than visitors, so some
		// people use two devices and their visitors merge into one customer.
		person: g.rnd.IntN(max(1, population*3/4)),
	}
}

// batch returns the next n events of v, continuing or starting a session.
// Event times are spread over the seconds before now, never go backwards
// within a session and never pass now, however fast batches follow each other.
func (g *generator) batch(v *visitor, n int, now time.Time) *batch {
	if v.session == nil || g.rnd.IntN(100) < 15 || v.session.events > 300 {
		v.session = &session{id: g.id('s')}
	}
	s := v.session
	events := make([]wireEvent, n)
	nowMS := now.UnixMilli()
	gap := int64(50 + g.rnd.IntN(1500))
	for i := range events {
		ts := min(max(nowMS-int64(n-1-i)*gap, s.lastTS), nowMS)
		s.lastTS = ts
		events[i] = g.event(v, s, ts)
		s.events++
	}
	b := &batch{
		wire: wireBatch{
			SiteKey:   g.site,
			VisitorID: v.id,
			SessionID: s.id,
			Context:   v.context,
			Events:    events,
		},
		userAgent: v.ua.header,
	}
	b.body = encodeBatch(&b.wire)
	return b
}

// event returns the session's next event: a landing pageview first, then a
// mix weighted like a small shop's traffic.
func (g *generator) event(v *visitor, s *session, ts int64) wireEvent {
	e := wireEvent{ID: g.id('e'), TS: ts}
	if s.events == 0 {
		src := pickSource(g.rnd)
		path, title := g.page()
		u := g.origin + path
		if src.utm != "" {
			u += sep(u) + src.utm
		}
		e.Type, e.URL, e.Title, e.Referrer = "pageview", u, title, src.referrer
		s.page = u
		return e
	}
	e.URL = s.page
	if s.identify {
		s.identify = false
		g.identify(v, &e)
		return e
	}
	if s.formOpen != "" && g.rnd.IntN(3) == 0 {
		e.Type, e.Name = "form_submit", s.formOpen
		e.Attributes = obj{{"fields", 4}, {"valid", true}}
		s.identify = s.formOpen != "contact" && !v.known
		s.formOpen = ""
		return e
	}
	switch n := g.rnd.IntN(100); {
	case n < 45:
		path, title := g.page()
		e.Type, e.URL, e.Title, e.Referrer = "pageview", g.origin+path, title, s.page
		s.page = e.URL
	case n < 60:
		p := products[g.rnd.IntN(len(products))]
		qty := 1 + g.rnd.IntN(3)
		s.cart += qty
		e.Type, e.Name = "custom", "product_added"
		e.Attributes = obj{
			{"sku", p.sku},
			{"name", p.name},
			{"category", p.category},
			{"price", p.price},
			{"currency", "EUR"},
			{"quantity", typed("integer", qty)},
			{"gift", g.rnd.IntN(10) == 0},
			{"addedOn", typed("date", time.UnixMilli(ts).UTC().Format(time.DateOnly))},
			{"cartSize", s.cart},
		}
	case n < 70:
		term := searchTerms[g.rnd.IntN(len(searchTerms))]
		e.Type, e.Name = "search", "site_search"
		e.Attributes = obj{{"query", term}, {"results", typed("integer", g.rnd.IntN(40))}}
	case n < 85:
		e.Type = "scroll"
		e.Attributes = obj{{"percent", 25 * (1 + g.rnd.IntN(4))}}
	case n < 95:
		if s.formOpen == "" {
			s.formOpen = [...]string{"newsletter", "contact", "checkout"}[g.rnd.IntN(3)]
			e.Type, e.Name = "form_start", s.formOpen
			e.Attributes = obj{{"fields", 4}}
		} else {
			e.Type, e.Name = "form_submit", s.formOpen
			e.Attributes = obj{{"fields", 4}, {"valid", true}}
			s.identify = s.formOpen != "contact" && !v.known
			s.formOpen = ""
		}
	case n < 98:
		e.Type = "custom"
		e.Name = "checkout_started"
		e.Attributes = obj{{"items", typed("integer", s.cart)}, {"value", typed("number", float64(s.cart)*42.5)},
			{"startedAt", typed("datetime", time.UnixMilli(ts).UTC().Format("2006-01-02T15:04:05.000Z"))}}
	default: // a sign-in, or a known visitor signing in again
		g.identify(v, &e)
	}
	return e
}

// identify turns e into an identify event with the traits of v's person.
func (g *generator) identify(v *visitor, e *wireEvent) {
	p := v.person
	e.Type = "identify"
	e.Traits = obj{
		{"email", fmt.Sprintf("person%d@example.test", p)},
		{"customerId", fmt.Sprintf("C-%d", p)},
		{"givenName", givenNames[p%len(givenNames)]},
		{"familyName", familyNames[(p/len(givenNames))%len(familyNames)]},
		{"plan", [...]string{"free", "silver", "gold"}[p%3]},
		{"newsletter", p%2 == 0},
		{"signedUpOn", typed("date", "2025-0"+fmt.Sprint(1+p%9)+"-15")},
	}
	v.known = true
}

// page returns a random page path and its title.
func (g *generator) page() (path, title string) {
	switch n := g.rnd.IntN(100); {
	case n < 15:
		return "/", "Example Outdoor Shop"
	case n < 30:
		return "/products?category=" + products[g.rnd.IntN(len(products))].category, "Products – Example Outdoor Shop"
	case n < 65:
		p := products[g.rnd.IntN(len(products))]
		return "/products/" + p.slug, p.name + " – Example Outdoor Shop"
	case n < 75:
		term := searchTerms[g.rnd.IntN(len(searchTerms))]
		return "/search?q=" + url.QueryEscape(term), "Search: " + term
	case n < 85:
		a := articles[g.rnd.IntN(len(articles))]
		return "/blog/" + a.slug, a.title
	case n < 93:
		return "/cart", "Your cart"
	case n < 97:
		return "/checkout", "Checkout"
	default:
		return "/contact", "Contact us"
	}
}

func sep(u string) string {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' {
			return "&"
		}
	}
	return "?"
}
