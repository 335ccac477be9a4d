package consent

import (
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func TestGates(t *testing.T) {
	type step func(e *env)
	grant := func(p string) step {
		return func(e *env) {
			e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: e.latest(t), Purposes: []string{p}})
		}
	}
	deny := func(p string) step {
		return func(e *env) {
			e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: e.latest(t), Purposes: []string{p}})
		}
	}
	named := func(p string) []string {
		if p == "" {
			return nil // every purpose
		}
		return []string{p}
	}
	withdraw := func(p string) step {
		return func(e *env) {
			e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionWithdraw, Purposes: named(p)})
		}
	}
	object := func(p string) step {
		return func(e *env) {
			e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionObject, Purposes: named(p)})
		}
	}
	gpc := func(e *env) { _ = e.svc.Signal(bg, e.org, visitorA, presage.PrivacySignals{GPC: true}, "", "") }
	later := func(e *env) { e.clock.Advance(DefaultTTL) }
	basis := func(p string, b Basis) step {
		return func(e *env) { e.setBasis(t, p, b) }
	}
	tests := []struct {
		name    string
		purpose string
		steps   []step
		want    bool
	}{
		{"consent: no decision", "analytics", nil, false},
		{"consent: granted", "analytics", []step{grant("analytics")}, true},
		{"consent: denied", "analytics", []step{deny("analytics")}, false},
		{"consent: withdrawn", "analytics", []step{grant("analytics"), withdraw("analytics")}, false},
		{"consent: granted then expired", "analytics", []step{grant("analytics"), later}, false},
		{"consent: granted again after withdrawal", "analytics", []step{grant("analytics"), withdraw("analytics"), grant("analytics")}, true},
		{"consent: another purpose granted", "analytics", []step{grant("support")}, false},
		{"consent: gpc objection", "sales", []step{grant("sales"), gpc}, false},
		{"consent: gpc leaves analytics", "analytics", []step{grant("analytics"), gpc}, true},
		{"consent: support granted", "support", []step{grant("support")}, true},
		{"consent: marketing granted", "marketing", []step{grant("marketing")}, true},
		{"undeclared purpose", "newsletter", nil, false},
		{"legitimate interest: no decision", "analytics", []step{basis("analytics", BasisLegitimateInterest)}, true},
		{"legitimate interest: granted", "analytics", []step{basis("analytics", BasisLegitimateInterest), grant("analytics")}, true},
		{"legitimate interest: objected by deny", "analytics", []step{basis("analytics", BasisLegitimateInterest), deny("analytics")}, false},
		{"legitimate interest: withdrawn", "analytics", []step{basis("analytics", BasisLegitimateInterest), withdraw("analytics")}, false},
		{"legitimate interest: gpc", "sales", []step{basis("sales", BasisLegitimateInterest), gpc}, false},
		{"legitimate interest: grant expired", "analytics", []step{basis("analytics", BasisLegitimateInterest), grant("analytics"), later}, true},
		{"legitimate interest: refused under consent, basis changed", "analytics", []step{deny("analytics"), basis("analytics", BasisLegitimateInterest)}, false},
		{"legitimate interest: that refusal expired", "analytics", []step{deny("analytics"), basis("analytics", BasisLegitimateInterest), later}, true},
		{"contract: no decision", "support", []step{basis("support", BasisContract)}, true},
		{"contract: withdrawn", "support", []step{basis("support", BasisContract), withdraw("support")}, false},
		{"legal obligation", "support", []step{basis("support", BasisLegalObligation)}, true},
		{"vital interests", "support", []step{basis("support", BasisVitalInterests)}, true},
		{"public task: objected", "support", []step{basis("support", BasisPublicTask), deny("support")}, false},
		{"legitimate interest: object", "analytics", []step{basis("analytics", BasisLegitimateInterest), object("analytics")}, false},
		{"legitimate interest: object to everything", "analytics", []step{basis("analytics", BasisLegitimateInterest), object("")}, false},
		{"legitimate interest: withdraw everything", "analytics", []step{basis("analytics", BasisLegitimateInterest), withdraw("")}, false},
		{"legitimate interest: objection lifted by a grant", "analytics", []step{basis("analytics", BasisLegitimateInterest), object("analytics"), grant("analytics")}, true},
		{"legitimate interest: objection does not expire", "analytics", []step{basis("analytics", BasisLegitimateInterest), object("analytics"), later}, false},
		{"public task: object", "support", []step{basis("support", BasisPublicTask), object("support")}, false},
	}
	for _, tt := range tests {
		e := newEnv(t)
		for _, s := range tt.steps {
			s(e)
		}
		var got bool
		var err error
		if tt.purpose == PurposeAnalytics {
			got, err = e.svc.TrackingAllowed(bg, testOrg, visitorA)
			many, err2 := e.svc.TrackingAllowedMany(bg, testOrg, []string{visitorA})
			if err2 != nil || many[visitorA] != got {
				t.Errorf("%s: TrackingAllowedMany disagrees: %v %v", tt.name, many, err2)
			}
		} else {
			got, err = e.svc.EngagementAllowed(bg, testOrg, visitorA, tt.purpose)
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: allowed = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestTrackingAllowedManyIsOneQuery(t *testing.T) {
	e := newEnv(t)
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics"}})
	e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"analytics"}})
	_, _ = e.svc.TrackingAllowed(bg, testOrg, visitorA) // warm the policy cache
	purposes, statesOf := e.store.listPurposes, e.store.statesOf
	got, err := e.svc.TrackingAllowedMany(bg, testOrg, []string{visitorA, visitorB, "visitor-new1"})
	if err != nil || len(got) != 3 || !got[visitorA] || got[visitorB] || got["visitor-new1"] {
		t.Errorf("TrackingAllowedMany = %v, %v", got, err)
	}
	if e.store.statesOf-statesOf != 1 || e.store.listPurposes != purposes {
		t.Errorf("a batch cost %d StatesOf and %d ListPurposes calls, want 1 and 0", e.store.statesOf-statesOf, e.store.listPurposes-purposes)
	}
	if m, err := e.svc.TrackingAllowedMany(bg, testOrg, nil); err != nil || len(m) != 0 {
		t.Errorf("empty batch = %v, %v", m, err)
	}
	e.clock.Advance(time.Second)
	_, _ = e.svc.TrackingAllowed(bg, testOrg, visitorA)
	if e.store.listPurposes != purposes+1 {
		t.Error("the policy was not reloaded once after its TTL")
	}
}
