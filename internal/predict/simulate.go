package predict

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

// The journey simulator: a documented generative model of visitors and
// sessions on a small shop in which the probability that a session ends
// with a purchase is known exactly at every moment, so the best achievable
// ranking (the Bayes-optimal AUC) is known. docs/prediction.md
// ("Simulator") writes the model out; the tables below are its parameters.
//
// In short: each session has a purpose, buy or browse, drawn when it starts
// from a logistic model of its context (source, device, local hour,
// weekend, returning visitor, days since the last visit, past purchase).
// The purpose shapes the decisive actions — where the visitor navigates,
// searches, adds to the cart — through a softmax over the links of the
// current page whose utilities differ by purpose. Everything else (when the
// visitor leaves, incidental events such as scrolls, forms and chats, every
// dwell time) depends only on what the tracker observes, never on the
// purpose. A buy session ends with the custom event "purchase". The true
// probability after any event is therefore the posterior of the purpose by
// Bayes' rule, sigmoid(f) with f = prior log-odds + the sum of the
// log-likelihood ratios of the decisive actions so far (SimLogitOf). Because
// leaving carries no information about the purpose, the probability at a
// session's last event is calibrated against its outcome, and the
// probability is a martingale along the session: the server's protocol —
// learning every scored moment with the session's label, judging the last
// one — targets exactly this truth.

// SimConfig configures the simulator.
type SimConfig struct {
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

// SimSession is one generated session. Events are in time order, with the
// purchase (custom event "purchase", attribute "amount") last when
// Purchased. P, the true probability of a purchase given the events before
// it, is never part of an event.
type SimSession struct {
	ID, VisitorID, TimeZone string
	Events                  []presage.Event
	Logit                   float64 // f: the true log-odds after the last event before the purchase
	P                       float64 // sigmoid(Logit)
	Purchased               bool
	Returning               bool
	gen                     float64 // f as accumulated while generating (tests compare it with Logit)
}

// PurchaseOutcome is the outcome the simulator's truth is about: a custom
// event "purchase" whose "amount" is the value.
func PurchaseOutcome() presage.Outcome {
	return presage.Outcome{ID: "purchase", Name: "purchase", Direction: presage.Maximize,
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "purchase"}, ValueField: "amount"}
}

// Page kinds of the simulated shop; decisive action a < simKinds navigates
// to page kind a (simSearch through a search event), simAddToCart adds the
// product shown to the cart.
const (
	simHome = iota
	simCategory
	simProduct
	simSearch
	simCart
	simCheckout
	simAccount
	simHelp
	simBlog
	simKinds
	simAddToCart = simKinds
	simActions   = simKinds + 1
)

var simKindNames = [simKinds]string{"home", "category", "product", "search", "cart", "checkout", "account", "help", "blog"}

// simLinks[i][a] is the weight of decisive action a on a page of kind i:
// the site's structure, the same for both purposes (columns: home,
// category, product, search, cart, checkout, account, help, blog,
// add_to_cart).
var simLinks = [simKinds][simActions]float64{
	simHome:     {0, 3, 1, 1, .3, 0, .4, .4, 1.2, 0},
	simCategory: {.5, 1.2, 4, .8, .3, 0, .1, .2, .3, 0},
	simProduct:  {.4, 1.8, 3, .8, .8, 0, .1, .3, .2, 1},
	simSearch:   {.2, .8, 5, 1.2, .2, 0, 0, .2, .2, 0},
	simCart:     {.2, .8, 2, .3, 0, 3, .3, .4, 0, 0},
	simCheckout: {.1, .2, .5, 0, 1.5, 2, .7, .5, 0, 0},
	simAccount:  {2, 1.5, 1, .5, .5, 0, 0, .6, .2, 0},
	simHelp:     {1, .5, .5, .5, .2, 0, .5, 2, .8, 0},
	simBlog:     {.8, .8, 1.2, .3, 0, 0, 0, .2, 2.6, 0},
}

// simDelta[a] is the utility of action a for a buyer minus that for a
// browser (a browser's utilities are 0): a buy session weighs action a by
// simLinks·exp(simDelta). Returning visitors who intend to buy go to their
// cart even more (simDeltaReturningCart).
var simDelta = [simActions]float64{-.3, .2, .7, .4, 2.6, 3.0, .3, -.5, -.9, 2.5}

const simDeltaReturningCart = .5

// Traffic sources, as the features see them: "paid" when the landing URL's
// utm_medium is cpc, else the collector's referrer class.
const (
	simDirect = iota
	simOrganic
	simSocial
	simEmail
	simPaid
	simSources
)

var (
	// simSourceNew and simSourceReturning are the source shares of first
	// and later visits.
	simSourceNew       = [simSources]float64{.20, .35, .15, .05, .25}
	simSourceReturning = [simSources]float64{.40, .20, .08, .20, .12}
	// simLanding[s][j] weighs landing on page kind j from source s (times
	// exp(simDelta[j]) for a buy session).
	simLanding = [simSources][simKinds]float64{
		simDirect:  {simHome: 6, simCategory: 1.5, simProduct: 1.5, simAccount: 1},
		simOrganic: {simHome: 2.5, simCategory: 3, simProduct: 3, simBlog: 1.5},
		simSocial:  {simCategory: 2, simProduct: 5, simBlog: 3},
		simEmail:   {simHome: 2, simCategory: 4.5, simProduct: 3.5},
		simPaid:    {simCategory: 4, simProduct: 6},
	}
)

// The prior: logit P(buy) at the session's start.
const (
	simBias          = -3.0
	simWReturning    = .30
	simWReturnDays   = -.15 // · ln(1 + days since the last visit), returning visitors
	simWPastPurchase = .80
	simWEvening      = .25 // local start hour 18–22
	simWNight        = -.35
	simWWeekend      = .15
)

var (
	simSourceWeight = [simSources]float64{0, .10, -.40, .50, .30}
	simDeviceWeight = map[string]float64{"desktop": 0, "mobile": -.45, "tablet": -.15}
)

// What the purpose does not influence.
var (
	// simExit is the probability of leaving at each step on a page of each
	// kind, times simExitCart once something is in the cart and
	// simExitMobile on mobile devices.
	simExit = [simKinds]float64{.15, .12, .12, .10, .10, .35, .15, .25, .30}
	// simIncidental is the probability that a step on a page of each kind
	// is an incidental event (scroll, form, chat) rather than a decisive
	// action, given the visitor stays.
	simIncidental = [simKinds]float64{.05, 0, .30, 0, 0, .06, .35, .30, .45}
	// simDwellMedian is the median time on a page of each kind before a
	// decisive action, in seconds.
	simDwellMedian = [simKinds]float64{10, 20, 35, 12, 25, 60, 25, 40, 75}
)

const (
	simExitCart    = .5
	simExitMobile  = 1.2
	simDwellSigma  = .8
	simMaxDwell    = 20 * time.Minute // longer gaps are cut (the session would time out)
	simMaxPages    = 50
	simMaxEvents   = 300
	simMinReturn   = 30 * time.Minute
	simRecentShare = .5   // share of returns drawn among recently active visitors
	simRecent      = 1000 // recently active visitors remembered
)

// Incidental events and their medians of the time before them (seconds).
const (
	simScroll = iota
	simNewsletter
	simContact
	simLogin
	simChat
)

var (
	simIncidentalChoice = [simKinds][]struct {
		kind  int
		share float64
	}{
		simHome:     {{simNewsletter, 1}},
		simProduct:  {{simScroll, 1}},
		simCheckout: {{simChat, 1}},
		simAccount:  {{simLogin, 1}},
		simHelp:     {{simContact, .6}, {simChat, .4}},
		simBlog:     {{simScroll, .85}, {simNewsletter, .15}},
	}
	simFormName   = map[int]string{simNewsletter: "newsletter", simContact: "contact", simLogin: "login"}
	simFormSubmit = map[int]float64{simNewsletter: .65, simContact: .55, simLogin: .90}
)

const (
	simGapScroll    = 12.0
	simGapFormStart = 8.0
	simGapFormEnd   = 25.0
	simGapChat      = 20.0
	simGapAddToCart = 15.0
)

var simDevices = []struct {
	name   string
	share  float64
	dwell  float64 // dwell factor
	models []struct {
		browser, os string
		share       float64
	}
}{
	{"desktop", .50, 1, []struct {
		browser, os string
		share       float64
	}{{"Chrome", "Windows", .40}, {"Edge", "Windows", .15}, {"Firefox", "Windows", .10}, {"Safari", "macOS", .15},
		{"Chrome", "macOS", .15}, {"Firefox", "Linux", .05}}},
	{"mobile", .42, .75, []struct {
		browser, os string
		share       float64
	}{{"Safari", "iOS", .45}, {"Chrome", "Android", .40}, {"Samsung Internet", "Android", .10}, {"Chrome", "iOS", .05}}},
	{"tablet", .08, .9, []struct {
		browser, os string
		share       float64
	}{{"Safari", "iOS", .70}, {"Chrome", "Android", .30}}},
}

var simZones = []struct {
	tz    string
	share float64
}{{"Europe/Paris", .30}, {"Europe/Berlin", .20}, {"Europe/London", .15}, {"Europe/Madrid", .10},
	{"America/New_York", .15}, {"America/Los_Angeles", .05}, {"Asia/Tokyo", .05}}

// simHourWeight is the relative traffic of each UTC hour.
var simHourWeight = [24]float64{2, 1.5, 1, .8, .8, 1, 2, 3.5, 4.5, 5, 5, 5, 5.5, 5.5, 5, 5, 5, 5.5, 6.5, 7, 7, 6, 4.5, 3}

type simProductItem struct {
	slug  string
	price float64
}

var simCategories = []string{"shoes", "tops", "outerwear", "bags", "accessories", "kids"}

var simProducts = []simProductItem{
	{"trail-runner", 89.9}, {"city-sneaker", 64.5}, {"hiking-boot", 139}, {"merino-tee", 39},
	{"fleece-mid-layer", 99}, {"linen-shirt", 49.5}, {"rain-shell", 149}, {"down-jacket", 219}, {"wind-vest", 69},
	{"day-pack", 75}, {"duffel", 95}, {"sling-bag", 35}, {"wool-socks", 23.5}, {"sun-cap", 19.9}, {"beanie", 24},
	{"kids-rain-boot", 39.9}, {"kids-fleece", 44},
}

var (
	simSearchTerms = []string{"running shoes", "rain jacket", "merino", "socks", "backpack", "gift card",
		"size guide", "returns", "waterproof", "kids boots"}
	simHelpTopics = []string{"shipping", "returns", "sizing", "payment", "contact"}
	simArticles   = []string{"how-to-choose-trail-shoes", "layering-basics", "care-for-merino", "packing-list",
		"rain-gear-guide"}
)

// simTables are the action probabilities of both purposes and their
// log-likelihood ratios, derived once from the tables above.
type simTables struct {
	// act[r][z][i] is the cumulative distribution of decisive actions on a
	// page of kind i for returning r (0/1) and purpose z (0 browse, 1 buy).
	act [2][2][simKinds][simActions]float64
	// llr[r][i][a] = log P_buy(a | i) − log P_browse(a | i).
	llr [2][simKinds][simActions]float64
	// land and landLLR are the same for landing pages by source.
	land    [2][2][simSources][simKinds]float64
	landLLR [2][simSources][simKinds]float64
}

var simTab = func() *simTables {
	t := &simTables{}
	for r := range 2 {
		delta := simDelta
		if r == 1 {
			delta[simCart] += simDeltaReturningCart
		}
		probs := func(w []float64, z int) []float64 {
			out := make([]float64, len(w))
			var sum float64
			for a, x := range w {
				if z == 1 {
					x *= math.Exp(delta[a])
				}
				out[a] = x
				sum += x
			}
			for a := range out {
				out[a] /= sum
			}
			return out
		}
		for i := range simKinds {
			pr, pb := probs(simLinks[i][:], 0), probs(simLinks[i][:], 1)
			var cr, cb float64
			for a := range simActions {
				cr, cb = cr+pr[a], cb+pb[a]
				t.act[r][0][i][a], t.act[r][1][i][a] = cr, cb
				if pr[a] > 0 {
					t.llr[r][i][a] = math.Log(pb[a]) - math.Log(pr[a])
				}
			}
		}
		for s := range simSources {
			pr, pb := probs(simLanding[s][:], 0), probs(simLanding[s][:], 1)
			var cr, cb float64
			for j := range simKinds {
				cr, cb = cr+pr[j], cb+pb[j]
				t.land[r][0][s][j], t.land[r][1][s][j] = cr, cb
				if pr[j] > 0 {
					t.landLLR[r][s][j] = math.Log(pb[j]) - math.Log(pr[j])
				}
			}
		}
	}
	return t
}()

// simSourceOf reads the source of a session from its first event's
// enrichment; -1 when it is none of the simulator's.
func simSourceOf(c presage.Enrichment) int {
	if strings.EqualFold(c.UTM.Medium, "cpc") {
		return simPaid
	}
	switch c.ReferrerClass {
	case collect.ReferrerDirect:
		return simDirect
	case collect.ReferrerSearch:
		return simOrganic
	case collect.ReferrerSocial:
		return simSocial
	case collect.ReferrerEmail:
		return simEmail
	}
	return -1
}

func simKindOf(path string) int {
	return slices.Index(simKindNames[:], PageType(PathTemplate(path)))
}

// SimPrior is the prior log-odds of a buy session: the part of f known
// when the session starts, from its first event and the visitor's history.
func SimPrior(first FeatureEvent, h History) float64 {
	g := simBias
	if s := simSourceOf(first.Context); s >= 0 {
		g += simSourceWeight[s]
	}
	g += simDeviceWeight[first.Context.Device]
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := first.OccurredAt.In(loc)
	switch hr := lt.Hour(); {
	case hr >= 18 && hr <= 22:
		g += simWEvening
	case hr <= 5:
		g += simWNight
	}
	if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
		g += simWWeekend
	}
	if h.Kind == VisitorReturning {
		days := 0.0
		if !h.LastVisit.IsZero() {
			days = max(first.OccurredAt.Sub(h.LastVisit).Hours()/24, 0)
		}
		g += simWReturning + simWReturnDays*math.Log1p(days)
	}
	if slices.Contains(h.Achievements, PurchaseOutcome().ID) {
		g += simWPastPurchase
	}
	return g
}

// SimLogitOf is f: the true log-odds that a simulated session is a buy
// session (and so ends with a purchase) given its events so far and the
// visitor's history — the prior plus, for each decisive action, log
// P_buy(action | page) − log P_browse(action | page). Decisive actions are
// read from the events: the landing page view, every later page view
// (navigation from the previous page) except the results page that follows
// a search event, every search event (navigation to the results) and every
// add_to_cart. Incidental events and times add nothing. It is NaN for
// events the simulator does not produce.
func SimLogitOf(events []FeatureEvent, h History) float64 {
	if len(events) == 0 {
		return math.NaN()
	}
	f := SimPrior(events[0], h)
	r := 0
	if h.Kind == VisitorReturning {
		r = 1
	}
	src := simSourceOf(events[0].Context)
	cur, searched := -1, false
	for _, e := range events {
		switch {
		case e.Type == presage.EventPageview:
			k := simKindOf(e.Path)
			switch {
			case k < 0 || src < 0:
				return math.NaN()
			case cur < 0:
				f += simTab.landLLR[r][src][k]
			case searched && k == simSearch:
			default:
				f += simTab.llr[r][cur][k]
			}
			cur, searched = k, false
		case cur < 0:
			return math.NaN()
		case e.Type == presage.EventSearch:
			f += simTab.llr[r][cur][simSearch]
			searched = true
		case e.Type == presage.EventCustom && e.Name == "add_to_cart":
			f += simTab.llr[r][cur][simAddToCart]
		}
	}
	return f
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
	cfg      SimConfig
	rng      *rand.Rand
	n        int
	u        float64 // position of the arrival process, in days
	hourCum  [25]float64
	visitors []*simVisitor
	recent   []int // ring of recently active visitors
	rnext    int
	seq      int64
}

// NewSimulator validates cfg and returns a simulator.
func NewSimulator(cfg SimConfig) (*Simulator, error) {
	if cfg.Sessions < 0 || cfg.Visitors < 0 || cfg.Days < 0 || math.IsNaN(cfg.Days) || math.IsInf(cfg.Days, 0) {
		return nil, errors.New("predict: simulator sessions, visitors and days must not be negative")
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
func (s *Simulator) Config() SimConfig { return s.cfg }

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
	sess     *SimSession
	t        time.Time
	url, ref string
}

func (g *sessionGen) emit(typ presage.EventType, name string, after time.Duration, attrs string) {
	g.t = g.t.Add(after)
	g.sess.Events = append(g.sess.Events, g.s.event(g.sess, g.v, typ, name, g.t, g.url, g.ref, attrs))
}

// Next generates the next session; false when Sessions were generated.
func (s *Simulator) Next() (SimSession, bool) {
	if s.n >= s.cfg.Sessions {
		return SimSession{}, false
	}
	s.n++
	start := s.arrival()
	v := s.visitor(start)
	returning := v.sessions > 0
	hist := History{Kind: VisitorNew, Location: location(v.tz)}
	r := 0
	if returning {
		hist = History{Kind: VisitorReturning, PastSessions: v.sessions, LastVisit: v.lastEnd, Location: hist.Location}
		if v.purchased {
			hist.Achievements = []string{PurchaseOutcome().ID}
		}
		r = 1
	}
	shares := simSourceNew
	if returning {
		shares = simSourceReturning
	}
	src := s.pick(shares[:])
	referrer, query := s.source(src, start)
	sess := &SimSession{ID: s.id('s'), VisitorID: v.id, TimeZone: v.tz, Returning: returning}
	g := &sessionGen{s: s, v: v, sess: sess, t: start}

	// The purpose, from the prior of the session's context.
	landingURL := s.cfg.Host + "/"
	if query != "" {
		landingURL += "?" + query
	}
	first := FeatureEvent{Type: presage.EventPageview, OccurredAt: start, Context: enrich(v, landingURL, referrer)}
	prior := SimPrior(first, hist)
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
	evs := make([]FeatureEvent, len(sess.Events))
	for i, e := range sess.Events {
		evs[i] = FromStored(e)
	}
	sess.Logit = SimLogitOf(evs, hist)
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
func (s *Simulator) event(sess *SimSession, v *simVisitor, typ presage.EventType, name string, at time.Time,
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
