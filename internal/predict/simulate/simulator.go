package simulate

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// Config configures the simulator.
type Config struct {
	Sessions int    // sessions to generate
	Visitors int    // size of the visitor pool; 0 means 60% of Sessions
	Seed     uint64 // everything generated is a function of the seed
	// Start is the beginning of the traffic; zero means 2026-03-02 00:00 UTC.
	Start time.Time
	// Days is the span of session starts; 0 means Sessions/800 within 14–90.
	Days float64
	// Host is the site's origin; "" means https://shop.example.
	Host string
}

// Session is one generated session. Events are in time order, with the
// purchase (custom event "purchase", attribute "amount") last when
// Purchased. P, the true probability of a purchase given the events before
// it, is never part of an event.
type Session struct {
	ID, VisitorID, TimeZone string
	Events                  []presage.Event
	Logit                   float64 // f: the true log-odds after the last event before the purchase
	P                       float64 // sigmoid(Logit)
	Purchased               bool
	Returning               bool
	gen                     float64 // f as accumulated while generating (tests compare it with Logit)
}

type simVisitor struct {
	id         string
	idx        int // in Simulator.visitors
	tz         string
	device     string
	browser    string
	os         string
	dwell      float64 // device dwell factor
	returnProp float64
	sessions   int
	lastEnd    time.Time
	purchased  bool
}

// Simulator generates sessions in order of start time. It is not safe for
// concurrent use.
type Simulator struct {
	cfg      Config
	rng      *rand.Rand
	n        int
	u        float64 // position of the arrival process, in days
	hourCum  [25]float64
	visitors []*simVisitor
	recent   []int // ring of recently active visitors
	rnext    int
	seq      int64
}

// New validates cfg and returns a simulator.
func New(cfg Config) (*Simulator, error) {
	if cfg.Sessions < 0 || cfg.Visitors < 0 || cfg.Days < 0 || math.IsNaN(cfg.Days) || math.IsInf(cfg.Days, 0) {
		return nil, errors.New("simulator sessions, visitors and days must not be negative")
	}
	if cfg.Visitors == 0 {
		cfg.Visitors = max(1, cfg.Sessions*6/10)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	}
	if cfg.Days == 0 {
		cfg.Days = min(90, max(14, float64(cfg.Sessions)/800))
	}
	if cfg.Host == "" {
		cfg.Host = "https://shop.example"
	}
	cfg.Host = strings.TrimRight(cfg.Host, "/")
	s := &Simulator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed5eed5eed5eed))}
	var sum float64
	for _, w := range simHourWeight {
		sum += w
	}
	for h, w := range simHourWeight {
		s.hourCum[h+1] = s.hourCum[h] + w/sum
	}
	return s, nil
}

// Config returns the configuration with defaults filled in.
func (s *Simulator) Config() Config { return s.cfg }

const simIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

func (s *Simulator) id(prefix byte) string {
	var b [21]byte
	b[0] = prefix
	for half := range 2 {
		v := s.rng.Uint64()
		for i := range 10 {
			b[1+half*10+i] = simIDAlphabet[v&63]
			v >>= 6
		}
	}
	return string(b[:])
}

// pick draws an index from weights that sum to about 1.
func (s *Simulator) pick(weights []float64) int {
	x := s.rng.Float64()
	var c float64
	for i, w := range weights {
		c += w
		if x < c {
			return i
		}
	}
	for i := len(weights) - 1; i >= 0; i-- {
		if weights[i] > 0 {
			return i
		}
	}
	return 0
}

// pickCum draws an index from a cumulative distribution.
func (s *Simulator) pickCum(cum []float64) int {
	x := s.rng.Float64() * cum[len(cum)-1]
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	for i := len(cum) - 1; i > 0; i-- {
		if cum[i] > cum[i-1] {
			return i
		}
	}
	return 0
}

func (s *Simulator) newVisitor() *simVisitor {
	v := &simVisitor{id: s.id('v'), idx: len(s.visitors)}
	shares := make([]float64, len(simDevices))
	for i, d := range simDevices {
		shares[i] = d.share
	}
	d := simDevices[s.pick(shares)]
	ms := make([]float64, len(d.models))
	for i, m := range d.models {
		ms[i] = m.share
	}
	m := d.models[s.pick(ms)]
	v.device, v.browser, v.os, v.dwell = d.name, m.browser, m.os, d.dwell
	zs := make([]float64, len(simZones))
	for i, z := range simZones {
		zs[i] = z.share
	}
	v.tz = simZones[s.pick(zs)].tz
	v.returnProp = .2 + .8*s.rng.Float64()
	s.visitors = append(s.visitors, v)
	return v
}

// arrival returns the next session start: a Poisson process of Sessions/Days
// per day whose intensity within a day follows simHourWeight (UTC).
func (s *Simulator) arrival() time.Time {
	s.u += s.rng.ExpFloat64() * s.cfg.Days / float64(max(s.cfg.Sessions, 1))
	day := math.Floor(s.u)
	frac := s.u - day
	h := 0
	for h < 23 && s.hourCum[h+1] <= frac {
		h++
	}
	within := (frac - s.hourCum[h]) / (s.hourCum[h+1] - s.hourCum[h])
	sec := day*86400 + (float64(h)+within)*3600
	return s.cfg.Start.Add(time.Duration(sec * float64(time.Second))).Truncate(time.Millisecond)
}

// visitor picks the visitor of a session starting at t: a new one with
// probability Visitors/Sessions while the pool is not full, else a return
// of an earlier visitor (half the time among the recently active ones),
// accepted with the visitor's return propensity (doubled after a purchase,
// at most 1) and only if their last session ended at least 30 minutes
// before t.
func (s *Simulator) visitor(t time.Time) *simVisitor {
	newShare := float64(s.cfg.Visitors) / float64(max(s.cfg.Sessions, 1))
	if len(s.visitors) == 0 || (len(s.visitors) < s.cfg.Visitors && s.rng.Float64() < newShare) {
		return s.newVisitor()
	}
	for range 30 {
		var v *simVisitor
		if len(s.recent) > 0 && s.rng.Float64() < simRecentShare {
			v = s.visitors[s.recent[s.rng.IntN(len(s.recent))]]
		} else {
			v = s.visitors[s.rng.IntN(len(s.visitors))]
		}
		prop := v.returnProp
		if v.purchased {
			prop = min(1, 2*prop)
		}
		if v.sessions > 0 && !v.lastEnd.Add(simMinReturn).After(t) && s.rng.Float64() < prop {
			return v
		}
	}
	return s.newVisitor()
}

func (s *Simulator) remember(idx int) {
	if len(s.recent) < simRecent {
		s.recent = append(s.recent, idx)
		return
	}
	s.recent[s.rnext] = idx
	s.rnext = (s.rnext + 1) % simRecent
}

// source returns the referrer and landing-URL query of a source.
func (s *Simulator) source(src int, t time.Time) (referrer, query string) {
	switch src {
	case simOrganic:
		return []string{"https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/"}[s.pick([]float64{.8, .12, .08})], ""
	case simSocial:
		nets := []struct{ ref, name string }{{"https://www.facebook.com/", "facebook"},
			{"https://l.instagram.com/", "instagram"}, {"https://www.pinterest.com/", "pinterest"}}
		n := nets[s.pick([]float64{.5, .3, .2})]
		if s.rng.Float64() < .6 {
			return n.ref, "utm_source=" + n.name + "&utm_medium=social&utm_campaign=spring_collection"
		}
		return n.ref, ""
	case simEmail:
		_, week := t.ISOWeek()
		return "", "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_" + strconv.Itoa(week)
	case simPaid:
		camp := "generic"
		if s.rng.Float64() < .4 {
			camp = "brand"
		}
		if s.rng.Float64() < .85 {
			return "https://www.google.com/", "utm_source=google&utm_medium=cpc&utm_campaign=" + camp
		}
		return "https://www.bing.com/", "utm_source=bing&utm_medium=cpc&utm_campaign=" + camp
	}
	return "", ""
}

// page returns the URL path of a page of kind k and the product it shows.
func (s *Simulator) page(k int, query string) (string, *simProductItem) {
	switch k {
	case simCategory:
		return "/category/" + simCategories[s.rng.IntN(len(simCategories))], nil
	case simProduct:
		p := &simProducts[s.rng.IntN(len(simProducts))]
		return "/product/" + p.slug, p
	case simSearch:
		return "/search?q=" + strings.ReplaceAll(query, " ", "+"), nil
	case simCart:
		return "/cart", nil
	case simCheckout:
		if s.rng.Float64() < .5 {
			return "/checkout/shipping", nil
		}
		return "/checkout/payment", nil
	case simAccount:
		return "/account", nil
	case simHelp:
		return "/help/" + simHelpTopics[s.rng.IntN(len(simHelpTopics))], nil
	case simBlog:
		return "/blog/" + simArticles[s.rng.IntN(len(simArticles))], nil
	}
	return "/", nil
}

// gap draws a log-normal time with the given median in seconds (scaled by
// the visitor's device), between 1 s and simMaxDwell, in milliseconds.
func (s *Simulator) gap(median float64, v *simVisitor) time.Duration {
	sec := median * v.dwell * math.Exp(simDwellSigma*s.rng.NormFloat64())
	d := time.Duration(sec * float64(time.Second)).Truncate(time.Millisecond)
	return max(time.Second, min(d, simMaxDwell))
}

// sessionGen is the state of one session being generated.
type sessionGen struct {
	s        *Simulator
	v        *simVisitor
	sess     *Session
	t        time.Time
	url, ref string
}

func (g *sessionGen) emit(typ presage.EventType, name string, after time.Duration, attrs string) {
	g.t = g.t.Add(after)
	g.sess.Events = append(g.sess.Events, g.s.event(g.sess, g.v, typ, name, g.t, g.url, g.ref, attrs))
}

// Next generates the next session; false when Sessions were generated.
func (s *Simulator) Next() (Session, bool) {
	if s.n >= s.cfg.Sessions {
		return Session{}, false
	}
	s.n++
	start := s.arrival()
	v := s.visitor(start)
	returning := v.sessions > 0
	// What the store would report of the visitor's earlier sessions, as
	// the trainer and the evaluation read it.
	var vh predict.VisitorHistory
	r := 0
	if returning {
		vh = predict.VisitorHistory{PastSessions: v.sessions, LastVisit: v.lastEnd}
		if v.purchased {
			vh.Achieved = []string{PurchaseOutcome().ID}
		}
		r = 1
	}
	hist := predict.HistoryOf(vh, v.tz)
	shares := simSourceNew
	if returning {
		shares = simSourceReturning
	}
	src := s.pick(shares[:])
	referrer, query := s.source(src, start)
	sess := &Session{ID: s.id('s'), VisitorID: v.id, TimeZone: v.tz, Returning: returning}
	g := &sessionGen{s: s, v: v, sess: sess, t: start}

	// The purpose, from the prior of the session's context.
	landingURL := s.cfg.Host + "/"
	if query != "" {
		landingURL += "?" + query
	}
	first := predict.FeatureEvent{Type: presage.EventPageview, OccurredAt: start, Context: enrich(v, landingURL, referrer)}
	prior := Prior(first, hist)
	z := 0
	if s.rng.Float64() < sigmoid(prior) {
		z = 1
	}
	f := prior

	kind := s.pickCum(simTab.land[r][z][src][:])
	f += simTab.landLLR[r][src][kind]
	path, prod := s.page(kind, "")
	g.url = s.cfg.Host + path
	if query != "" {
		g.url += "?" + query
	}
	g.ref = referrer
	g.emit(presage.EventPageview, "", 0, "")
	pages := 1
	var cart []float64
	for {
		exit := simExit[kind]
		if len(cart) > 0 {
			exit *= simExitCart
		}
		if v.device == "mobile" {
			exit *= simExitMobile
		}
		if pages >= simMaxPages || len(sess.Events) >= simMaxEvents || s.rng.Float64() < exit {
			break
		}
		if s.rng.Float64() < simIncidental[kind] {
			s.incidental(g, kind)
			continue
		}
		a := s.pickCum(simTab.act[r][z][kind][:])
		f += simTab.llr[r][kind][a]
		dwell := s.gap(simDwellMedian[kind], v)
		switch a {
		case simAddToCart:
			cart = append(cart, prod.price)
			g.emit(presage.EventCustom, "add_to_cart", s.gap(simGapAddToCart, v),
				`{"sku":"`+prod.slug+`","price":`+strconv.FormatFloat(prod.price, 'f', -1, 64)+`,"quantity":1}`)
			continue
		case simSearch:
			term := simSearchTerms[s.rng.IntN(len(simSearchTerms))]
			g.emit(presage.EventSearch, "", dwell, `{"query":"`+term+`"}`)
			path, prod = s.page(simSearch, term)
			dwell = time.Duration(500+s.rng.IntN(1500)) * time.Millisecond
		default:
			path, prod = s.page(a, "")
		}
		g.ref, g.url = g.url, s.cfg.Host+path
		g.emit(presage.EventPageview, "", dwell, "")
		kind = a
		pages++
	}
	sess.gen = f
	evs := make([]predict.FeatureEvent, len(sess.Events))
	for i, e := range sess.Events {
		evs[i] = predict.FromStored(e)
	}
	sess.Logit = LogitOf(evs, hist)
	sess.P = sigmoid(sess.Logit)
	sess.Purchased = z == 1
	if sess.Purchased {
		amount := 0.0
		for _, p := range cart {
			amount += p
		}
		if amount == 0 {
			amount = 55 * math.Exp(.6*s.rng.NormFloat64())
		}
		g.ref, g.url = g.url, s.cfg.Host+"/checkout/confirmation"
		g.emit(presage.EventCustom, "purchase", time.Duration(2000+s.rng.IntN(20000))*time.Millisecond,
			`{"amount":`+strconv.FormatFloat(math.Round(amount*100)/100, 'f', 2, 64)+`,"currency":"EUR"}`)
		v.purchased = true
	}
	s.remember(v.idx)
	v.sessions++
	v.lastEnd = sess.Events[len(sess.Events)-1].OccurredAt
	return *sess, true
}

// incidental emits an incidental event of a page of kind k: a scroll, a
// form started then submitted or abandoned, or a chat.
func (s *Simulator) incidental(g *sessionGen, k int) {
	cs := simIncidentalChoice[k]
	shares := make([]float64, len(cs))
	for i, c := range cs {
		shares[i] = c.share
	}
	switch c := cs[s.pick(shares)].kind; c {
	case simScroll:
		g.emit(presage.EventScroll, "", s.gap(simGapScroll, g.v), `{"percent":`+strconv.Itoa(25*(1+s.rng.IntN(4)))+`}`)
	case simChat:
		g.emit(presage.EventChat, "support", s.gap(simGapChat, g.v), "")
	default:
		name := simFormName[c]
		attrs := `{"form":"` + name + `"}`
		g.emit(presage.EventFormStart, name, s.gap(simGapFormStart, g.v), attrs)
		end := presage.EventFormAbandon
		if s.rng.Float64() < simFormSubmit[c] {
			end = presage.EventFormSubmit
		}
		g.emit(end, name, s.gap(simGapFormEnd, g.v), attrs)
	}
}

// event builds a stored event with the enrichment the collector derives
// from the page URL and referrer.
func (s *Simulator) event(sess *Session, v *simVisitor, typ presage.EventType, name string, at time.Time,
	pageURL, referrer, attrs string) presage.Event {
	s.seq++
	e := presage.Event{ID: s.id('e'), SessionID: sess.ID, VisitorID: v.id, Type: typ, Name: name,
		OccurredAt: at, ReceivedAt: at, URL: pageURL, Referrer: referrer, Seq: s.seq,
		Context: enrich(v, pageURL, referrer)}
	if attrs != "" {
		e.Attributes = json.RawMessage(attrs)
	}
	return e
}

// enrich is what the collector derives for an event of v's browser.
func enrich(v *simVisitor, pageURL, referrer string) presage.Enrichment {
	utm := collect.ParseUTM(pageURL)
	return presage.Enrichment{Device: v.device, Browser: v.browser, OS: v.os,
		ReferrerClass: collect.ClassifyReferrer(referrer, pageURL, utm), UTM: utm}
}
