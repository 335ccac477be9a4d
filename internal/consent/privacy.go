package consent

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// Kinds of rows the consent holder counts.
const (
	KindRecords = "consentRecords"
	KindStates  = "consentStates"
)

// privacyHolder is consent's part of a data subject request. The privacy
// service has authorized the request, so it reads without a scope check.
type privacyHolder struct{ s *Service }

// NewPrivacyHolder returns the privacy.Holder of consent over s: it finds,
// exports and erases a subject's ledger records and states. Erasure keeps
// the records, anonymized, so the ledger still proves what was decided.
func NewPrivacyHolder(s *Service) privacy.Holder { return privacyHolder{s} }

var _ privacy.Holder = privacyHolder{}

// Name names the holder in results and bundles.
func (h privacyHolder) Name() string { return "consent" }

// Tables lists the tables whose rows about a subject consent keeps.
func (h privacyHolder) Tables() []string { return []string{"consent_records", "consent_states"} }

// Count counts the subject's records and states.
func (h privacyHolder) Count(ctx context.Context, sub privacy.Subject) (privacy.Counts, error) {
	recs, err := h.records(ctx, sub)
	if err != nil {
		return nil, err
	}
	states, err := h.states(ctx, sub)
	if err != nil {
		return nil, err
	}
	return privacy.Counts{KindRecords: int64(len(recs)), KindStates: int64(len(states))}, nil
}

// Rectify changes nothing: a record states what was decided and whose
// device sent it, at the time; correcting it would falsify the evidence, and
// no value of a search type (email, name, …) is kept.
func (h privacyHolder) Rectify(context.Context, privacy.Subject, privacy.Replacement) (privacy.Counts, error) {
	return privacy.Counts{}, nil
}

// Erase anonymizes the subject's records and deletes its states.
func (h privacyHolder) Erase(ctx context.Context, sub privacy.Subject) (privacy.Counts, error) {
	if sub.Empty() {
		return privacy.Counts{}, nil
	}
	recs, states, err := h.s.store.AnonymizeSubject(ctx, sub.OrgID, sub.VisitorIDs, sub.CustomerIDs)
	if err != nil {
		return nil, fmt.Errorf("anonymize consent subject: %w", err)
	}
	return privacy.Counts{KindRecords: recs, KindStates: states}, nil
}

// exportRecord is one ledger record in an export, with every field its hash
// and subject commitment are computed from (docs/consent.md).
type exportRecord struct {
	Seq               int64               `json:"seq"`
	ID                string              `json:"id"`
	VisitorID         string              `json:"visitorId"`
	CustomerID        string              `json:"customerId"`
	Action            Action              `json:"action"`
	Decisions         map[string]Decision `json:"decisions"`
	NoticeVersion     int                 `json:"noticeVersion"`
	NoticeHash        string              `json:"noticeHash"`
	Method            Method              `json:"method"`
	RecordedAt        int64               `json:"recordedAt"` // Unix milliseconds
	IPPrefix          string              `json:"ipPrefix"`
	UserAgent         string              `json:"userAgent"`
	Artefact          json.RawMessage     `json:"artefact,omitempty"`
	SubjectSalt       string              `json:"subjectSalt"`
	SubjectCommitment string              `json:"subjectCommitment"`
	PrevHash          string              `json:"prevHash"`
	Hash              string              `json:"hash"`
}

// exportNotice is a notice the subject was shown.
type exportNotice struct {
	Version  int               `json:"version"`
	Language string            `json:"language"`
	Title    string            `json:"title"`
	Texts    map[string]string `json:"texts"`
	Bases    map[string]Basis  `json:"bases,omitempty"`
	SHA256   string            `json:"sha256"`
}

// exportHistory is the consent history section.
type exportHistory struct {
	Records  []exportRecord    `json:"records"`
	Notices  []exportNotice    `json:"notices"`
	Receipts map[string]string `json:"receipts"` // visitor id → compact JWS
}

// exportState is a current decision.
type exportState struct {
	VisitorID string   `json:"visitorId"`
	Purpose   string   `json:"purpose"`
	Decision  Decision `json:"decision"`
	RecordSeq int64    `json:"recordSeq"`
	DecidedAt int64    `json:"decidedAt"`           // Unix milliseconds
	ExpiresAt int64    `json:"expiresAt,omitempty"` // Unix milliseconds, absent when it does not expire
}

// Export returns the subject's consent history (records, the notices they
// refer to, a signed receipt per visitor with decisions) and current states.
func (h privacyHolder) Export(ctx context.Context, sub privacy.Subject) ([]privacy.Section, error) {
	recs, err := h.records(ctx, sub)
	if err != nil {
		return nil, err
	}
	states, err := h.states(ctx, sub)
	if err != nil {
		return nil, err
	}
	hist := exportHistory{Records: make([]exportRecord, 0, len(recs)), Notices: []exportNotice{}, Receipts: map[string]string{}}
	shown := map[int]bool{}
	for _, r := range recs {
		hist.Records = append(hist.Records, exportRecord{Seq: r.Seq, ID: r.ID, VisitorID: r.VisitorID, CustomerID: r.CustomerID,
			Action: r.Action, Decisions: r.Decisions, NoticeVersion: r.NoticeVersion, NoticeHash: r.NoticeHash, Method: r.Method,
			RecordedAt: r.RecordedAt.UnixMilli(), IPPrefix: r.IPPrefix, UserAgent: r.UserAgent, Artefact: r.Artefact,
			SubjectSalt: r.SubjectSalt, SubjectCommitment: r.SubjectCommitment, PrevHash: r.PrevHash, Hash: r.Hash})
		if r.NoticeVersion > 0 && !shown[r.NoticeVersion] {
			shown[r.NoticeVersion] = true
			n, err := h.s.store.GetNotice(ctx, sub.OrgID, r.NoticeVersion)
			if err != nil {
				return nil, fmt.Errorf("get notice %d: %w", r.NoticeVersion, err)
			}
			hist.Notices = append(hist.Notices, exportNotice{Version: n.Version, Language: n.Language, Title: n.Title,
				Texts: n.Texts, Bases: n.Bases, SHA256: n.SHA256})
		}
	}
	slices.SortFunc(hist.Notices, func(a, b exportNotice) int { return a.Version - b.Version })
	out := make([]exportState, 0, len(states))
	org := presage.Organization{ID: sub.OrgID, Name: sub.OrgID}
	if len(states) > 0 && h.s.orgsByID != nil {
		if org, err = h.s.orgsByID.GetOrganization(ctx, sub.OrgID); err != nil {
			return nil, fmt.Errorf("get organization: %w", err)
		}
	}
	for _, st := range states {
		es := exportState{VisitorID: st.VisitorID, Purpose: st.Purpose, Decision: st.Decision, RecordSeq: st.RecordSeq,
			DecidedAt: st.DecidedAt.UnixMilli()}
		if !st.ExpiresAt.IsZero() {
			es.ExpiresAt = st.ExpiresAt.UnixMilli()
		}
		out = append(out, es)
		if _, ok := hist.Receipts[st.VisitorID]; ok {
			continue
		}
		jws, err := h.s.receipt(ctx, org, st.VisitorID)
		if err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
		hist.Receipts[st.VisitorID] = jws
	}
	return []privacy.Section{
		{Name: "consent_history.json", Data: hist,
			About: "Every consent decision recorded about you, oldest first, with the notice texts you were shown and a " +
				"signed consent receipt per device (verify it with the organization's JWKS). Each record's hash and " +
				"subject commitment can be recomputed from its fields as docs/consent.md describes."},
		{Name: "consent_states.json", Data: out,
			About: "Your current decision per device and purpose, derived from the history, with when it expires."},
	}, nil
}

// records returns the subject's records, each once, by Seq.
func (h privacyHolder) records(ctx context.Context, sub privacy.Subject) ([]Record, error) {
	seen := map[int64]bool{}
	var out []Record
	add := func(visitorID, customerID string) error {
		recs, err := h.s.store.SubjectRecords(ctx, sub.OrgID, visitorID, customerID)
		if err != nil {
			return fmt.Errorf("subject records: %w", err)
		}
		for _, r := range recs {
			if !seen[r.Seq] {
				seen[r.Seq] = true
				out = append(out, r)
			}
		}
		return nil
	}
	for _, c := range sub.CustomerIDs {
		if err := add("", c); err != nil {
			return nil, err
		}
	}
	for _, v := range sub.VisitorIDs {
		if err := add(v, ""); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// states returns the current states of the subject's visitors.
func (h privacyHolder) states(ctx context.Context, sub privacy.Subject) ([]State, error) {
	var out []State
	for _, v := range slices.Compact(slices.Sorted(slices.Values(sub.VisitorIDs))) {
		ss, err := h.s.store.States(ctx, sub.OrgID, v)
		if err != nil {
			return nil, fmt.Errorf("states: %w", err)
		}
		out = append(out, ss...)
	}
	return out, nil
}
