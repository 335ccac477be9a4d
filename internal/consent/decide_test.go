package consent

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

func TestDecideValidation(t *testing.T) {
	e := newEnv(t)
	with := func(mod func(*DecisionInput)) DecisionInput {
		in := grantAll(visitorA)
		mod(&in)
		return in
	}
	tests := []struct {
		name string
		in   DecisionInput
		want string
	}{
		{"no visitor", with(func(in *DecisionInput) { in.VisitorID = "" }), "/visitorId"},
		{"short visitor", with(func(in *DecisionInput) { in.VisitorID = "abc" }), "/visitorId"},
		{"visitor with spaces", with(func(in *DecisionInput) { in.VisitorID = "visitor a b" }), "/visitorId"},
		{"no action", with(func(in *DecisionInput) { in.Action = "" }), "/action"},
		{"expire by a visitor", with(func(in *DecisionInput) { in.Action = ActionExpire }), "/action"},
		{"api method", with(func(in *DecisionInput) { in.Method = MethodAPI }), "/method"},
		{"system method", with(func(in *DecisionInput) { in.Method = MethodSystem }), "/method"},
		{"grant nothing", with(func(in *DecisionInput) { in.Purposes = nil }), "/purposes"},
		{"deny nothing", with(func(in *DecisionInput) { in.Action = ActionDeny; in.Purposes = []string{} }), "/purposes"},
		{"unknown purpose", with(func(in *DecisionInput) { in.Purposes = []string{"analytics", "sales", "newsletter"} }), "/purposes/2"},
		{"withdraw unknown purpose", with(func(in *DecisionInput) { in.Action = ActionWithdraw; in.Purposes = []string{"x"} }), "/purposes/0"},
		{"grant without notice", with(func(in *DecisionInput) { in.NoticeVersion = 0 }), "/notice"},
		{"deny without notice", with(func(in *DecisionInput) { in.Action = ActionDeny; in.NoticeVersion = 0 }), "/notice"},
		{"unknown notice", with(func(in *DecisionInput) { in.NoticeVersion = 2 }), "/notice"},
		{"withdraw with unknown notice", with(func(in *DecisionInput) { in.Action = ActionWithdraw; in.NoticeVersion = 7 }), "/notice"},
		{"artefact array", with(func(in *DecisionInput) { in.Artefact = json.RawMessage(`["tcf"]`) }), "/artefact"},
		{"artefact string", with(func(in *DecisionInput) { in.Artefact = json.RawMessage(`"CPX"`) }), "/artefact"},
		{"artefact invalid", with(func(in *DecisionInput) { in.Artefact = json.RawMessage(`{"tcf":`) }), "/artefact"},
		{"artefact too large", with(func(in *DecisionInput) {
			in.Artefact = json.RawMessage(`{"tcf":"` + strings.Repeat("A", MaxArtefact) + `"}`)
		}), "/artefact"},
		{"full address", with(func(in *DecisionInput) { in.IPPrefix = "203.0.113.7/32" }), "/ipPrefix"},
		{"bare address", with(func(in *DecisionInput) { in.IPPrefix = "203.0.113.7" }), "/ipPrefix"},
		{"ipv6 too narrow", with(func(in *DecisionInput) { in.IPPrefix = "2001:db8:1:2::/64" }), "/ipPrefix"},
		{"valid", with(func(in *DecisionInput) {
			in.IPPrefix, in.Artefact = "2001:db8:1::/48", json.RawMessage(` {"tcf": "CPX"} `)
		}), "<nil>"},
		{"withdraw without notice", with(func(in *DecisionInput) { in.Action = ActionWithdraw; in.NoticeVersion = 0 }), "<nil>"},
		{"null artefact", with(func(in *DecisionInput) { in.Artefact = json.RawMessage(`null`) }), "<nil>"},
	}
	for _, tt := range tests {
		appends := e.store.appends
		_, _, err := e.svc.Decide(e.site(), tt.in)
		if got := field(err); got != tt.want {
			t.Errorf("%s: field %s, want %s (%v)", tt.name, got, tt.want, err)
		}
		if err != nil && e.store.appends != appends {
			t.Errorf("%s: a rejected decision was recorded", tt.name)
		}
	}
}

func TestDecideGrantNeedsInformingNotice(t *testing.T) {
	e := newEnv(t)
	admin := as(presage.ScopeAdmin)
	if _, err := e.svc.SetPurposes(admin, PurposesInput{Purposes: []PurposeInput{{Name: "newsletter", Basis: BasisConsent, Description: "Our newsletter."}}}); err != nil {
		t.Fatal(err)
	}
	in := DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics", "newsletter"}}
	if _, _, err := e.svc.Decide(e.site(), in); field(err) != "/purposes/1" {
		t.Errorf("grant of a purpose notice 1 does not describe: %v", err)
	}
	in.Action = ActionDeny // refusing needs no information
	if _, _, err := e.svc.Decide(e.site(), in); err != nil {
		t.Error(err)
	}
}

func TestDecideRecord(t *testing.T) {
	e := newEnv(t)
	in := grantAll(visitorKnown)
	in.Purposes = append(in.Purposes, "analytics") // duplicates collapse
	in.IPPrefix = "203.0.113.0/24"
	in.UserAgent = strings.Repeat("é", MaxUserAgent+10)
	in.Artefact = json.RawMessage(`{ "tcf": "CPX" }`)
	r, states := e.decide(t, in)
	n1, _ := e.store.GetNotice(bg, testOrg, 1)
	if r.Seq != 1 || r.PrevHash != "" || r.Hash != HashRecord(r) || r.ID != "cr_1" || r.OrgID != testOrg {
		t.Errorf("chain fields: %+v", r)
	}
	if r.VisitorID != visitorKnown || r.CustomerID != customerX || r.NoticeVersion != 1 || r.NoticeHash != n1.SHA256 ||
		r.Method != MethodBanner || !r.RecordedAt.Equal(t0) || r.IPPrefix != "203.0.113.0/24" || string(r.Artefact) != `{"tcf":"CPX"}` {
		t.Errorf("record: %+v", r)
	}
	if n := len([]rune(r.UserAgent)); n != MaxUserAgent {
		t.Errorf("user agent of %d characters stored", n)
	}
	if len(states) != 4 {
		t.Fatalf("states = %+v", states)
	}
	for _, st := range states {
		if st.Decision != Granted || st.RecordSeq != 1 || !st.DecidedAt.Equal(t0) || !st.ExpiresAt.Equal(t0.Add(DefaultTTL)) {
			t.Errorf("state %+v", st)
		}
	}
	e.clock.Advance(time.Minute)
	r2, _ := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"sales"}, Method: MethodPreferences})
	if r2.Seq != 2 || r2.PrevHash != r.Hash || r2.CustomerID != "" || r2.Decisions["sales"] != Denied {
		t.Errorf("second record: %+v", r2)
	}
}

func TestWithdrawOnePurposeLeavesOthers(t *testing.T) {
	e := newEnv(t)
	e.decide(t, grantAll(visitorA))
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"marketing"}})
	r, states := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionWithdraw, Purposes: []string{"sales"}, Method: MethodPreferences})
	if len(r.Decisions) != 1 || r.Decisions["sales"] != Withdrawn || r.NoticeVersion != 0 {
		t.Errorf("record: %+v", r)
	}
	want := map[string]Decision{"analytics": Granted, "support": Granted, "sales": Withdrawn, "marketing": Denied}
	if got := e.states(t, visitorA); !equalDecisions(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
	if len(states) != 4 || states[2].Purpose != "sales" || states[2].Decision != Withdrawn || !states[2].ExpiresAt.IsZero() {
		t.Errorf("returned states = %+v", states)
	}
	if ok, _ := e.svc.EngagementAllowed(bg, testOrg, visitorA, "sales"); ok {
		t.Error("sales engagement allowed after withdrawal")
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); !ok {
		t.Error("tracking stopped by the withdrawal of another purpose")
	}
}

func TestWithdrawAll(t *testing.T) {
	e := newEnv(t)
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics", "support"}})
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"sales"}})
	r, _ := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionWithdraw, Method: MethodPreferences})
	if !equalDecisions(r.Decisions, map[string]Decision{"analytics": Withdrawn, "support": Withdrawn}) {
		t.Errorf("withdraw-all decisions = %v", r.Decisions)
	}
	want := map[string]Decision{"analytics": Withdrawn, "support": Withdrawn, "sales": Denied}
	if got := e.states(t, visitorA); !equalDecisions(got, want) {
		t.Errorf("states = %v", got)
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); ok {
		t.Error("tracking allowed after withdrawal")
	}
	// Nothing left to withdraw: nothing recorded, states returned.
	appends := e.store.appends
	r, states := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionWithdraw})
	if r.ID != "" || e.store.appends != appends || len(states) != 3 {
		t.Errorf("an empty withdrawal recorded %+v (states %v)", r, states)
	}
}

func TestGPCOverridesAccept(t *testing.T) {
	tests := []struct {
		name      string
		sig       presage.PrivacySignals
		honourDNT bool
		objected  bool
	}{
		{"gpc", presage.PrivacySignals{GPC: true}, false, true},
		{"dnt not honoured", presage.PrivacySignals{DNT: true}, false, false},
		{"dnt honoured", presage.PrivacySignals{DNT: true}, true, true},
		{"none", presage.PrivacySignals{}, true, false},
	}
	for _, tt := range tests {
		e := newEnv(t)
		_, _ = e.svc.UpdateSettings(as(presage.ScopeAdmin), SettingsPatch{HonourDNT: &tt.honourDNT})
		in := grantAll(visitorA)
		in.Signals = tt.sig
		in.Artefact = json.RawMessage(`{"klaro":{"analytics":true},"signals":{"gpc":false}}`)
		r, _ := e.decide(t, in)
		want := map[string]Decision{"analytics": Granted, "support": Granted, "sales": Granted, "marketing": Granted}
		if tt.objected {
			want["sales"], want["marketing"] = Objected, Objected
		}
		if !equalDecisions(r.Decisions, want) || !equalDecisions(e.states(t, visitorA), want) {
			t.Errorf("%s: decisions %v, want %v", tt.name, r.Decisions, want)
		}
		var art struct {
			Klaro   map[string]bool `json:"klaro"`
			Signals *signalsJSON    `json:"signals"`
		}
		if err := json.Unmarshal(r.Artefact, &art); err != nil || !art.Klaro["analytics"] {
			t.Errorf("%s: artefact %s lost the consent manager's data", tt.name, r.Artefact)
		}
		if tt.sig != (presage.PrivacySignals{}) && (art.Signals == nil || *art.Signals != (signalsJSON{GPC: tt.sig.GPC, DNT: tt.sig.DNT})) {
			t.Errorf("%s: artefact %s does not keep the signals", tt.name, r.Artefact)
		}
		for _, p := range []string{"sales", "marketing"} {
			if ok, _ := e.svc.EngagementAllowed(bg, testOrg, visitorA, p); ok == tt.objected {
				t.Errorf("%s: EngagementAllowed(%s) = %v", tt.name, p, ok)
			}
		}
	}
}

func TestDenyOfNonConsentPurposeIsObjection(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SetPurposes(as(presage.ScopeAdmin), PurposesInput{Purposes: []PurposeInput{{Name: "support", Basis: BasisLegitimateInterest, Description: "Help."}}}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.svc.EngagementAllowed(bg, testOrg, visitorA, "support"); !ok {
		t.Fatal("legitimate interest needs no decision")
	}
	r, _ := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"support", "sales"}})
	if r.Decisions["support"] != Objected || r.Decisions["sales"] != Denied {
		t.Errorf("decisions = %v", r.Decisions)
	}
	e.clock.Advance(DefaultTTL + time.Hour) // an objection does not expire
	if ok, _ := e.svc.EngagementAllowed(bg, testOrg, visitorA, "support"); ok {
		t.Error("support allowed after the visitor objected")
	}
}

func TestSignal(t *testing.T) {
	e := newEnv(t)
	gpc := presage.PrivacySignals{GPC: true}
	if err := e.svc.Signal(bg, e.org, visitorA, presage.PrivacySignals{DNT: true}, "", "UA"); err != nil || e.store.appends != 0 {
		t.Fatalf("an unhonoured DNT was recorded (%v)", err)
	}
	if err := e.svc.Signal(bg, e.org, visitorA, gpc, "203.0.113.0/24", "UA"); err != nil {
		t.Fatal(err)
	}
	recs, _ := e.store.SubjectRecords(bg, testOrg, visitorA, "")
	if len(recs) != 1 || recs[0].Action != ActionSignal || recs[0].Method != MethodGPC || recs[0].NoticeVersion != 0 ||
		!equalDecisions(recs[0].Decisions, map[string]Decision{"sales": Objected, "marketing": Objected}) ||
		string(recs[0].Artefact) != `{"signals":{"gpc":true,"dnt":false}}` {
		t.Fatalf("signal records = %+v", recs)
	}
	for range 3 {
		if err := e.svc.Signal(bg, e.org, visitorA, gpc, "", "UA"); err != nil {
			t.Fatal(err)
		}
	}
	if e.store.appends != 1 {
		t.Errorf("a repeated signal appended %d records", e.store.appends)
	}
	// Concurrent first requests of another visitor record one signal.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := e.svc.Signal(bg, e.org, visitorB, gpc, "", ""); err != nil {
				t.Error(err)
			}
		})
	}
	testwait.Wait(t, &wg, testwait.Timeout, "the concurrent signals")
	if e.store.appends != 2 {
		t.Errorf("concurrent signals appended %d records, want 1", e.store.appends-1)
	}
	// A decision made with GPC already reflects it.
	in := grantAll(visitorKnown)
	in.Signals = gpc
	e.decide(t, in)
	appends := e.store.appends
	if err := e.svc.Signal(bg, e.org, visitorKnown, gpc, "", ""); err != nil || e.store.appends != appends {
		t.Errorf("a signal after a GPC decision was recorded again (%v)", err)
	}
	if err := e.svc.Signal(bg, e.org, "bad", gpc, "", ""); field(err) != "/visitorId" {
		t.Errorf("Signal(bad visitor) = %v", err)
	}
	if res, err := e.svc.verifyChain(bg, testOrg); err != nil || !res.OK {
		t.Errorf("chain after concurrent signals: %+v %v", res.Problem, err)
	}
}

func TestView(t *testing.T) {
	e := newEnv(t)
	admin := as(presage.ScopeAdmin)
	fr := NoticeInput{Language: "fr", Title: "Vos choix", Texts: map[string]string{"analytics": "Mesure."}}
	frCA := NoticeInput{Language: "fr-CA", Title: "Vos choix (CA)", Texts: map[string]string{"analytics": "Mesure."}}
	for _, n := range []NoticeInput{fr, frCA} {
		if _, err := e.svc.PublishNotice(admin, n); err != nil {
			t.Fatal(err)
		}
	}
	for lang, want := range map[string]int{"en": 1, "EN-gb": 1, "fr-CA": 3, "fr-FR": 3, "fr": 2, "de": 3, "": 3} {
		v, err := e.svc.View(e.site(), "", lang)
		if err != nil || v.Notice == nil || v.Notice.Version != want {
			t.Errorf("View(lang %q) notice %+v, want version %d (%v)", lang, v.Notice, want, err)
		}
	}
	v, _ := e.svc.View(e.site(), visitorA, "en")
	if !v.NeedsDecision || len(v.Purposes) != 4 || v.Purposes[0].Name != "analytics" || v.Purposes[0].Basis != BasisConsent || v.Purposes[0].State != nil {
		t.Errorf("view of a new visitor = %+v", v)
	}
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics", "support"}})
	if v, _ = e.svc.View(e.site(), visitorA, "en"); !v.NeedsDecision {
		t.Error("NeedsDecision false with sales and marketing undecided")
	}
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"sales", "marketing"}})
	if v, _ = e.svc.View(e.site(), visitorA, "en"); v.NeedsDecision || v.Purposes[0].State == nil || v.Purposes[0].State.Decision != Granted {
		t.Errorf("view after deciding everything = %+v", v)
	}
	e.clock.Advance(DefaultTTL) // expired, not yet turned into records by the job
	if v, _ = e.svc.View(e.site(), visitorA, "en"); !v.NeedsDecision || v.Purposes[0].State != nil {
		t.Errorf("expired decisions still count: %+v", v)
	}
	if _, err := e.svc.View(e.site(), "x", "en"); field(err) != "/visitorId" {
		t.Errorf("View(bad visitor) = %v", err)
	}
	empty := presage.Organization{ID: "org_empty"}
	if v, err := e.svc.View(presage.WithSite(bg, empty), "", "en"); err != nil || v.Notice != nil || v.NeedsDecision {
		t.Errorf("view of an organization without defaults = %+v, %v", v, err)
	}
}

func equalDecisions(a, b map[string]Decision) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
