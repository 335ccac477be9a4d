package httpapi

import (
	"net/http"
	"strconv"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
)

func (s *Server) listPurposes(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Consents.Purposes(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePurposes(w, ps)
}

func writePurposes(w http.ResponseWriter, ps []consent.Purpose) {
	out := listView[purposeView]{Data: make([]purposeView, 0, len(ps))}
	for _, p := range ps {
		out.Data = append(out.Data, purposeOf(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// noticeBody is a notice as an administrator writes it.
type noticeBody struct {
	Language string            `json:"language"`
	Title    string            `json:"title"`
	Texts    map[string]string `json:"texts"`
}

func (n noticeBody) input() consent.NoticeInput {
	return consent.NoticeInput{Language: n.Language, Title: n.Title, Texts: n.Texts}
}

func (s *Server) putPurposes(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Purposes []struct {
			Name        string        `json:"name"`
			Basis       consent.Basis `json:"basis"`
			Description string        `json:"description"`
		} `json:"purposes"`
		// Notices are published with the change: a basis change needs one
		// for every language whose text was written for the old basis,
		// unless that text is Presage's default.
		Notices []noticeBody `json:"notices"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	var change consent.PurposesInput
	for _, p := range in.Purposes {
		change.Purposes = append(change.Purposes, consent.PurposeInput{Name: p.Name, Basis: p.Basis, Description: p.Description})
	}
	for _, n := range in.Notices {
		change.Notices = append(change.Notices, n.input())
	}
	out, err := s.Consents.SetPurposes(r.Context(), change)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	view := struct {
		listView[purposeView]
		Published []noticeView `json:"published"`
	}{listView[purposeView]{Data: make([]purposeView, 0, len(out.Purposes))}, make([]noticeView, 0, len(out.Published))}
	for _, p := range out.Purposes {
		view.Data = append(view.Data, purposeOf(p))
	}
	for _, n := range out.Published {
		view.Published = append(view.Published, noticeOf(n))
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) getConsentSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Consents.Settings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsOf(st))
}

func (s *Server) patchConsentSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		GPCObjects        *[]string `json:"gpcObjects"`
		HonourDNT         *bool     `json:"honourDnt"`
		TTLDays           *int      `json:"ttlDays"`
		EraseOnWithdrawal *bool     `json:"eraseOnWithdrawal"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Consents.UpdateSettings(r.Context(), consent.SettingsPatch{GPCObjects: in.GPCObjects,
		HonourDNT: in.HonourDNT, TTLDays: in.TTLDays, EraseOnWithdrawal: in.EraseOnWithdrawal})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsOf(st))
}

func (s *Server) listNotices(w http.ResponseWriter, r *http.Request) {
	ns, err := s.Consents.Notices(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := listView[noticeView]{Data: make([]noticeView, 0, len(ns))}
	for _, n := range ns {
		out.Data = append(out.Data, noticeOf(n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getNotice(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		s.writeError(w, r, presage.Invalid("version", -1, "version must be a positive integer"))
		return
	}
	n, err := s.Consents.Notice(r.Context(), v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, noticeOf(n))
}

func (s *Server) publishNotice(w http.ResponseWriter, r *http.Request) {
	var in noticeBody
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.Consents.PublishNotice(r.Context(), in.input())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, noticeOf(n))
}

func (s *Server) consentHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.Consents.History(r.Context(), r.PathValue("subject"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Records []recordView          `json:"records"`
		Notices map[string]noticeView `json:"notices"`
	}{Records: make([]recordView, 0, len(h.Records)), Notices: map[string]noticeView{}}
	for _, rec := range h.Records {
		out.Records = append(out.Records, recordOf(rec))
	}
	for v, n := range h.Notices {
		out.Notices[strconv.Itoa(v)] = noticeOf(n)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) recordConsent(w http.ResponseWriter, r *http.Request) {
	var body decisionBody
	if err := decodeJSONLimit(w, r, &body, maxConsentBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := body.input(r)
	rec, states, err := s.Consents.RecordDecision(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, decisionView{Record: rec.ID, Seq: rec.Seq, States: statesOf(states)})
}

type verifyView struct {
	OK      bool  `json:"ok"`
	Records int64 `json:"records"`
	Head    struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"`
	} `json:"head"`
	Problem *struct {
		Seq    int64  `json:"seq"`
		ID     string `json:"id,omitempty"`
		Kind   string `json:"kind"`
		Detail string `json:"detail"`
	} `json:"problem,omitempty"`
}

// verifyOf renders a chain verification report.
func verifyOf(rep consent.VerifyReport) verifyView {
	v := verifyView{OK: rep.OK, Records: rep.Records}
	v.Head.Seq, v.Head.Hash = rep.Head.Seq, rep.Head.Hash
	if p := rep.Problem; p != nil {
		v.Problem = &struct {
			Seq    int64  `json:"seq"`
			ID     string `json:"id,omitempty"`
			Kind   string `json:"kind"`
			Detail string `json:"detail"`
		}{p.Seq, p.RecordID, p.Kind, p.Detail}
	}
	return v
}

func (s *Server) verifyLedger(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Consents.Verify(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, verifyOf(rep))
}
