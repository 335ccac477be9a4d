package consent

import (
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func liAnalytics(notices ...NoticeInput) PurposesInput {
	return PurposesInput{Purposes: []PurposeInput{{Name: PurposeAnalytics, Basis: BasisLegitimateInterest,
		Description: "Understanding how the site is used."}}, Notices: notices}
}

func TestBasisChangeRewritesTheDefaultText(t *testing.T) {
	e := newEnv(t)
	out, err := e.svc.SetPurposes(as(presage.ScopeAdmin), liAnalytics())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Published) != 1 || out.Published[0].Version != 2 {
		t.Fatalf("published %+v, want notice 2", out.Published)
	}
	n := out.Published[0]
	want, _ := defaultText(BasisLegitimateInterest, PurposeAnalytics)
	if n.Texts[PurposeAnalytics] != want || n.BasisOf(PurposeAnalytics) != BasisLegitimateInterest || n.BasisOf(PurposeSales) != BasisConsent {
		t.Errorf("notice 2 = %+v", n)
	}
	old, _ := defaultText(BasisConsent, PurposeSales)
	if n.Texts[PurposeSales] != old {
		t.Errorf("sales text changed: %q", n.Texts[PurposeSales])
	}
	v, err := e.svc.View(e.site(), "", "en")
	if err != nil {
		t.Fatal(err)
	}
	if v.Notice.Version != 2 || strings.Contains(v.Notice.Texts[PurposeAnalytics], "If you agree") {
		t.Errorf("the banner shows notice %d: %q", v.Notice.Version, v.Notice.Texts[PurposeAnalytics])
	}
	// The same change again changes no text: nothing is published.
	if out, err = e.svc.SetPurposes(as(presage.ScopeAdmin), liAnalytics()); err != nil || len(out.Published) != 0 {
		t.Errorf("repeated change published %+v, %v", out.Published, err)
	}
}

func TestBasisChangeRefusedWithoutATextForTheNewBasis(t *testing.T) {
	e := newEnv(t)
	admin := as(presage.ScopeAdmin)
	if _, err := e.svc.PublishNotice(admin, NoticeInput{Language: "fr", Title: "Vos choix",
		Texts: map[string]string{PurposeAnalytics: "Si vous acceptez, nous mesurons votre visite."}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SetPurposes(admin, liAnalytics())
	if field(err) != "/purposes/0/basis" || !strings.Contains(err.Error(), "notice 2 (fr)") {
		t.Fatalf("change with a French text for consent: %v (%s)", err, field(err))
	}
	ps, _ := e.svc.Purposes(as(presage.ScopeRead))
	for _, p := range ps {
		if p.Basis != BasisConsent {
			t.Errorf("a refused change stored %s on %s", p.Name, p.Basis)
		}
	}
	// A notice that does not validate is refused before anything is stored.
	_, err = e.svc.SetPurposes(admin, liAnalytics(NoticeInput{Language: "fr", Title: "", Texts: map[string]string{PurposeAnalytics: "x"}}))
	if field(err) != "/notices/0/title" {
		t.Errorf("notice without a title: %v (%s)", err, field(err))
	}
	fr := NoticeInput{Language: "fr", Title: "Vos choix",
		Texts: map[string]string{PurposeAnalytics: "Nous mesurons votre visite dans notre intérêt légitime ; vous pouvez vous y opposer à tout moment."}}
	out, err := e.svc.SetPurposes(admin, liAnalytics(fr))
	if err != nil {
		t.Fatal(err)
	}
	// The French notice given, and the English default rewritten.
	if len(out.Published) != 2 || out.Published[0].Language != "fr" || out.Published[1].Language != "en" {
		t.Fatalf("published %+v", out.Published)
	}
	for _, n := range out.Published {
		if n.BasisOf(PurposeAnalytics) != BasisLegitimateInterest || n.SHA256 != NoticeHash(n) {
			t.Errorf("notice %d: %+v", n.Version, n)
		}
	}
}

func TestBasisChangeRefusedForAnOwnText(t *testing.T) {
	e := newEnv(t)
	admin := as(presage.ScopeAdmin)
	if _, err := e.svc.PublishNotice(admin, NoticeInput{Language: "en", Title: "Privacy",
		Texts: map[string]string{PurposeAnalytics: "If you say yes, we count your visits."}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPurposes(admin, liAnalytics()); field(err) != "/purposes/0/basis" {
		t.Fatalf("change over an own text: %v", err)
	}
	// A basis without a default text cannot be rewritten either.
	e = newEnv(t)
	_, err := e.svc.SetPurposes(admin, PurposesInput{Purposes: []PurposeInput{{Name: PurposeSupport, Basis: BasisContract, Description: "Help."}}})
	if field(err) != "/purposes/0/basis" {
		t.Fatalf("change to contract: %v", err)
	}
}

func TestViewHidesATextWrittenForAnotherBasis(t *testing.T) {
	e := newEnv(t)
	// As after a crash between storing the purposes and their notice.
	if err := e.store.PutPurposes(bg, testOrg, []Purpose{{OrgID: testOrg, Name: PurposeAnalytics, Basis: BasisLegitimateInterest,
		Description: "x", UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	e.svc.orgs.forget(testOrg)
	v, err := e.svc.View(e.site(), "", "en")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.Notice.Texts[PurposeAnalytics]; ok || v.Notice.Texts[PurposeSales] == "" {
		t.Errorf("view texts = %v", v.Notice.Texts)
	}
	// Nor can consent be granted under it.
	_, _, err = e.svc.Decide(e.site(), DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{PurposeAnalytics}})
	if field(err) != "/purposes/0" {
		t.Errorf("grant under a text for consent: %v", err)
	}
}

func TestObjection(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SetPurposes(as(presage.ScopeAdmin), liAnalytics()); err != nil {
		t.Fatal(err)
	}
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 2, Purposes: []string{PurposeSupport}})
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); !ok {
		t.Fatal("legitimate interest without objection does not track")
	}
	// Objecting to a purpose on consent is refused: it is withdrawn.
	_, _, err := e.svc.Decide(e.site(), DecisionInput{VisitorID: visitorA, Action: ActionObject, Purposes: []string{PurposeSupport}})
	if field(err) != "/purposes/0" || !strings.Contains(err.Error(), "withdraw") {
		t.Errorf("object to support: %v", err)
	}
	rec, _ := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionObject, NoticeVersion: 2,
		Signals: presage.PrivacySignals{DNT: true}})
	if rec.Action != ActionObject || len(rec.Decisions) != 1 || rec.Decisions[PurposeAnalytics] != Objected ||
		rec.NoticeVersion != 2 || rec.NoticeHash == "" || !strings.Contains(string(rec.Artefact), `"dnt":true`) {
		t.Fatalf("objection recorded as %+v", rec)
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); ok {
		t.Error("an objection does not stop tracking")
	}
	if got := e.states(t, visitorA); got[PurposeSupport] != Granted {
		t.Errorf("objecting to analytics changed support: %v", got)
	}
	// Objecting again records nothing.
	if rec, _ := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionObject}); rec.ID != "" {
		t.Errorf("a second objection was recorded: %+v", rec)
	}
	// Withdrawing everything withdraws consent and objects to the rest, in one record.
	e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionGrant, NoticeVersion: 2, Purposes: []string{PurposeSupport}})
	rec, _ = e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionWithdraw})
	if rec.Action != ActionWithdraw || rec.Decisions[PurposeSupport] != Withdrawn || rec.Decisions[PurposeAnalytics] != Objected || len(rec.Decisions) != 2 {
		t.Errorf("withdraw everything recorded %+v", rec.Decisions)
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorB); ok {
		t.Error("withdrawing everything does not stop tracking on legitimate interest")
	}
	// Withdrawing analytics by name is an objection too.
	rec, _ = e.decide(t, DecisionInput{VisitorID: "visitor-cccc", Action: ActionWithdraw, Purposes: []string{PurposeAnalytics}})
	if rec.Decisions[PurposeAnalytics] != Objected {
		t.Errorf("withdrawing analytics on legitimate interest recorded %+v", rec.Decisions)
	}
	if rep, err := e.svc.Verify(as(presage.ScopeAdmin)); err != nil || !rep.OK {
		t.Errorf("chain: %+v, %v", rep, err)
	}
}
