package predict

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// FeatureStore keeps organizations' feature settings, one version after
// another.
type FeatureStore interface {
	FeatureSettings(ctx context.Context, orgID string) (FeatureSettings, error)
	// SaveFeatureSettings stores fs as orgID's next version (the latest
	// plus one) and returns it with that version.
	SaveFeatureSettings(ctx context.Context, orgID string, fs FeatureSettings) (FeatureSettings, error)
}

// FeatureService reads and changes the calling organization's feature
// settings: reading needs the read scope, changing them the admin scope.
type FeatureService struct {
	store FeatureStore
	now   func() time.Time
	// changed is called after a new version is stored (the scorer then
	// rebuilds the organization's live sessions at once on this node).
	changed func(orgID string)
}

// NewFeatureService returns the service over store; changed may be nil.
func NewFeatureService(store FeatureStore, now func() time.Time, changed func(orgID string)) *FeatureService {
	if now == nil {
		now = time.Now
	}
	if changed == nil {
		changed = func(string) {}
	}
	return &FeatureService{store: store, now: now, changed: changed}
}

// Get returns the organization's feature settings in force.
func (s *FeatureService) Get(ctx context.Context) (FeatureSettings, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return FeatureSettings{}, err
	}
	return s.store.FeatureSettings(ctx, orgID)
}

// Set validates settings (DecodeFeatureSettings) and stores them as the
// next version: every outcome model of the organization then starts again
// from stored history with the new features.
func (s *FeatureService) Set(ctx context.Context, body []byte) (FeatureSettings, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return FeatureSettings{}, err
	}
	fs, err := DecodeFeatureSettings(body)
	if err != nil {
		return FeatureSettings{}, err
	}
	fs.UpdatedAt = presage.StoredTime(s.now())
	out, err := s.store.SaveFeatureSettings(ctx, orgID, fs)
	if err != nil {
		return FeatureSettings{}, fmt.Errorf("set feature settings: %w", err)
	}
	s.changed(orgID)
	return out, nil
}
