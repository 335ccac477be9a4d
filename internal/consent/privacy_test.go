package consent

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// fakeOrgs finds organizations by id.
type fakeOrgs map[string]presage.Organization

func (o fakeOrgs) GetOrganization(_ context.Context, id string) (presage.Organization, error) {
	org, ok := o[id]
	if !ok {
		return presage.Organization{}, presage.ErrNotFound
	}
	return org, nil
}

// bundle is the consent part of an export bundle as a reader sees it.
type bundle struct {
	History struct {
		Records  []exportRecord    `json:"records"`
		Notices  []exportNotice    `json:"notices"`
		Receipts map[string]string `json:"receipts"`
	}
	States []exportState
}

func exportOf(t *testing.T, h privacy.Holder, sub privacy.Subject) bundle {
	t.Helper()
	sections, err := h.Export(bg, sub)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var names []string
	var b bundle
	for _, s := range sections {
		names = append(names, s.Name)
		if s.About == "" {
			t.Errorf("section %s has no description", s.Name)
		}
		data, err := json.Marshal(s.Data)
		if err != nil {
			t.Fatalf("section %s does not encode: %v", s.Name, err)
		}
		into := any(&b.History)
		if s.Name == "consent_states.json" {
			into = &b.States
		}
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatalf("section %s: %v", s.Name, err)
		}
	}
	if !slices.Equal(names, []string{"consent_history.json", "consent_states.json"}) {
		t.Fatalf("sections %v", names)
	}
	return b
}

func TestPrivacyHolder(t *testing.T) {
	e := newEnv(t)
	svc := NewService(e.store, fakeVisitors{visitorKnown: customerX}, Options{Now: e.clock.Now,
		Organizations: fakeOrgs{testOrg: e.org}})
	h := NewPrivacyHolder(svc)
	if h.Name() != "consent" || !slices.Equal(h.Tables(), []string{"consent_records", "consent_states"}) {
		t.Fatalf("holder %q claims %v", h.Name(), h.Tables())
	}
	ip := "203.0.113.0/24"
	e.decide(t, DecisionInput{VisitorID: visitorKnown, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{PurposeAnalytics},
		IPPrefix: ip, UserAgent: "Firefox"})
	e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{PurposeAnalytics}})
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{PurposeMarketing}})
	e.decide(t, DecisionInput{VisitorID: visitorKnown, Action: ActionWithdraw, Purposes: []string{PurposeAnalytics}})
	// The customer's devices: visitorKnown (identified) and visitorA.
	sub := privacy.Subject{OrgID: testOrg, CustomerIDs: []string{customerX}, VisitorIDs: []string{visitorKnown, visitorA}}

	counts, err := h.Count(bg, sub)
	if err != nil || !maps.Equal(counts, privacy.Counts{KindRecords: 3, KindStates: 2}) {
		t.Fatalf("count: %v, %v; want 3 records and 2 states", counts, err)
	}

	b := exportOf(t, h, sub)
	var seqs []int64
	for _, r := range b.History.Records {
		seqs = append(seqs, r.Seq)
		// Anyone holding the export recomputes the commitment.
		if got := SubjectCommitment(Record{SubjectSalt: r.SubjectSalt, VisitorID: r.VisitorID, CustomerID: r.CustomerID,
			IPPrefix: r.IPPrefix, UserAgent: r.UserAgent}); got != r.SubjectCommitment || r.SubjectSalt == "" {
			t.Errorf("record %d: commitment %s does not follow from the exported fields (%s)", r.Seq, r.SubjectCommitment, got)
		}
	}
	if !slices.Equal(seqs, []int64{1, 3, 4}) || b.History.Records[0].IPPrefix != ip {
		t.Fatalf("exported records %+v", b.History.Records)
	}
	if len(b.History.Notices) != 1 || b.History.Notices[0].Version != 1 || b.History.Notices[0].Texts[PurposeAnalytics] == "" {
		t.Fatalf("exported notices %+v, want the texts of version 1", b.History.Notices)
	}
	if len(b.States) != 2 {
		t.Fatalf("exported states %+v", b.States)
	}
	jwks, err := svc.JWKS(bg, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.History.Receipts) != 2 {
		t.Fatalf("receipts for %v, want one per visitor with states", slices.Collect(maps.Keys(b.History.Receipts)))
	}
	for visitor, jws := range b.History.Receipts {
		payload, err := VerifyReceipt(jws, jwks)
		if err != nil {
			t.Fatalf("receipt of %s: %v", visitor, err)
		}
		var p ReceiptPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.PIIPrincipalID != visitor || p.PIIControllers[0].PIIController != e.org.Name {
			t.Errorf("receipt of %s names %s, controller %s", visitor, p.PIIPrincipalID, p.PIIControllers[0].PIIController)
		}
	}

	if c, err := h.Rectify(bg, sub, privacy.Replacement{Type: privacy.SearchEmail, Existing: "a@x", Updated: "b@x"}); err != nil || len(c) != 0 {
		t.Fatalf("rectify: %v, %v; want nothing changed", c, err)
	}

	erased, err := h.Erase(bg, sub)
	if err != nil || !maps.Equal(erased, privacy.Counts{KindRecords: 3, KindStates: 2}) {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	if counts, err := h.Count(bg, sub); err != nil || counts[KindRecords] != 0 || counts[KindStates] != 0 {
		t.Fatalf("count after erasing: %v, %v", counts, err)
	}
	if b := exportOf(t, h, sub); len(b.History.Records) != 0 || len(b.States) != 0 || len(b.History.Receipts) != 0 {
		t.Fatalf("export after erasing: %+v", b)
	}
	if again, err := h.Erase(bg, sub); err != nil || again[KindRecords] != 0 || again[KindStates] != 0 {
		t.Fatalf("erase again: %v, %v", again, err)
	}
	// The ledger still proves what was decided, and the other visitor keeps
	// their decision.
	if rep, err := e.svc.Verify(as(presage.ScopeAdmin)); err != nil || !rep.OK || rep.Records != 4 {
		t.Fatalf("verify after erasing: %+v %v", rep, err)
	}
	if got := e.states(t, visitorB); got[PurposeAnalytics] != Granted {
		t.Fatalf("states of another visitor after erasing: %v", got)
	}
	if recs, _ := e.store.Records(bg, testOrg, 0, 10); !Anonymized(recs[0]) || Anonymized(recs[1]) {
		t.Fatalf("records after erasing: %+v", recs[:2])
	}
	if c, err := h.Erase(bg, privacy.Subject{OrgID: testOrg}); err != nil || len(c) != 0 {
		t.Fatalf("erase of nobody: %v, %v", c, err)
	}
}

func TestPrivacyHolderNamesOrgWithoutLookup(t *testing.T) {
	e := newEnv(t)
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{PurposeAnalytics}})
	b := exportOf(t, NewPrivacyHolder(e.svc), privacy.Subject{OrgID: testOrg, VisitorIDs: []string{visitorA}})
	jwks, err := e.svc.JWKS(bg, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := VerifyReceipt(b.History.Receipts[visitorA], jwks)
	if err != nil {
		t.Fatal(err)
	}
	var p ReceiptPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.PIIControllers[0].PIIController != testOrg {
		t.Fatalf("controller %+v (%v), want the organization id", p.PIIControllers, err)
	}
}
