package sealed

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
)

// identityLabel binds a wrapped identity secret to its organization: a
// secret copied onto another organization's row does not unwrap.
func identityLabel(orgID string) string { return "identity:" + orgID }

// CreateOrganization stores org with its identity secret wrapped by the
// master key.
func (e *engine) CreateOrganization(ctx context.Context, org presage.Organization) error {
	org.IdentitySecret = e.keys.Wrap(identityLabel(org.ID), org.IdentitySecret)
	return e.base.CreateOrganization(ctx, org)
}

// GetOrganization returns the organization with its identity secret
// unwrapped.
func (e *engine) GetOrganization(ctx context.Context, id string) (presage.Organization, error) {
	return e.unwrapOrganization(e.base.GetOrganization(ctx, id))
}

// OrganizationByName returns the organization with its identity secret
// unwrapped.
func (e *engine) OrganizationByName(ctx context.Context, name string) (presage.Organization, error) {
	return e.unwrapOrganization(e.base.OrganizationByName(ctx, name))
}

// OrganizationBySiteKey returns the organization with its identity secret
// unwrapped.
func (e *engine) OrganizationBySiteKey(ctx context.Context, siteKey string) (presage.Organization, error) {
	return e.unwrapOrganization(e.base.OrganizationBySiteKey(ctx, siteKey))
}

// ListOrganizations lists every organization with its identity secret
// unwrapped.
func (e *engine) ListOrganizations(ctx context.Context) ([]presage.Organization, error) {
	orgs, err := e.base.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	for i := range orgs {
		if orgs[i], err = e.unwrapOrganization(orgs[i], nil); err != nil {
			return nil, err
		}
	}
	return orgs, nil
}

// UpdateOrganization needs no override: the engines rewrite only Name and
// AllowedOrigins, so the unwrapped secret a caller holds is never written.

// unwrapOrganization unwraps the identity secret of what a read returned; a
// secret stored in clear (before encryption) is returned as it is.
func (e *engine) unwrapOrganization(org presage.Organization, err error) (presage.Organization, error) {
	if err != nil {
		return org, err
	}
	secret, err := e.keys.Unwrap(identityLabel(org.ID), org.IdentitySecret)
	if err != nil {
		return presage.Organization{}, fmt.Errorf("identity secret of organization %s: %w", org.ID, err)
	}
	org.IdentitySecret = secret
	return org, nil
}
