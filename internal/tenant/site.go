package tenant

import (
	"context"
	"fmt"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// AuthenticateSite resolves the public site key a page of the organization
// sends, and checks the request's Origin against the organization's allowed
// origins. Pages written for Genesys send their organization id instead,
// which is accepted too: both are public, and the origin check is what
// guards them. origin may be empty only where requireOrigin is false (a
// same-origin GET, or a public resource such as the receipt-signing keys);
// a non-empty origin is always checked.
//
// It is the only place a site is authenticated: the collector and the
// consent endpoints both come through it, and answer the same errors.
func (s *Service) AuthenticateSite(ctx context.Context, siteKey, origin string, requireOrigin bool) (presage.Organization, error) {
	if siteKey == "" {
		return presage.Organization{}, presage.Invalid("/siteKey", -1, "siteKey is required")
	}
	org, err := s.sites.get(siteKey, func() (presage.Organization, error) {
		if strings.HasPrefix(siteKey, "org_") {
			return s.store.GetOrganization(ctx, siteKey)
		}
		return s.store.OrganizationBySiteKey(ctx, siteKey)
	})
	switch {
	case presage.IsNotFound(err):
		return presage.Organization{}, &presage.Error{Code: presage.CodeUnauthorized, Message: "unknown site key",
			Violations: []presage.Violation{{Field: "/siteKey", Index: -1, Detail: "is not a known site key"}}}
	case err != nil:
		return presage.Organization{}, fmt.Errorf("resolve site key: %w", err)
	}
	if (origin != "" || requireOrigin) && !CheckOrigin(org, origin) {
		return presage.Organization{}, presage.Errorf(presage.CodeForbidden, "this origin is not allowed for this site key")
	}
	return org, nil
}

// PublicOrganization returns the organization id names, for resources anyone
// may read without credentials (the keys that verify its consent receipts);
// an unknown id is presage.ErrNotFound. Callers must hand out only what is
// public about it.
func (s *Service) PublicOrganization(ctx context.Context, id string) (presage.Organization, error) {
	if !strings.HasPrefix(id, "org_") {
		return presage.Organization{}, presage.ErrNotFound
	}
	return s.store.GetOrganization(ctx, id)
}
