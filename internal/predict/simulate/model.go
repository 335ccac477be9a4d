package simulate

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/predict"
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
// log-likelihood ratios of the decisive actions so far (LogitOf). Because
// leaving carries no information about the purpose, the probability at a
// session's last event is calibrated against its outcome, and the
// probability is a martingale along the session: the server's protocol —
// learning every scored moment with the session's label, judging the last
// one — targets exactly this truth.

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
	return slices.Index(simKindNames[:], predict.PageType(predict.PathTemplate(path)))
}

// Prior is the prior log-odds of a buy session: the part of f known
// when the session starts, from its first event and the visitor's history.
func Prior(first predict.FeatureEvent, h predict.History) float64 {
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
	if h.Kind == predict.VisitorReturning {
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

// LogitOf is f: the true log-odds that a simulated session is a buy
// session (and so ends with a purchase) given its events so far and the
// visitor's history — the prior plus, for each decisive action, log
// P_buy(action | page) − log P_browse(action | page). Decisive actions are
// read from the events: the landing page view, every later page view
// (navigation from the previous page) except the results page that follows
// a search event, every search event (navigation to the results) and every
// add_to_cart. Incidental events and times add nothing. It is NaN for
// events the simulator does not produce.
func LogitOf(events []predict.FeatureEvent, h predict.History) float64 {
	if len(events) == 0 {
		return math.NaN()
	}
	f := Prior(events[0], h)
	r := 0
	if h.Kind == predict.VisitorReturning {
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

// sigmoid is the logistic function of the model: the probability of a buy
// session given its log-odds. It is the simulator's own, not the live
// model's, so the truth does not change with the learner.
func sigmoid(x float64) float64 {
	x = math.Max(-35, math.Min(35, x))
	return 1 / (1 + math.Exp(-x))
}
