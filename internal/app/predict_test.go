package app

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
)

// predictionConfig makes training react within a test's patience: sessions
// end after a short silence and checkpoints reach scorers quickly.
func predictionConfig(cfg Config) Config {
	cfg.Trainer = predict.TrainerOptions{SessionTimeout: 2 * time.Second, CheckpointEvery: 150 * time.Millisecond,
		Interval: 50 * time.Millisecond}
	cfg.Scorer = predict.ScorerOptions{Refresh: 100 * time.Millisecond}
	return cfg
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

// TestPredictionEndToEnd drives simulated shoppers through the HTTP API:
// the trainer learns the purchase outcome from finished sessions, the API
// shows the model's progressive-validation AUC rising and live sessions
// scored with it, and a restarted node keeps the model.
func TestPredictionEndToEnd(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		cfg = predictionConfig(cfg)
		n := startNode(t, cfg)
		tf := newTenant(t, n, "Predictshop")
		var out struct {
			ID string `json:"id"`
		}
		if code := n.call(http.MethodPost, "/api/v1/outcomes", tf.Key, map[string]any{
			"name": "purchase", "direction": "maximize", "valueField": "amount",
			"condition": map[string]any{"kind": "event", "eventName": "purchase"},
		}, nil, &out); code != http.StatusCreated {
			t.Fatalf("create outcome: %d", code)
		}
		rng := rand.New(rand.NewPCG(11, 12))
		send := func(visitor, session string, evs []map[string]any) {
			t.Helper()
			body := map[string]any{"siteKey": tf.Org.SiteKey, "visitorId": visitor, "sessionId": session, "events": evs}
			var problem problemBody
			if code := n.call(http.MethodPost, "/v1/events", "", body, map[string]string{"Origin": tf.origin()}, &problem); code/100 != 2 {
				t.Fatalf("send events: %d %+v", code, problem)
			}
		}
		visit := func(round, count int) (buyers int) {
			for i := 0; i < count; i++ {
				s := newShopper(rng)
				id := fmt.Sprintf("r%di%d", round, i)
				evs := s.events("event-"+id, time.Now())
				if half := len(evs) / 2; half > 0 { // two batches: the second scores on cached state
					send("visitor-"+id, "session-"+id, evs[:half])
					evs = evs[half:]
				}
				send("visitor-"+id, "session-"+id, evs)
				if s.buys {
					buyers++
				}
			}
			return buyers
		}
		model := func() modelBody {
			var m modelBody
			if code := n.call(http.MethodGet, "/api/v1/outcomes/"+out.ID+"/model", tf.Key, nil, nil, &m); code != http.StatusOK {
				t.Fatalf("model: %d", code)
			}
			return m
		}
		waitSessions := func(want int64) modelBody {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for {
				m := model()
				if m.Sessions >= want {
					return m
				}
				if time.Now().After(deadline) {
					t.Fatalf("model learned %d sessions, want %d", m.Sessions, want)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}

		if m := model(); m.Version != 0 || m.Total.Sessions != 0 || m.Total.AUC != nil {
			t.Fatalf("untrained model: %+v", m)
		}
		b1 := visit(1, 150)
		first := waitSessions(150)
		if first.Total.AUC == nil || first.Total.Positives < b1 {
			t.Fatalf("after round 1: %+v (buyers %d)", first, b1)
		}
		visit(2, 450)
		second := waitSessions(600)
		// The shoppers' Bayes-optimal AUC is 0.845; the first sessions are
		// scored by a model that knows nothing yet.
		if second.Total.AUC == nil || *second.Total.AUC < 0.70 || *second.Total.AUC < *first.Total.AUC+0.03 {
			t.Errorf("AUC did not rise: round 1 %.3f, after round 2 %.3f", *first.Total.AUC, deref(second.Total.AUC))
		}
		if len(second.Total.Calibration) != 10 {
			t.Errorf("calibration table: %d bins", len(second.Total.Calibration))
		}
		t.Logf("AUC round 1 %.3f (%d sessions), after round 2 %.3f (%d sessions), version %d",
			*first.Total.AUC, first.Total.Sessions, *second.Total.AUC, second.Total.Sessions, second.Version)

		// Live sessions: an engaged shopper outranks a bouncer, every event
		// left a point in the history, and the scores come from the model.
		// The scorer picks new checkpoints up within its refresh interval.
		time.Sleep(300 * time.Millisecond)
		keen := shopper{products: 8, cart: true}.events("ekeen", time.Now())
		send("visitor-keen", "session-keen", keen)
		send("visitor-bounce", "session-bounce", shopper{}.events("ebounce", time.Now()))
		predictions := func(session string) predictionBody {
			var l listBody[predictionBody]
			if code := n.call(http.MethodGet, "/api/v1/sessions/"+session+"/predictions", tf.Key, nil, nil, &l); code != http.StatusOK || len(l.Data) != 1 {
				t.Fatalf("predictions of %s: %d, %d items", session, code, len(l.Data))
			}
			return l.Data[0]
		}
		pk, pb := predictions("session-keen"), predictions("session-bounce")
		if pk.ModelVersion == 0 || pk.Probability <= pb.Probability || pk.Events != len(keen) || len(pk.History) != len(keen) {
			t.Errorf("live predictions: keen %+v, bounce %+v", pk, pb)
		}
		if pk.Percentile <= pb.Percentile || pk.MaxProbability < pk.Probability {
			t.Errorf("percentiles: keen %.1f, bounce %.1f", pk.Percentile, pb.Percentile)
		}
		if code := n.call(http.MethodGet, "/api/v1/sessions/nope/predictions", tf.Key, nil, nil, nil); code != http.StatusNotFound {
			t.Errorf("predictions of an unknown session: %d, want 404", code)
		}

		// A restart keeps the model: same version, same figures, and live
		// scoring uses it at once.
		n.stop()
		before := second
		n2 := startNode(t, cfg)
		n = n2
		after := model()
		if after.Version < before.Version || after.Sessions < before.Sessions || after.Total.AUC == nil {
			t.Errorf("after restart: %+v, before %+v", after, before)
		}
		send("visitor-keen2", "session-keen2", shopper{products: 8, cart: true}.events("ekeen2", time.Now()))
		if p := predictions("session-keen2"); p.ModelVersion == 0 || p.Probability < 0.5 {
			t.Errorf("after restart a keen shopper scores %+v", p)
		}
	})
}

func deref(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}
