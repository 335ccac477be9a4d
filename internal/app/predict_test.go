package app

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/testwait"
)

// The prediction tests' trainer and scorer settings, on the node's clock.
const (
	testSessionTimeout  = 30 * time.Minute
	testSettle          = time.Second
	testCheckpointEvery = 150 * time.Millisecond
	testRefresh         = 100 * time.Millisecond
)

// predictionConfig makes training react within a test's patience: passes
// follow each other quickly and checkpoints reach scorers quickly. The node
// runs on a test clock, so sessions end only when the test moves the clock
// past the session timeout (waitSessions does), never because a busy machine
// paused between two batches of one visit; and leases outlast every move of
// the clock, so a lease changes hands only when its holder stops.
func predictionConfig(cfg Config) (Config, *testClock) {
	clock := newTestClock()
	cfg.Now = clock.Now
	cfg.SessionTimeout = testSessionTimeout
	cfg.Trainer = predict.TrainerOptions{Settle: testSettle, CheckpointEvery: testCheckpointEvery,
		Interval: 50 * time.Millisecond, LeaseTTL: 2 * testSessionTimeout}
	cfg.Scorer = predict.ScorerOptions{Refresh: testRefresh}
	return cfg, clock
}

// shopper is a simulated visit: product views and an add-to-cart raise the
// chance of a purchase at the end.
type shopper struct {
	products int
	cart     bool
	buys     bool
}

func newShopper(rng *rand.Rand) shopper {
	s := shopper{products: rng.IntN(9), cart: rng.IntN(3) == 0}
	logit := -3.5 + 0.55*float64(s.products)
	if s.cart {
		logit += 2
	}
	s.buys = rng.Float64() < 1/(1+math.Exp(-logit))
	return s
}

// events renders the visit as tracker events 100 ms apart, the last one at
// end; a purchase comes last.
func (s shopper) events(prefix string, end time.Time) []map[string]any {
	var out []map[string]any
	add := func(e map[string]any) {
		e["id"] = fmt.Sprintf("%s-%02d", prefix, len(out))
		out = append(out, e)
	}
	add(map[string]any{"type": "pageview", "url": "https://shop.example/", "title": "Home"})
	for i := 0; i < s.products; i++ {
		add(map[string]any{"type": "pageview", "url": fmt.Sprintf("https://shop.example/product/%d", 100+i), "title": "Product"})
	}
	if s.cart {
		add(map[string]any{"type": "custom", "name": "add_to_cart", "url": "https://shop.example/cart"})
	}
	if s.buys {
		add(map[string]any{"type": "custom", "name": "purchase", "url": "https://shop.example/thanks",
			"attributes": map[string]any{"amount": 20 + s.products}})
	}
	for i, e := range out {
		e["ts"] = end.Add(-time.Duration(len(out)-1-i) * 100 * time.Millisecond).UnixMilli()
	}
	return out
}

type modelBody struct {
	Version  int64 `json:"version"`
	Sessions int64 `json:"sessions"`
	Window   struct {
		Sessions int      `json:"sessions"`
		AUC      *float64 `json:"rocAuc"`
		ECE      *float64 `json:"expectedCalibrationError"`
	} `json:"window"`
	Total struct {
		Sessions    int      `json:"sessions"`
		Positives   int      `json:"positives"`
		AUC         *float64 `json:"rocAuc"`
		Calibration []struct {
			Count int `json:"count"`
		} `json:"calibration"`
	} `json:"total"`
}

type predictionBody struct {
	OutcomeID      string  `json:"outcomeId"`
	Probability    float64 `json:"probability"`
	MaxProbability float64 `json:"maxProbability"`
	Percentile     float64 `json:"percentile"`
	ModelVersion   int64   `json:"modelVersion"`
	Events         int     `json:"events"`
	History        []struct {
		Probability float64 `json:"probability"`
	} `json:"history"`
}

// shop drives a tenant with a purchase outcome over HTTP, on any node.
type shop struct {
	t       *testing.T
	tf      tenantFixture
	outcome string
	rng     *rand.Rand
	clock   *testClock // the nodes' clock; nil when they use time.Now
}

func newShop(t *testing.T, n *node, name string, clock *testClock) *shop {
	t.Helper()
	sh := &shop{t: t, tf: newTenant(t, n, name), rng: rand.New(rand.NewPCG(11, 12)), clock: clock}
	var out struct {
		ID string `json:"id"`
	}
	if code := n.call(http.MethodPost, "/api/v1/outcomes", sh.tf.Key, map[string]any{
		"name": "purchase", "direction": "maximize", "valueField": "amount",
		"condition": map[string]any{"kind": "event", "eventName": "purchase"},
	}, nil, &out); code != http.StatusCreated {
		t.Fatalf("create outcome: %d", code)
	}
	sh.outcome = out.ID
	return sh
}

// now is the nodes' time, which events are stamped with.
func (sh *shop) now() time.Time {
	if sh.clock != nil {
		return sh.clock.Now()
	}
	return time.Now()
}

func (sh *shop) send(n *node, visitor, session string, evs []map[string]any) {
	sh.t.Helper()
	body := map[string]any{"siteKey": sh.tf.Org.SiteKey, "visitorId": visitor, "sessionId": session, "events": evs}
	var problem problemBody
	if code := n.call(http.MethodPost, "/v1/events", "", body, map[string]string{"Origin": sh.tf.origin()}, &problem); code/100 != 2 {
		sh.t.Fatalf("send events: %d %+v", code, problem)
	}
}

// visit sends count new shoppers, each in two batches: the first to
// first, the second to second (the same node reuses its cached session
// state; another node rebuilds it from the store).
func (sh *shop) visit(first, second *node, round, count int) (buyers int) {
	for i := 0; i < count; i++ {
		s := newShopper(sh.rng)
		id := fmt.Sprintf("r%di%d", round, i)
		evs := s.events("event-"+id, sh.now())
		if half := len(evs) / 2; half > 0 {
			sh.send(first, "visitor-"+id, "session-"+id, evs[:half])
			evs = evs[half:]
		}
		sh.send(second, "visitor-"+id, "session-"+id, evs)
		if s.buys {
			buyers++
		}
	}
	return buyers
}

func (sh *shop) model(n *node) modelBody {
	sh.t.Helper()
	var m modelBody
	if code := n.call(http.MethodGet, "/api/v1/outcomes/"+sh.outcome+"/model", sh.tf.Key, nil, nil, &m); code != http.StatusOK {
		sh.t.Fatalf("model: %d", code)
	}
	return m
}

// waitSessions ends every session sent so far, moving the clock past the
// session timeout, and waits until the model has learned want sessions.
// While it waits the clock moves on, so that checkpoints fall due.
func (sh *shop) waitSessions(n *node, want int64) modelBody {
	sh.t.Helper()
	sh.clock.Advance(testSessionTimeout + testSettle + time.Second)
	var m modelBody
	if !testwait.Poll(30*time.Second, func() bool {
		if m = sh.model(n); m.Sessions >= want {
			return true
		}
		sh.clock.Advance(testCheckpointEvery)
		return false
	}) {
		sh.t.Fatalf("model learned %d sessions, want %d", m.Sessions, want)
	}
	return m
}

func (sh *shop) predictions(n *node, session string) predictionBody {
	sh.t.Helper()
	var l listBody[predictionBody]
	if code := n.call(http.MethodGet, "/api/v1/sessions/"+session+"/predictions", sh.tf.Key, nil, nil, &l); code != http.StatusOK || len(l.Data) != 1 {
		sh.t.Fatalf("predictions of %s: %d, %d items", session, code, len(l.Data))
	}
	return l.Data[0]
}

// TestPredictionEndToEnd drives simulated shoppers through the HTTP API:
// the trainer learns the purchase outcome from finished sessions, the API
// shows the model's progressive-validation AUC rising and live sessions
// scored with it, and a restarted node keeps the model.
func TestPredictionEndToEnd(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		cfg, clock := predictionConfig(cfg)
		n := startNode(t, cfg)
		sh := newShop(t, n, "Predictshop", clock)
		if m := sh.model(n); m.Version != 0 || m.Total.Sessions != 0 || m.Total.AUC != nil {
			t.Fatalf("untrained model: %+v", m)
		}
		b1 := sh.visit(n, n, 1, 150)
		first := sh.waitSessions(n, 150)
		if first.Total.AUC == nil || first.Total.Positives != b1 {
			t.Fatalf("after round 1: %+v (buyers %d)", first, b1)
		}
		sh.visit(n, n, 2, 450)
		second := sh.waitSessions(n, 600)
		// The shoppers' Bayes-optimal AUC is 0.845; the first sessions are
		// scored by a model that knows nothing yet.
		if second.Total.AUC == nil || *second.Total.AUC < 0.70 || *second.Total.AUC < *first.Total.AUC+0.03 {
			t.Errorf("AUC did not rise: round 1 %.3f, after round 2 %.3f", *first.Total.AUC, deref(second.Total.AUC))
		}
		if len(second.Total.Calibration) != 10 {
			t.Errorf("calibration table: %d bins", len(second.Total.Calibration))
		}
		// The node trains both organizations with outcomes: the shop and the demo.
		if metrics := scrape(t, n); !strings.Contains(metrics, "presage_trainer_sessions_total 600\n") ||
			!strings.Contains(metrics, "presage_trainer_leases 2\n") {
			t.Errorf("trainer metrics missing or wrong:\n%s", grepLines(metrics, "presage_trainer_"))
		}
		t.Logf("AUC round 1 %.3f (%d sessions), after round 2 %.3f (%d sessions), version %d",
			*first.Total.AUC, first.Total.Sessions, *second.Total.AUC, second.Total.Sessions, second.Version)

		// Live sessions: an engaged shopper outranks a bouncer, every event
		// left a point in the history, and the scores come from the model.
		// The scorer picks new checkpoints up within its refresh interval.
		clock.Advance(testRefresh)
		keen := shopper{products: 8, cart: true}.events("ekeen", sh.now())
		sh.send(n, "visitor-keen", "session-keen", keen)
		sh.send(n, "visitor-bounce", "session-bounce", shopper{}.events("ebounce", sh.now()))
		pk, pb := sh.predictions(n, "session-keen"), sh.predictions(n, "session-bounce")
		if pk.ModelVersion == 0 || pk.Probability <= pb.Probability || pk.Events != len(keen) || len(pk.History) != len(keen) {
			t.Errorf("live predictions: keen %+v, bounce %+v", pk, pb)
		}
		if pk.Percentile <= pb.Percentile || pk.MaxProbability < pk.Probability {
			t.Errorf("percentiles: keen %.1f, bounce %.1f", pk.Percentile, pb.Percentile)
		}
		if code := n.call(http.MethodGet, "/api/v1/sessions/nope/predictions", sh.tf.Key, nil, nil, nil); code != http.StatusNotFound {
			t.Errorf("predictions of an unknown session: %d, want 404", code)
		}

		// A restart keeps the model: same version, same figures, and live
		// scoring uses it at once.
		n.stop()
		n = startNode(t, cfg)
		after := sh.model(n)
		if after.Version < second.Version || after.Sessions < second.Sessions || after.Total.AUC == nil {
			t.Errorf("after restart: %+v, before %+v", after, second)
		}
		sh.send(n, "visitor-keen2", "session-keen2", shopper{products: 8, cart: true}.events("ekeen2", sh.now()))
		if p := sh.predictions(n, "session-keen2"); p.ModelVersion == 0 || p.Probability < 0.5 {
			t.Errorf("after restart a keen shopper scores %+v", p)
		}
	})
}

// TestPredictionTwoNodes: two nodes on one PostgreSQL database. Sessions
// start on one node and finish on the other, one node trains under the
// lease while both score with its checkpoints, and when the trainer stops
// the other node takes the lease over and learning goes on.
func TestPredictionTwoNodes(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		if cfg.DatabaseURL == "" {
			t.Skip("one SQLite database serves one node")
		}
		cfg, clock := predictionConfig(cfg)
		a, b := startNode(t, cfg), startNode(t, cfg)
		sh := newShop(t, a, "Twonodes", clock)
		sh.visit(a, b, 1, 100)
		sh.visit(b, a, 2, 100)
		m := sh.waitSessions(b, 200)
		if m.Sessions != 200 {
			t.Errorf("learned %d sessions, want each of the 200 once", m.Sessions)
		}

		// A session split across nodes is scored on its whole journey, and
		// both nodes score with the latest checkpoint within their refresh
		// interval.
		evs := shopper{products: 6, cart: true}.events("esplit", sh.now())
		sh.send(a, "visitor-split", "session-split", evs[:4])
		sh.send(b, "visitor-split", "session-split", evs[4:])
		p := sh.predictions(a, "session-split")
		if p.Events != len(evs) || len(p.History) != len(evs) {
			t.Errorf("split session: %d events, %d points, want %d", p.Events, len(p.History), len(evs))
		}
		var got, latest int64
		i := 0
		if !testwait.Poll(10*time.Second, func() bool {
			clock.Advance(testRefresh)
			latest = sh.model(a).Version
			id := fmt.Sprintf("session-latest-%d", i)
			sh.send(b, "visitor-latest", id, shopper{products: 2}.events(fmt.Sprintf("elatest-%d", i), sh.now()))
			i++
			got = sh.predictions(a, id).ModelVersion
			return got == latest
		}) {
			t.Fatalf("node b scores with model %d, latest is %d", got, latest)
		}

		// Exactly one node trains; stop it, and the other takes the lease
		// over and learning goes on.
		org := sh.tf.Org.ID
		leader, follower := a, b
		if b.App.Trainer.Leads(org) {
			leader, follower = b, a
		}
		if !leader.App.Trainer.Leads(org) || follower.App.Trainer.Leads(org) {
			t.Fatalf("leases: a leads %v, b leads %v", a.App.Trainer.Leads(org), b.App.Trainer.Leads(org))
		}
		leader.stop()
		before := sh.model(follower).Sessions
		sh.visit(follower, follower, 3, 50)
		sh.waitSessions(follower, before+50)
		if !follower.App.Trainer.Leads(org) {
			t.Error("the remaining node learned without holding the lease")
		}
	})
}

func deref(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// TestDemoScoresOutcomes: the demo shop comes with outcomes, so a visitor
// adding a product is an achievement with its price, and every session is
// scored from its first event, with zero configuration.
func TestDemoScoresOutcomes(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	demo := n.App.Demo
	var outs listBody[struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}]
	if code := n.call(http.MethodGet, "/api/v1/outcomes", demo.Key, nil, nil, &outs); code != http.StatusOK || len(outs.Data) != 2 {
		t.Fatalf("demo outcomes: %d %+v", code, outs)
	}
	// The demo bases analytics on consent: the visitor grants it first.
	demoTenant := tenantFixture{Org: demo.Org, Key: demo.Key}
	if code, _, p := decide(t, n, demoTenant, map[string]any{"visitorId": "visitor-demo-1", "action": "grant",
		"purposes": []string{"analytics"}, "notice": 1}, nil); code != http.StatusOK {
		t.Fatalf("grant: %d %+v", code, p)
	}
	body := map[string]any{"visitorId": "visitor-demo-1", "sessionId": "session-demo-1", "events": []map[string]any{
		{"id": "evt-demo-0001", "type": "pageview", "ts": time.Now().UnixMilli(), "url": "http://127.0.0.1/demo/products/tent"},
		{"id": "evt-demo-0002", "type": "custom", "name": "product_added", "ts": time.Now().UnixMilli(),
			"url": "http://127.0.0.1/demo/products/tent", "attributes": map[string]any{"price": 129.5}},
	}}
	var problem problemBody
	if code := n.call(http.MethodPost, "/api/v1/events", demo.Key, body, nil, &problem); code/100 != 2 {
		t.Fatalf("server-side events: %d %+v", code, problem)
	}
	var achs listBody[struct {
		OutcomeID string   `json:"outcomeId"`
		Value     *float64 `json:"value"`
	}]
	if code := n.call(http.MethodGet, "/api/v1/sessions/session-demo-1/achievements", demo.Key, nil, nil, &achs); code != http.StatusOK ||
		len(achs.Data) != 1 || achs.Data[0].Value == nil || *achs.Data[0].Value != 129.5 {
		t.Fatalf("achievements: %d %+v", code, achs)
	}
	var preds listBody[predictionBody]
	if code := n.call(http.MethodGet, "/api/v1/sessions/session-demo-1/predictions", demo.Key, nil, nil, &preds); code != http.StatusOK || len(preds.Data) != 2 {
		t.Fatalf("predictions: %d %+v", code, preds)
	}
	for _, p := range preds.Data {
		if p.OutcomeID == achs.Data[0].OutcomeID {
			if p.Events != 1 { // scored after the page view, not after the achieving event
				t.Errorf("achieved outcome scored %d events, want 1", p.Events)
			}
		} else if p.Events != 2 {
			t.Errorf("open outcome scored %d events, want 2", p.Events)
		}
	}
}

// TestTrainerFailoverLearnsEachSessionOnce: two trainers share one
// database. The one holding the lease learns and checkpoints; when it stops
// renewing, the other takes over from the checkpoint; the first, unaware,
// cannot overwrite the newer model and drops its state. Every session is
// learned exactly once across the handover.
func TestTrainerFailoverLearnsEachSessionOnce(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		cfg.NoTrainer = true // the test drives its own trainers
		cfg.SessionTimeout = time.Millisecond
		n := startNode(t, cfg)
		sh := newShop(t, n, "Failover", nil)
		var now time.Time
		clock := func() time.Time { return now }
		opts := func(holder string) predict.TrainerOptions {
			return predict.TrainerOptions{Holder: holder, Settle: time.Millisecond, LeaseTTL: 10 * time.Second,
				CheckpointEvery: time.Hour, Now: clock}
		}
		a := predict.NewTrainer(n.App.Engine, opts("node-a"))
		b := predict.NewTrainer(n.App.Engine, opts("node-b"))
		step := func(tr *predict.Trainer, force bool) error {
			t.Helper()
			for {
				worked, err := tr.Step(context.Background(), force)
				if err != nil || !worked {
					return err
				}
			}
		}
		learned := func() int64 { t.Helper(); return sh.model(n).Sessions }

		sh.visit(n, n, 1, 30)
		now = time.Now().Add(time.Second)
		if err := step(a, true); err != nil {
			t.Fatal(err)
		}
		if err := step(b, true); err != nil { // the lease is a's: b does nothing
			t.Fatal(err)
		}
		if got := learned(); got != 30 || !a.Leads(sh.tf.Org.ID) || b.Leads(sh.tf.Org.ID) {
			t.Fatalf("after a's pass: %d sessions learned, a leads %v, b leads %v", got, a.Leads(sh.tf.Org.ID), b.Leads(sh.tf.Org.ID))
		}

		// a learns new sessions but pauses past its lease before its next
		// checkpoint (as a crash would lose them); b takes over from the
		// checkpoint and learns them itself.
		sh.visit(n, n, 2, 20)
		now = now.Add(time.Second)
		if err := step(a, false); err != nil {
			t.Fatal(err)
		}
		if got := learned(); got != 30 {
			t.Fatalf("a checkpointed early: %d sessions", got)
		}
		now = now.Add(time.Minute)
		if err := step(b, true); err != nil {
			t.Fatal(err)
		}
		if got := learned(); got != 50 || !b.Leads(sh.tf.Org.ID) {
			t.Fatalf("after b took over: %d sessions learned, want 50", got)
		}

		// a wakes up with its unsaved learning: it cannot take the lease
		// while b holds it, drops that state, and once b's lease expires it
		// continues from b's checkpoint, learning nothing twice.
		sh.visit(n, n, 3, 10)
		if err := step(a, true); err != nil {
			t.Fatal(err)
		}
		if got := learned(); got != 50 {
			t.Fatalf("a learned while b held the lease: %d sessions", got)
		}
		now = now.Add(time.Minute)
		if err := step(a, true); err != nil {
			t.Fatal(err)
		}
		if got := learned(); got != 60 {
			t.Fatalf("after a took the lease back: %d sessions learned, want 60 (each once)", got)
		}
	})
}

func scrape(t *testing.T, n *node) string {
	t.Helper()
	resp, err := http.Get(n.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
