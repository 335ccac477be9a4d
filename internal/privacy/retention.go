package privacy

import (
	"context"
	"encoding/json"
	"fmt"
)

// purgeAll enforces every organization's retention periods and deletes
// expired exports. Failures are logged and retried at the next run.
func (s *Service) purgeAll(ctx context.Context) {
	if s.opt.Purger == nil {
		return
	}
	if err := s.expireExports(ctx); err != nil {
		s.opt.Logger.Error("retention: deleting expired exports", "err", err)
	}
	orgs, err := s.opt.Store.OrganizationIDs(ctx)
	if err != nil {
		s.opt.Logger.Error("retention: listing organizations", "err", err)
		return
	}
	for _, orgID := range orgs {
		if ctx.Err() != nil {
			return
		}
		if _, err := s.Purge(ctx, orgID); err != nil {
			s.opt.Logger.Error("retention purge", "org", orgID, "err", err)
		}
	}
}

// Purge enforces orgID's retention periods now: it removes what outlived
// them, destroys the data keys of the visitors and customers it removed,
// and records what it removed in the audit log and the metrics.
func (s *Service) Purge(ctx context.Context, orgID string) (Counts, error) {
	st, err := s.opt.Store.GetPrivacySettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("privacy settings: %w", err)
	}
	total := Counts{}
	for {
		removed, gone, more, err := s.opt.Purger.PurgeExpired(ctx, orgID, st.Retention, s.now())
		if err != nil {
			return total, fmt.Errorf("purge: %w", err)
		}
		total.Add(removed)
		gone.OrgID = orgID
		if n, err := s.shred(ctx, gone); err != nil {
			return total, err
		} else if n > 0 {
			total["dataKeys"] += n
		}
		if !more {
			break
		}
	}
	var sum int64
	for _, v := range total {
		sum += v
	}
	if sum == 0 {
		return total, nil
	}
	s.opt.Metrics.purgedRows(total)
	detail, _ := json.Marshal(map[string]any{"retention": st.Retention, "removed": total})
	if err := s.audit(ctx, orgID, "system", "retention.purge", "", detail); err != nil {
		return total, err
	}
	return total, nil
}

// expireExports deletes the export bundles past their expiry and destroys
// their data keys.
func (s *Service) expireExports(ctx context.Context) error {
	gone, err := s.opt.Store.DeleteExports(ctx, s.now())
	if err != nil {
		return err
	}
	for _, e := range gone {
		if _, err := s.opt.Shredder.Shred(ctx, e.OrgID, []string{exportSubject(e.RequestID)}); err != nil {
			return fmt.Errorf("destroy the key of export %s: %w", e.RequestID, err)
		}
	}
	if len(gone) > 0 {
		s.opt.Metrics.purgedRows(Counts{"exports": int64(len(gone))})
	}
	return nil
}
