package app

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/tenant"
)

// NewTenantsAndConsents returns the tenant and consent services over engine,
// wired so that every new organization starts with the default purposes,
// settings and notice. forget, if not nil, is told of every erased visitor, so in-memory state
// (live scoring) goes with the stored data.
func NewTenantsAndConsents(storage *Storage, forget func(orgID, visitorID string)) (*tenant.Service, *consent.Service) {
	return newTenantsAndConsents(storage, forget, nil)
}

// newTenantsAndConsents is NewTenantsAndConsents with the services' clock
// (nil: time.Now).
func newTenantsAndConsents(storage *Storage, forget func(orgID, visitorID string), now func() time.Time) (*tenant.Service, *consent.Service) {
	engine := storage.Engine
	consents := consent.NewService(engine, engine, consent.Options{
		Now:           now,
		Organizations: engine,
		Erase: func(ctx context.Context, orgID, visitorID string) error {
			// The data key goes first: once it is destroyed, no copy of the
			// visitor's encrypted values, backups included, can be read.
			if _, err := storage.Shredder.Shred(ctx, orgID, []string{visitorID}); err != nil {
				return err
			}
			_, err := engine.EraseVisitor(ctx, orgID, visitorID)
			if err == nil && forget != nil {
				forget(orgID, visitorID)
			}
			return err
		},
	})
	tenants := tenant.NewService(engine, tenant.Options{
		Now: now,
		OnCreate: func(ctx context.Context, org presage.Organization) error {
			return consents.EnsureDefaults(ctx, org.ID)
		},
	})
	return tenants, consents
}

// ensureConsentDefaults gives organizations created before consent existed
// their defaults; it changes nothing an administrator chose.
func ensureConsentDefaults(ctx context.Context, tenants *tenant.Service, consents *consent.Service) error {
	orgs, err := tenants.ListOrganizations(presage.AsOperator(ctx, ""))
	if err != nil {
		return fmt.Errorf("list organizations: %w", err)
	}
	for _, o := range orgs {
		if err := consents.EnsureDefaults(ctx, o.ID); err != nil {
			return fmt.Errorf("consent defaults of %s: %w", o.ID, err)
		}
	}
	return nil
}

// consentGate admits a visitor's events only with a lawful basis for
// analytics, and records browser privacy signals of admitted visitors.
type consentGate struct {
	consents   *consent.Service
	tombstones *privacy.Tombstones
}

var _ collect.IdentityGate = consentGate{}

// ErasedIdentity reports whether an identify carries an identifier of an
// erased subject (tombstones hash the identifier's blind index).
func (g consentGate) ErasedIdentity(ctx context.Context, org presage.Organization, ids []presage.Identifier) (bool, error) {
	for _, id := range ids {
		erased, err := g.tombstones.Erased(ctx, org.ID, org.IdentitySecret, id.Kind, id.Hash)
		if err != nil || erased {
			return erased, err
		}
	}
	return false, nil
}

func (g consentGate) Admit(ctx context.Context, org presage.Organization, visitorID string, sig presage.PrivacySignals, ipPrefix, userAgent string) error {
	// An erased visitor's late or retried events are dropped, never
	// resurrected.
	if erased, err := g.tombstones.Erased(ctx, org.ID, org.IdentitySecret, privacy.TombstoneVisitor, visitorID); err != nil {
		return fmt.Errorf("tombstone check: %w", err)
	} else if erased {
		return &presage.Error{Code: presage.CodeConsentRequired,
			Message: "this visitor's data was erased at the data subject's request; nothing was stored"}
	}
	ok, err := g.consents.TrackingAllowed(ctx, org.ID, visitorID)
	if err != nil {
		return fmt.Errorf("consent check: %w", err)
	}
	if !ok {
		return &presage.Error{Code: presage.CodeConsentRequired,
			Message: "this visitor has not given consent to analytics; nothing was stored"}
	}
	if sig.GPC || sig.DNT {
		if err := g.consents.Signal(ctx, org, visitorID, sig, ipPrefix, userAgent); err != nil {
			return fmt.Errorf("record privacy signal: %w", err)
		}
	}
	return nil
}
