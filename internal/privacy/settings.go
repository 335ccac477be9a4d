package privacy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
)

// maxRetentionDays bounds a retention period (ten years).
const maxRetentionDays = 3650

// Settings returns the caller's organization's privacy settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	orgID, _, err := authorize(ctx)
	if err != nil {
		return Settings{}, err
	}
	st, err := s.opt.Store.GetPrivacySettings(ctx, orgID)
	if err != nil {
		return Settings{}, fmt.Errorf("privacy settings: %w", err)
	}
	return st, nil
}

// SetRetention changes the caller's organization's retention periods.
func (s *Service) SetRetention(ctx context.Context, r Retention) (Settings, error) {
	orgID, actor, err := authorize(ctx)
	if err != nil {
		return Settings{}, err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"sessionsDays", r.SessionsDays}, {"visitorsDays", r.VisitorsDays}, {"customersDays", r.CustomersDays}, {"exportsDays", r.ExportsDays}} {
		if f.v < 0 || f.v > maxRetentionDays {
			return Settings{}, presage.Invalid("/retention/"+f.name, -1, "%s must be between 0 (keep) and %d", f.name, maxRetentionDays)
		}
	}
	if r.ExportsDays == 0 {
		return Settings{}, presage.Invalid("/retention/exportsDays", -1, "exports must expire: exportsDays must be at least 1")
	}
	st := Settings{OrgID: orgID, Retention: r, UpdatedAt: s.now()}
	if err := s.opt.Store.PutPrivacySettings(ctx, st); err != nil {
		return Settings{}, fmt.Errorf("put privacy settings: %w", err)
	}
	detail, _ := json.Marshal(r)
	if err := s.audit(ctx, orgID, actor, "privacy.retention.changed", "", detail); err != nil {
		return Settings{}, err
	}
	return st, nil
}
