package predict_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

func TestPredictionHolder(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, storetest.SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	org := presage.Organization{ID: "org_1", Name: "Shop", SiteKey: "pk_1", IdentitySecret: []byte("s"), CreatedAt: at}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	scored := func(visitor, session string) collect.Write {
		e := presage.Event{OrgID: org.ID, ID: "e-" + session, SessionID: session, VisitorID: visitor,
			Type: presage.EventPageview, OccurredAt: at, ReceivedAt: at, URL: "https://shop.example/"}
		return collect.Write{OrgID: org.ID,
			Visitor: presage.Visitor{ID: visitor, FirstSeenAt: at, LastSeenAt: at},
			Session: presage.Session{ID: session, VisitorID: visitor, StartedAt: at, LastEventAt: at},
			Events:  []presage.Event{e},
			Predictions: []presage.Prediction{{SessionID: session, VisitorID: visitor, OutcomeID: "out_buy", Probability: 0.4,
				MaxProbability: 0.4, Percentile: 80, ModelVersion: 2, Events: 1, UpdatedAt: at,
				History: []presage.ProbabilityPoint{{At: at, Probability: 0.4}}}},
			Achievements: []presage.Achievement{{OutcomeID: "out_buy", SessionID: session, VisitorID: visitor,
				EventID: e.ID, AchievedAt: at}},
		}
	}
	if _, err := db.CommitWrites(ctx, []collect.Write{scored("visitor-1", "s-1"), scored("visitor-1", "s-2"),
		scored("visitor-2", "s-3")}); err != nil {
		t.Fatal(err)
	}
	h := predict.NewPrivacyHolder(db)
	s := privacy.Subject{OrgID: org.ID, VisitorIDs: []string{"visitor-1"}}
	if h.Name() != "prediction" || fmt.Sprint(h.Tables()) != "[predictions achievements]" {
		t.Fatalf("holder %s claims %v", h.Name(), h.Tables())
	}

	tests := []struct {
		name string
		do   func() (privacy.Counts, error)
		want privacy.Counts
	}{
		{"count", func() (privacy.Counts, error) { return h.Count(ctx, s) }, privacy.Counts{"predictions": 2, "achievements": 2}},
		{"rectify changes nothing", func() (privacy.Counts, error) {
			return h.Rectify(ctx, s, privacy.Replacement{Type: privacy.SearchEmail, Existing: "a@b.c", Updated: "d@e.f"})
		}, privacy.Counts{}},
		{"count of nobody", func() (privacy.Counts, error) {
			return h.Count(ctx, privacy.Subject{OrgID: org.ID, CustomerIDs: []string{"cus_1"}})
		}, privacy.Counts{"predictions": 0, "achievements": 0}},
		{"erase", func() (privacy.Counts, error) { return h.Erase(ctx, s) }, privacy.Counts{"predictions": 2, "achievements": 2}},
		{"erase again", func() (privacy.Counts, error) { return h.Erase(ctx, s) }, privacy.Counts{"predictions": 0, "achievements": 0}},
		{"another visitor's are left", func() (privacy.Counts, error) {
			return h.Count(ctx, privacy.Subject{OrgID: org.ID, VisitorIDs: []string{"visitor-2"}})
		}, privacy.Counts{"predictions": 1, "achievements": 1}},
	}
	// Export before the erasure steps run.
	sections, err := h.Export(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(sections) != 2 || sections[0].Name != "predictions.json" || sections[1].Name != "achievements.json" {
		t.Fatalf("sections %+v", sections)
	}
	preds, _ := json.Marshal(sections[0].Data)
	achs, _ := json.Marshal(sections[1].Data)
	for _, want := range []string{`"sessionId":"s-1"`, `"sessionId":"s-2"`, `"history":[{"at":"2026-12-01T09:00:00Z","p":0.4}]`, `"probability":0.4`} {
		if !strings.Contains(string(preds), want) {
			t.Errorf("predictions.json lacks %s: %s", want, preds)
		}
	}
	if strings.Contains(string(preds), "s-3") || strings.Count(string(achs), `"outcomeId":"out_buy"`) != 2 {
		t.Errorf("export: %s %s", preds, achs)
	}
	for _, tt := range tests {
		got, err := tt.do()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
