package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// Limits of one request.
const (
	maxTerms        = 20
	maxReplacements = 20
	maxReasonLength = 2000
	// MaxPageSize bounds one page of requests.
	MaxPageSize = 500
)

// RequestInput is a new data subject request.
type RequestInput struct {
	Type         RequestType
	Terms        []Term
	Replacements []Replacement
	// Confirm must be set for an erasure: it cannot be undone.
	Confirm bool
}

// rectifiable lists the types a rectification may replace: the values
// Presage stores (ids are not personal values one corrects).
var rectifiable = []SearchType{SearchEmail, SearchPhone, SearchName, SearchAddress, SearchExternalID}

func checkInput(in RequestInput) (RequestInput, error) {
	switch in.Type {
	case RequestExport, RequestRectify, RequestErase:
	default:
		return in, presage.Invalid("/type", -1, "unknown type %q (export, rectify or erase)", in.Type)
	}
	if len(in.Terms) == 0 {
		return in, presage.Invalid("/subject", -1, "the subject needs at least one identifying value")
	}
	if len(in.Terms) > maxTerms {
		return in, presage.Invalid("/subject", -1, "at most %d identifying values", maxTerms)
	}
	terms := make([]Term, len(in.Terms))
	for i, t := range in.Terms {
		var err error
		if terms[i], err = checkTerm(fmt.Sprintf("/subject/terms/%d", i), t); err != nil {
			return in, err
		}
	}
	in.Terms = terms
	if in.Type != RequestRectify && len(in.Replacements) > 0 {
		return in, presage.Invalid("/replacementTerms", -1, "replacement terms belong to a rectify request only")
	}
	if in.Type == RequestRectify {
		if len(in.Replacements) == 0 {
			return in, presage.Invalid("/replacementTerms", -1, "a rectify request needs at least one replacement term")
		}
		if len(in.Replacements) > maxReplacements {
			return in, presage.Invalid("/replacementTerms", -1, "at most %d replacement terms", maxReplacements)
		}
		reps := make([]Replacement, len(in.Replacements))
		for i, r := range in.Replacements {
			p := fmt.Sprintf("/replacementTerms/%d", i)
			if !slices.Contains(rectifiable, r.Type) {
				return in, presage.Invalid(p+"/type", -1, "unknown replacement type %q (email, phone, name, address or external_id)", r.Type)
			}
			if _, err := checkTerm(p, Term{Type: r.Type, Value: r.Existing}); err != nil {
				return in, presage.Invalid(p+"/existingValue", -1, "existingValue is required (at most %d characters)", maxTermLength)
			}
			if _, err := checkTerm(p, Term{Type: r.Type, Value: r.Updated}); err != nil {
				return in, presage.Invalid(p+"/updatedValue", -1, "updatedValue is required (at most %d characters)", maxTermLength)
			}
			r.Existing, r.Updated = strings.TrimSpace(r.Existing), strings.TrimSpace(r.Updated)
			if r.Existing == r.Updated {
				return in, presage.Invalid(p+"/updatedValue", -1, "updatedValue equals existingValue")
			}
			reps[i] = r
		}
		in.Replacements = reps
	}
	if in.Type == RequestErase && !in.Confirm {
		return in, presage.Invalid("confirm", -1, "erasure cannot be undone: confirm it (confirm=true)")
	}
	return in, nil
}

// DueDate is the legal deadline of a request received at: one month later
// (GDPR Art. 12(3)).
func DueDate(received time.Time) time.Time { return received.AddDate(0, 1, 0) }

// CreateRequest validates and stores a request; the job runner serves it.
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (Request, error) {
	orgID, actor, err := authorize(ctx)
	if err != nil {
		return Request{}, err
	}
	if in, err = checkInput(in); err != nil {
		return Request{}, err
	}
	now := s.now()
	r := Request{OrgID: orgID, ID: presage.NewID("dsr"), Type: in.Type, Terms: in.Terms, Replacements: in.Replacements,
		Status: StatusInitiated, RequestedBy: actor, ReceivedAt: now, DueAt: DueDate(now), NextRunAt: now,
		UpdatedAt: now, Progress: Progress{Step: stepReceived}}
	if err := s.opt.Store.CreateRequest(ctx, r); err != nil {
		return Request{}, fmt.Errorf("create request: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"type": r.Type, "terms": termTypes(r.Terms), "dueAt": r.DueAt})
	if err := s.audit(ctx, orgID, actor, "gdpr.request.received", r.ID, detail); err != nil {
		return Request{}, err
	}
	s.opt.Metrics.received(r.Type)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return r, nil
}

// termTypes names the kinds of the terms, for the audit log.
func termTypes(ts []Term) []SearchType {
	out := make([]SearchType, len(ts))
	for i, t := range ts {
		out[i] = t.Type
	}
	return out
}

// Request returns one request of the caller's organization.
func (s *Service) Request(ctx context.Context, id string) (Request, error) {
	orgID, _, err := authorize(ctx)
	if err != nil {
		return Request{}, err
	}
	r, err := s.opt.Store.GetRequest(ctx, orgID, id)
	if err != nil {
		return Request{}, fmt.Errorf("get request: %w", err)
	}
	return r, nil
}

// RequestAudit returns the audit trail of one request, oldest first.
func (s *Service) RequestAudit(ctx context.Context, id string) ([]AuditEntry, error) {
	orgID, _, err := authorize(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.opt.Store.GetRequest(ctx, orgID, id); err != nil {
		return nil, fmt.Errorf("get request: %w", err)
	}
	var out []AuditEntry
	after := int64(0)
	for {
		page, err := s.opt.Store.ListAudit(ctx, orgID, id, after, 500)
		if err != nil {
			return nil, fmt.Errorf("request audit: %w", err)
		}
		out = append(out, page...)
		if len(page) < 500 {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}

// Requests returns page number (from 1) of size requests, newest first, and
// the total.
func (s *Service) Requests(ctx context.Context, size, number int) ([]Request, int, error) {
	orgID, _, err := authorize(ctx)
	if err != nil {
		return nil, 0, err
	}
	if size < 1 || size > MaxPageSize {
		return nil, 0, presage.Invalid("pageSize", -1, "page size must be between 1 and %d", MaxPageSize)
	}
	if number < 1 {
		return nil, 0, presage.Invalid("pageNumber", -1, "page number starts at 1")
	}
	rs, total, err := s.opt.Store.ListRequests(ctx, orgID, size, number)
	if err != nil {
		return nil, 0, fmt.Errorf("list requests: %w", err)
	}
	return rs, total, nil
}

// Extend moves a request's due date to until, at most two months after the
// original one (Art. 12(3)), recording reason (required).
func (s *Service) Extend(ctx context.Context, id string, until time.Time, reason string) (Request, error) {
	orgID, actor, err := authorize(ctx)
	if err != nil {
		return Request{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxReasonLength {
		return Request{}, presage.Invalid("/reason", -1, "a reason of 1 to %d characters is required: the data subject must be told why", maxReasonLength)
	}
	r, err := s.opt.Store.GetRequest(ctx, orgID, id)
	if err != nil {
		return Request{}, fmt.Errorf("get request: %w", err)
	}
	if r.Status.Terminal() {
		return Request{}, presage.Errorf(presage.CodeConflict, "the request is %s: there is nothing left to extend", r.Status)
	}
	until = presage.StoredTime(until)
	limit := DueDate(r.ReceivedAt).AddDate(0, 2, 0)
	if !until.After(r.DueAt) || until.After(limit) {
		return Request{}, presage.Invalid("/until", -1, "until must be after the current due date (%s) and at most two months after the original one (%s)",
			r.DueAt.Format(time.RFC3339), limit.Format(time.RFC3339))
	}
	r.DueAt, r.ExtensionReason, r.UpdatedAt = until, reason, s.now()
	if err := s.opt.Store.SaveRequest(ctx, r, ""); err != nil {
		return Request{}, fmt.Errorf("extend request: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"dueAt": until})
	if err := s.audit(ctx, orgID, actor, "gdpr.request.extended", r.ID, detail); err != nil {
		return Request{}, err
	}
	return r, nil
}
