package tenant

import (
	"context"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Service manages organizations and keys. Every exported method that serves
// a caller authorizes the principal in ctx: API callers by the scopes of
// their key, the operator (presage.Operator: CLI and start-up) for what
// concerns every organization. Authenticate and AuthenticateSite are where
// callers are turned into principals and sites in the first place.
type Service struct {
	store    Store
	now      func() time.Time
	sites    *siteCache
	onCreate func(ctx context.Context, org presage.Organization) error
}

// Options tunes a Service; zero values are sensible.
type Options struct {
	Now func() time.Time
	// SiteKeyTTL bounds how long a node may use a cached site-key lookup, so
	// origin changes reach every node sharing the database within it.
	SiteKeyTTL time.Duration
	// OnCreate runs after an organization is created (e.g. to give it default
	// purposes and a notice); its error fails the creation call.
	OnCreate func(ctx context.Context, org presage.Organization) error
}

// NewService returns a Service over store.
func NewService(store Store, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SiteKeyTTL == 0 {
		opt.SiteKeyTTL = time.Second
	}
	return &Service{store: store, now: opt.Now, sites: newSiteCache(opt.SiteKeyTTL, opt.Now), onCreate: opt.OnCreate}
}
