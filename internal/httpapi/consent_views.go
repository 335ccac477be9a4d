package httpapi

import (
	"encoding/json"

	"github.com/presage-dev/presage/internal/consent"
)

type stateView struct {
	Decision  consent.Decision `json:"decision"`
	DecidedAt apiTime          `json:"decidedAt"`
	ExpiresAt apiTime          `json:"expiresAt"`
}

func stateOf(st consent.State) stateView {
	return stateView{Decision: st.Decision, DecidedAt: apiTime(st.DecidedAt), ExpiresAt: apiTime(st.ExpiresAt)}
}

func statesOf(sts []consent.State) map[string]stateView {
	out := make(map[string]stateView, len(sts))
	for _, st := range sts {
		out[st.Purpose] = stateOf(st)
	}
	return out
}

type purposeView struct {
	Name        string        `json:"name"`
	Basis       consent.Basis `json:"basis"`
	Description string        `json:"description"`
	State       *stateView    `json:"state,omitempty"`
}

func purposeOf(p consent.Purpose) purposeView {
	return purposeView{Name: p.Name, Basis: p.Basis, Description: p.Description}
}

type noticeView struct {
	Version  int               `json:"version"`
	Language string            `json:"language"`
	Title    string            `json:"title"`
	Texts    map[string]string `json:"texts"`
	// Bases is the lawful basis each text was written for.
	Bases     map[string]consent.Basis `json:"bases"`
	SHA256    string                   `json:"sha256"`
	CreatedAt apiTime                  `json:"createdAt"`
}

func noticeOf(n consent.Notice) noticeView {
	bases := map[string]consent.Basis{}
	for name := range n.Texts {
		bases[name] = n.BasisOf(name)
	}
	return noticeView{Version: n.Version, Language: n.Language, Title: n.Title, Texts: n.Texts, Bases: bases, SHA256: n.SHA256,
		CreatedAt: apiTime(n.CreatedAt)}
}

type visitorConsentView struct {
	Purposes      []purposeView `json:"purposes"`
	Notice        *noticeView   `json:"notice,omitempty"`
	NeedsDecision bool          `json:"needsDecision"`
}

func visitorConsentOf(v consent.VisitorView) visitorConsentView {
	out := visitorConsentView{Purposes: []purposeView{}, NeedsDecision: v.NeedsDecision}
	for _, p := range v.Purposes {
		pv := purposeView{Name: p.Name, Basis: p.Basis, Description: p.Description}
		if p.State != nil {
			st := stateOf(*p.State)
			pv.State = &st
		}
		out.Purposes = append(out.Purposes, pv)
	}
	if v.Notice != nil {
		n := noticeOf(*v.Notice)
		out.Notice = &n
	}
	return out
}

type recordView struct {
	Seq           int64                       `json:"seq"`
	ID            string                      `json:"id"`
	VisitorID     string                      `json:"visitorId"`
	CustomerID    string                      `json:"customerId,omitempty"`
	Action        consent.Action              `json:"action"`
	Decisions     map[string]consent.Decision `json:"decisions"`
	NoticeVersion int                         `json:"noticeVersion,omitempty"`
	NoticeHash    string                      `json:"noticeHash,omitempty"`
	Method        consent.Method              `json:"method"`
	RecordedAt    apiTime                     `json:"recordedAt"`
	IPPrefix      string                      `json:"ipPrefix,omitempty"`
	UserAgent     string                      `json:"userAgent,omitempty"`
	Artefact      json.RawMessage             `json:"artefact,omitempty"`
	PrevHash      string                      `json:"prevHash"`
	Hash          string                      `json:"hash"`
}

func recordOf(r consent.Record) recordView {
	return recordView{Seq: r.Seq, ID: r.ID, VisitorID: r.VisitorID, CustomerID: r.CustomerID, Action: r.Action,
		Decisions: r.Decisions, NoticeVersion: r.NoticeVersion, NoticeHash: r.NoticeHash, Method: r.Method,
		RecordedAt: apiTime(r.RecordedAt), IPPrefix: r.IPPrefix, UserAgent: r.UserAgent, Artefact: r.Artefact,
		PrevHash: r.PrevHash, Hash: r.Hash}
}

type settingsView struct {
	GPCObjects        []string `json:"gpcObjects"`
	HonourDNT         bool     `json:"honourDnt"`
	TTLDays           int      `json:"ttlDays"`
	EraseOnWithdrawal bool     `json:"eraseOnWithdrawal"`
}

func settingsOf(s consent.Settings) settingsView {
	objects := s.GPCObjects
	if objects == nil {
		objects = []string{}
	}
	return settingsView{GPCObjects: objects, HonourDNT: s.HonourDNT, TTLDays: int(s.TTL.Hours() / 24),
		EraseOnWithdrawal: s.EraseOnWithdrawal}
}
