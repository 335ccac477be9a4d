package app

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

type featuresBody struct {
	Version    int64 `json:"version"`
	Attributes []struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	} `json:"attributes"`
	PageGroups []struct {
		Pattern string `json:"pattern"`
		Group   string `json:"group"`
	} `json:"pageGroups"`
	Use map[string]bool `json:"use"`
}

// TestFeatureSettings: an organization chooses its models' features over
// the API. Bad settings are 400 problems naming the field; a new version
// starts every model again from stored history; and an attribute it
// selects changes the scores — sessions alike but for the attribute score
// alike until the models may use it.
func TestFeatureSettings(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		cfg, clock := predictionConfig(cfg)
		n := startNode(t, cfg)
		sh := newShop(t, n, "Plans", clock)
		put := func(body string, out any) int {
			t.Helper()
			return n.call(http.MethodPut, "/api/v1/features", sh.tf.Key, body, nil, out)
		}
		for body, field := range map[string]string{
			`{"attributes": [{"name": "plan", "kind": "ordinal"}]}`:           "/attributes/0/kind",
			`{"pageGroups": [{"pattern": "pricing/**", "group": "pricing"}]}`: "/pageGroups/0/pattern",
			`{"use": {"device": "yes"}}`:                                      "/use/device",
			`{"bogus": 1}`:                                                    "/bogus",
		} {
			var p problemBody
			if code := put(body, &p); code != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Field != field {
				t.Errorf("PUT %s: %d %+v, want 400 naming %s", body, code, p, field)
			}
		}
		var fs featuresBody
		if code := n.call(http.MethodGet, "/api/v1/features", sh.tf.Key, nil, nil, &fs); code != http.StatusOK ||
			fs.Version != 0 || len(fs.Attributes) != 0 || !fs.Use["visitorHistory"] || !fs.Use["device"] {
			t.Fatalf("default features: %d %+v", code, fs)
		}
		other := newTenant(t, n, "Elsewhere")
		if code := n.call(http.MethodGet, "/api/v1/features", other.Key, nil, nil, &fs); code != http.StatusOK || fs.Version != 0 {
			t.Fatalf("another organization's features: %d %+v", code, fs)
		}

		readOnly := newTenant(t, n, "Readers", presage.ScopeRead)
		if code := n.call(http.MethodPut, "/api/v1/features", readOnly.Key, `{}`, nil, nil); code != http.StatusForbidden {
			t.Fatalf("PUT features with a read-only key: %d, want 403", code)
		}

		// Sessions alike but for their plan: those on "pro" buy.
		visit := func(id, plan string, buys bool) {
			at := sh.now()
			evs := []map[string]any{{"id": id + "-view", "type": "pageview", "url": "https://plans.example/pricing",
				"ts": at.UnixMilli(), "attributes": map[string]any{"plan": plan}}}
			if buys {
				evs = append(evs, map[string]any{"id": id + "-buy", "type": "custom", "name": "purchase",
					"ts": at.Add(time.Second).UnixMilli(), "attributes": map[string]any{"amount": 30}})
			}
			sh.send(n, "visitor-"+id, "session-"+id, evs)
		}
		const sessions = 200
		for i := range sessions {
			visit(fmt.Sprintf("s%03d", i), []string{"pro", "free"}[i%2], i%2 == 0)
		}
		first := sh.waitSessions(n, sessions)
		probe := func(round string) (pro, free float64) {
			t.Helper()
			visit("probe-pro-"+round, "pro", false)
			visit("probe-free-"+round, "free", false)
			return sh.predictions(n, "session-probe-pro-"+round).Probability, sh.predictions(n, "session-probe-free-"+round).Probability
		}
		if pro, free := probe("before"); pro != free {
			t.Fatalf("before the plan is a feature: pro %.3f, free %.3f, want the same score", pro, free)
		}

		var set featuresBody
		if code := put(`{"attributes": [{"name": "plan", "kind": "categorical"}], "pageGroups": [{"pattern": "/pricing/**", "group": "pricing"}]}`, &set); code != http.StatusOK ||
			set.Version != 1 || len(set.Attributes) != 1 || set.Attributes[0].Name != "plan" {
			t.Fatalf("PUT features: %d %+v", code, set)
		}
		// The model starts again from stored history: every session once
		// more (and the two probes, ended by now), learned with version 1.
		var m modelBody
		deadline := time.Now().Add(30 * time.Second)
		for {
			sh.clock.Advance(testSessionTimeout + testSettle + time.Second)
			var raw struct {
				modelBody
				FeatureVersion int64 `json:"featureVersion"`
			}
			if code := n.call(http.MethodGet, "/api/v1/outcomes/"+sh.outcome+"/model", sh.tf.Key, nil, nil, &raw); code != http.StatusOK {
				t.Fatalf("model: %d", code)
			}
			m = raw.modelBody
			if raw.FeatureVersion == 1 && m.Sessions == sessions+2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("model after new features: version %d, feature version %d, %d sessions; want %d sessions learned again",
					m.Version, raw.FeatureVersion, m.Sessions, sessions+2)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if m.Version <= first.Version {
			t.Fatalf("model version %d after new features, want past %d", m.Version, first.Version)
		}
		time.Sleep(2 * testRefresh) // scorers pick the new model up
		if pro, free := probe("after"); pro < free+0.08 {
			t.Fatalf("with the plan a feature: pro %.3f, free %.3f, want pro scored well above free", pro, free)
		}
	})
}
