package simulate

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

func simulate(t testing.TB, cfg Config) []Session {
	t.Helper()
	sim, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []Session
	for {
		s, ok := sim.Next()
		if !ok {
			return out
		}
		out = append(out, s)
	}
}

func TestSimulatorDeterministic(t *testing.T) {
	a := simulate(t, Config{Sessions: 300, Seed: 7})
	b := simulate(t, Config{Sessions: 300, Seed: 7})
	c := simulate(t, Config{Sessions: 300, Seed: 8})
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed generated different journeys")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds generated the same journeys")
	}
	if _, err := New(Config{Sessions: -1}); err == nil {
		t.Error("negative sessions accepted")
	}
}

// TestSimulatorJourneysAreValid checks that the journeys look like what
// the collector stores and cover what the generative model describes.
func TestSimulatorJourneysAreValid(t *testing.T) {
	sessions := simulate(t, Config{Sessions: 5000, Seed: 1})
	idRE := regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)
	types := map[presage.EventType]int{}
	sources, devices, zones, pageKinds, customs := map[int]int{}, map[string]int{}, map[string]int{}, map[int]int{}, map[string]int{}
	type visit struct {
		end       time.Time
		purchased bool
	}
	last := map[string]visit{}
	var prevStart time.Time
	var events, returning, purchases, pages, withCheckout int
	seenIDs := map[string]bool{}
	for _, s := range sessions {
		if !idRE.MatchString(s.ID) || !idRE.MatchString(s.VisitorID) {
			t.Fatalf("bad ids %q %q", s.ID, s.VisitorID)
		}
		if len(s.Events) == 0 || s.Events[0].Type != presage.EventPageview {
			t.Fatalf("session %s does not start with a page view", s.ID)
		}
		start := s.Events[0].OccurredAt
		if start.Before(prevStart) {
			t.Fatalf("session %s starts before the previous one", s.ID)
		}
		prevStart = start
		if v, ok := last[s.VisitorID]; ok != s.Returning || ok && start.Sub(v.end) < 30*time.Minute {
			t.Fatalf("session %s: returning %v, previous visit %+v", s.ID, s.Returning, v)
		}
		if s.Returning {
			returning++
		}
		sources[simSourceOf(s.Events[0].Context)]++
		devices[s.Events[0].Context.Device]++
		zones[s.TimeZone]++
		if !(s.P > 0 && s.P < 1) || math.Abs(sigmoid(s.Logit)-s.P) > 1e-12 {
			t.Fatalf("session %s: p %v logit %v", s.ID, s.P, s.Logit)
		}
		checkout := false
		for i, e := range s.Events {
			events++
			types[e.Type]++
			if e.SessionID != s.ID || e.VisitorID != s.VisitorID || !idRE.MatchString(e.ID) || seenIDs[e.ID] {
				t.Fatalf("event %d of %s: ids %+v", i, s.ID, e)
			}
			seenIDs[e.ID] = true
			if !strings.HasPrefix(e.URL, "https://shop.example/") || e.OccurredAt != e.OccurredAt.Truncate(time.Millisecond) {
				t.Fatalf("event %+v", e)
			}
			if i > 0 {
				gap := e.OccurredAt.Sub(s.Events[i-1].OccurredAt)
				if gap <= 0 || gap >= 30*time.Minute {
					t.Fatalf("session %s: event %d comes %v after the previous one", s.ID, i, gap)
				}
			}
			if bytes.Contains(e.Attributes, []byte(`"p"`)) || bytes.Contains(e.Attributes, []byte("truth")) {
				t.Fatalf("truth leaked into attributes: %s", e.Attributes)
			}
			switch e.Type {
			case presage.EventPageview:
				pages++
				k := simKindOf(predict.URLPath(e.URL))
				if k < 0 {
					t.Fatalf("unknown page %s", e.URL)
				}
				pageKinds[k]++
				checkout = checkout || k == simCheckout
			case presage.EventCustom:
				customs[e.Name]++
				if e.Name == "purchase" && i != len(s.Events)-1 {
					t.Fatalf("session %s: purchase is not the last event", s.ID)
				}
			}
		}
		end := s.Events[len(s.Events)-1]
		if s.Purchased != (end.Type == presage.EventCustom && end.Name == "purchase") {
			t.Fatalf("session %s: purchased %v, last event %+v", s.ID, s.Purchased, end)
		}
		if s.Purchased {
			purchases++
			if !bytes.Contains(end.Attributes, []byte(`"amount":`)) {
				t.Fatalf("purchase without amount: %s", end.Attributes)
			}
			if checkout {
				withCheckout++
			}
		}
		last[s.VisitorID] = visit{end: end.OccurredAt, purchased: s.Purchased || last[s.VisitorID].purchased}
	}
	n := float64(len(sessions))
	rate, ret, perSession := float64(purchases)/n, float64(returning)/n, float64(pages)/n
	t.Logf("%d sessions, %.1f events and %.1f pages each, %.1f%% returning, %.2f%% purchases (%.0f%% through a checkout page), sources %v, devices %v",
		len(sessions), float64(events)/n, perSession, 100*ret, 100*rate, 100*float64(withCheckout)/float64(purchases), sources, devices)
	switch {
	case rate < .03 || rate > .09:
		t.Errorf("purchase rate %.3f", rate)
	case ret < .3 || ret > .5:
		t.Errorf("returning share %.3f", ret)
	case perSession < 3 || perSession > 10:
		t.Errorf("%.1f pages per session", perSession)
	case float64(withCheckout) < .45*float64(purchases):
		t.Errorf("only %d of %d purchases went through a checkout page", withCheckout, purchases)
	}
	for _, typ := range []presage.EventType{presage.EventPageview, presage.EventCustom, presage.EventSearch, presage.EventScroll,
		presage.EventFormStart, presage.EventFormSubmit, presage.EventFormAbandon, presage.EventChat} {
		if types[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	if len(sources) != simSources || sources[-1] > 0 || len(devices) != 3 || len(zones) != len(simZones) ||
		len(pageKinds) != simKinds || customs["add_to_cart"] == 0 {
		t.Errorf("coverage: sources %v devices %v zones %v pages %v customs %v", sources, devices, zones, pageKinds, customs)
	}
}

// TestSimulatorTruthIsWhatFeaturesSee recomputes every session's true
// log-odds from its events (the purchase excluded) and the visitor history
// as the store would derive it from the earlier sessions — nothing internal
// to the simulator — and compares it with what the generator accumulated
// as it drew the purpose's actions.
func TestSimulatorTruthIsWhatFeaturesSee(t *testing.T) {
	type past struct {
		n        int
		last     time.Time
		achieved []string
	}
	visitors := map[string]*past{}
	for _, s := range simulate(t, Config{Sessions: 3000, Seed: 3}) {
		var vh predict.VisitorHistory
		v := visitors[s.VisitorID]
		if v == nil {
			v = &past{}
			visitors[s.VisitorID] = v
		} else {
			vh = predict.VisitorHistory{PastSessions: v.n, LastVisit: v.last, Achieved: v.achieved}
		}
		var evs []predict.FeatureEvent
		for _, e := range s.Events {
			if e.Type == presage.EventCustom && e.Name == "purchase" {
				break
			}
			evs = append(evs, predict.FromStored(e))
		}
		f := LogitOf(evs, predict.HistoryOf(vh, s.TimeZone))
		if math.Abs(f-s.Logit) > 1e-9 || math.Abs(s.gen-s.Logit) > 1e-9 {
			t.Fatalf("session %s: f from events %v, recorded %v, accumulated while generating %v", s.ID, f, s.Logit, s.gen)
		}
		v.n++
		v.last = s.Events[len(s.Events)-1].OccurredAt
		if s.Purchased {
			v.achieved = []string{PurchaseOutcome().ID}
		}
	}
	if !math.IsNaN(LogitOf(nil, predict.History{})) ||
		!math.IsNaN(LogitOf([]predict.FeatureEvent{{Type: presage.EventPageview, Path: "/nowhere"}}, predict.History{})) {
		t.Error("f of events the simulator does not produce is a number")
	}
}

// TestSimulatorTruthCalibrated checks the property the construction rests
// on: the true probability at a session's last event is calibrated against
// the outcome although the session's end was not known then (leaving does
// not depend on the purpose). A simulator whose exits depended on the
// purpose, or whose truth missed a term, fails here.
func TestSimulatorTruthCalibrated(t *testing.T) {
	var ps []float64
	var ys []bool
	for _, s := range simulate(t, Config{Sessions: 20000, Seed: 2}) {
		ps, ys = append(ps, s.P), append(ys, s.Purchased)
	}
	sum := predict.Summarize(ps, ys)
	var mean float64
	for _, p := range ps {
		mean += p
	}
	mean /= float64(len(ps))
	rate := float64(sum.Positives) / float64(sum.N)
	exp := ExpectedAUC(ps)
	t.Logf("truth: AUC %.4f (expected %.4f), ECE %.4f, mean p %.4f vs rate %.4f", sum.AUC, exp, sum.ECE, mean, rate)
	if se := math.Sqrt(mean * (1 - mean) / float64(len(ps))); math.Abs(mean-rate) > 4*se || sum.ECE > 0.01 {
		t.Errorf("truth is not calibrated: mean %.4f rate %.4f ECE %.4f", mean, rate, sum.ECE)
	}
	if math.Abs(exp-sum.AUC) > 0.015 {
		t.Errorf("realized Bayes AUC %.4f far from its expectation %.4f", sum.AUC, exp)
	}
}

func TestExpectedAUCMatchesPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 1 + rng.IntN(60)
		p := make([]float64, n)
		for i := range p {
			p[i] = float64(rng.IntN(8)) / 7 // ties, 0 and 1 included
			if trial%2 == 1 {
				p[i] = rng.Float64()
			}
		}
		var num, den float64
		for i := range p {
			for j := range p {
				if i == j {
					continue
				}
				w := p[i] * (1 - p[j])
				den += w
				switch {
				case p[i] > p[j]:
					num += w
				case p[i] == p[j]:
					num += w / 2
				}
			}
		}
		got := ExpectedAUC(p)
		if den == 0 {
			if !math.IsNaN(got) {
				t.Errorf("%v: %v, want NaN", p, got)
			}
			continue
		}
		if math.Abs(got-num/den) > 1e-12 {
			t.Errorf("%v: %v, want %v", p, got, num/den)
		}
	}
}
