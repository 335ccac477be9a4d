package commitplan

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

var at = time.Date(2026, 11, 29, 10, 0, 0, 123_456_789, time.UTC)

func scoredWrite(org, session string, preds []presage.Prediction, achs []presage.Achievement) collect.Write {
	return collect.Write{OrgID: org, Visitor: presage.Visitor{ID: "visitor-" + session},
		Session: presage.Session{ID: session}, Predictions: preds, Achievements: achs}
}

func TestPlanPredictions(t *testing.T) {
	p, err := New([]collect.Write{
		scoredWrite("org_b", "s1", []presage.Prediction{
			{OrgID: "org_forged", OutcomeID: "out_x", Probability: 0.9, MaxProbability: 0.9, Events: 1, UpdatedAt: at},
			{OutcomeID: "out_a", Probability: 0.4, MaxProbability: 0.2, Events: 1, UpdatedAt: at}, // max below p
		}, nil),
		scoredWrite("org_a", "s1", []presage.Prediction{{OutcomeID: "out_x", Probability: 0.1, MaxProbability: 0.1}}, nil),
		scoredWrite("org_b", "s1", []presage.Prediction{
			{OutcomeID: "out_x", Probability: 0.3, MaxProbability: 0.3, Events: 2, UpdatedAt: at.Add(time.Second),
				History: []presage.ProbabilityPoint{{At: at.In(time.FixedZone("CET", 3600)), Probability: 0.3}}},
		}, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		org, session, visitor, outcome string
		p, max                         float64
		events                         int
		history                        string
	}
	want := []row{
		{"org_a", "s1", "visitor-s1", "out_x", 0.1, 0.1, 0, "[]"},
		{"org_b", "s1", "visitor-s1", "out_a", 0.4, 0.4, 1, "[]"},
		{"org_b", "s1", "visitor-s1", "out_x", 0.3, 0.9, 2, `[[1795946400123,0.3]]`},
	}
	if len(p.Predictions) != len(want) {
		t.Fatalf("%d rows, want %d", len(p.Predictions), len(want))
	}
	for i, r := range p.Predictions {
		got := row{r.OrgID, r.SessionID, r.VisitorID, r.OutcomeID, r.Probability, r.MaxProbability, r.Events, r.History}
		if got != want[i] || r.Prediction.History != nil {
			t.Fatalf("row %d = %+v, want %+v", i, got, want[i])
		}
	}
	if u := p.Predictions[2].UpdatedAt; !u.Equal(presage.StoredTime(at.Add(time.Second))) {
		t.Fatalf("updated at %v", u)
	}
}

func TestPlanHistoryKeepsTheLatestPoints(t *testing.T) {
	h := make([]presage.ProbabilityPoint, presage.MaxPredictionHistory+5)
	for i := range h {
		h[i] = presage.ProbabilityPoint{At: at.Add(time.Duration(i) * time.Second), Probability: float64(i) / 1000}
	}
	p, err := New([]collect.Write{scoredWrite("org", "s", []presage.Prediction{{OutcomeID: "o", History: h}}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(p.Predictions[0].History, `[`) - 1; got != presage.MaxPredictionHistory {
		t.Fatalf("%d points kept", got)
	}
	if !strings.HasPrefix(p.Predictions[0].History, `[[1795946405123,0.005]`) {
		t.Fatalf("history starts %.60s", p.Predictions[0].History)
	}
}

func TestPlanAchievementsFirstStays(t *testing.T) {
	v := 3.5
	p, err := New([]collect.Write{
		scoredWrite("org", "s2", nil, []presage.Achievement{{OutcomeID: "o", EventID: "e1", AchievedAt: at, Value: &v}}),
		scoredWrite("org", "s2", nil, []presage.Achievement{{OutcomeID: "o", EventID: "e2"}, {OutcomeID: "a", EventID: "e2"}}),
		scoredWrite("org", "s1", nil, []presage.Achievement{{OutcomeID: "o", EventID: "e3", CustomerID: "cus_forged"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Achievements {
		got = append(got, a.OutcomeID+"/"+a.SessionID+"/"+a.EventID+"/"+a.VisitorID+"/"+a.CustomerID)
	}
	want := []string{"a/s2/e2/visitor-s2/", "o/s1/e3/visitor-s1/", "o/s2/e1/visitor-s2/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("achievements %v, want %v", got, want)
	}
	if a := p.Achievements[2]; !a.AchievedAt.Equal(presage.StoredTime(at)) || *a.Value != 3.5 {
		t.Fatalf("achievement %+v", a)
	}
}

func TestPlanRejects(t *testing.T) {
	cases := map[string]collect.Write{
		"prediction without outcome":  scoredWrite("org", "s", []presage.Prediction{{Probability: 0.5}}, nil),
		"probability NaN":             scoredWrite("org", "s", []presage.Prediction{{OutcomeID: "o", Probability: math.NaN()}}, nil),
		"history point infinite":      scoredWrite("org", "s", []presage.Prediction{{OutcomeID: "o", History: []presage.ProbabilityPoint{{Probability: math.Inf(1)}}}}, nil),
		"achievement without outcome": scoredWrite("org", "s", nil, []presage.Achievement{{EventID: "e"}}),
		"achievement value NaN":       scoredWrite("org", "s", nil, []presage.Achievement{{OutcomeID: "o", Value: new(math.NaN())}}),
	}
	for name, w := range cases {
		if _, err := New([]collect.Write{w}); err == nil {
			t.Errorf("%s: planned", name)
		}
	}
}

func TestPlanWithoutScoresHasNoRows(t *testing.T) {
	p, err := New([]collect.Write{scoredWrite("org", "s", nil, nil)})
	if err != nil || len(p.Predictions) != 0 || len(p.Achievements) != 0 {
		t.Fatalf("%v, %d predictions, %d achievements", err, len(p.Predictions), len(p.Achievements))
	}
}
