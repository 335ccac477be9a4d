package app

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/identity"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store"
)

// PrivacyTables lists, for the catalogue test, the tables the privacy
// service itself serves (requests and their export bundles): scrubbed of
// the subject's terms by an erasure, exported as requests.json.
var PrivacyTables = []string{"gdpr_requests", "gdpr_exports"}

// identityIndex computes blind indexes with each organization's identity
// key, the way the collector stores identifiers.
type identityIndex struct {
	engine store.Engine
}

var _ privacy.Indexer = identityIndex{}

func (x identityIndex) Index(ctx context.Context, orgID string, t privacy.SearchType, value string) ([]string, error) {
	org, err := x.engine.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("organization: %w", err)
	}
	return identity.Hashes(org.IdentitySecret, string(t), value, org.PhoneRegion), nil
}

func (x identityIndex) Tombstone(ctx context.Context, orgID, kind, value string) (string, error) {
	org, err := x.engine.GetOrganization(ctx, orgID)
	if err != nil {
		return "", fmt.Errorf("organization: %w", err)
	}
	return privacy.TombstoneHash(org.IdentitySecret, kind, value), nil
}

// journeyPurger enforces retention over the journey store.
type journeyPurger struct {
	engine store.Engine
}

// purgeBatch bounds the sessions one purge transaction removes.
const purgeBatch = 500

func (p journeyPurger) PurgeExpired(ctx context.Context, orgID string, r privacy.Retention, now time.Time) (privacy.Counts, privacy.Subject, bool, error) {
	days := func(n int) time.Time {
		if n <= 0 {
			return time.Time{}
		}
		return now.AddDate(0, 0, -n)
	}
	out, more, err := p.engine.Purge(ctx, orgID, journey.PurgeCutoffs{SessionsBefore: days(r.SessionsDays),
		VisitorsBefore: days(r.VisitorsDays), CustomersBefore: days(r.CustomersDays)}, purgeBatch)
	if err != nil {
		return nil, privacy.Subject{}, false, err
	}
	c := privacy.Counts{"events": out.Events, "sessions": out.Sessions, "visitors": out.Visitors, "customers": out.Customers,
		"predictions": out.Predictions, "achievements": out.Achievements, "identifiers": out.Identifiers, "lookups": out.Lookups}
	return c, privacy.Subject{OrgID: orgID, VisitorIDs: out.VisitorIDs, CustomerIDs: out.CustomerIDs}, more, nil
}

// newPrivacy returns the data subject rights service over every holder of
// personal data. Registering a holder here is what makes a store reachable
// by export, rectification and erasure; TestEveryTableHasAPrivacyHolder
// fails for a table no holder claims.
func newPrivacy(storage *Storage, consents *consent.Service, metrics *privacy.Metrics, cfg Config) *privacy.Service {
	engine := storage.Engine
	return privacy.NewService(privacy.Options{
		Store:    engine,
		Holders:  privacyHolders(storage, consents, cfg.Now),
		Keys:     storage.Keys,
		Shredder: storage.Shredder,
		Index:    identityIndex{engine},
		Purger:   journeyPurger{engine},
		Now:      cfg.Now,
		Logger:   cfg.Logger,
		Metrics:  metrics,
		LeaseTTL: cfg.GDPRLease,
	})
}

// privacyHolders lists every holder of personal data, in the order an
// export presents them and an erasure removes them.
func privacyHolders(storage *Storage, consents *consent.Service, now func() time.Time) []privacy.Holder {
	engine := storage.Engine
	if now == nil {
		now = time.Now
	}
	return []privacy.Holder{
		journey.NewPrivacyHolder(engine, identityIndex{engine}, now),
		predict.NewPrivacyHolder(engine),
		consent.NewPrivacyHolder(consents),
	}
}

// NewPrivacy returns the data subject rights service for the CLI, which
// serves requests in-process (Service.Work).
func NewPrivacy(storage *Storage, consents *consent.Service, cfg Config) *privacy.Service {
	return newPrivacy(storage, consents, nil, cfg)
}
