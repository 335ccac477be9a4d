package privacy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
)

// audit appends one entry. detail must hold no personal value.
func (s *Service) audit(ctx context.Context, orgID, actor, action, target string, detail json.RawMessage) error {
	if len(detail) == 0 {
		detail = json.RawMessage("{}")
	}
	e := AuditEntry{OrgID: orgID, At: s.now(), Actor: actor, Action: action, Target: target, Detail: detail}
	if err := s.opt.Store.AppendAudit(ctx, []AuditEntry{e}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// MaxAuditPage bounds one page of the audit log.
const MaxAuditPage = 1000

// Audit returns up to limit entries of the caller's organization's audit
// log after afterSeq, oldest first. Keys with the gdpr or the admin scope
// may read it.
func (s *Service) Audit(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeGDPR)
	if presage.ErrorCode(err) == presage.CodeUnauthorized {
		return nil, err
	}
	if err != nil {
		if orgID, err = presage.Authorize(ctx, presage.ScopeAdmin); err != nil {
			return nil, presage.Errorf(presage.CodeForbidden, "the audit log needs the gdpr or the admin scope")
		}
	}
	if limit < 1 || limit > MaxAuditPage {
		return nil, presage.Invalid("limit", -1, "limit must be between 1 and %d", MaxAuditPage)
	}
	if afterSeq < 0 {
		return nil, presage.Invalid("after", -1, "after must not be negative")
	}
	out, err := s.opt.Store.ListAudit(ctx, orgID, "", afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}

// audited reports whether the audit trail of target already holds action.
func (s *Service) audited(ctx context.Context, orgID, target, action string) (bool, error) {
	after := int64(0)
	for {
		page, err := s.opt.Store.ListAudit(ctx, orgID, target, after, 500)
		if err != nil {
			return false, fmt.Errorf("read audit trail: %w", err)
		}
		for _, e := range page {
			if e.Action == action {
				return true, nil
			}
		}
		if len(page) < 500 {
			return false, nil
		}
		after = page[len(page)-1].Seq
	}
}
