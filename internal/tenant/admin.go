package tenant

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// Organization returns the caller's organization; any valid key may read it.
func (s *Service) Organization(ctx context.Context) (presage.Organization, error) {
	p, ok := presage.PrincipalFrom(ctx)
	if !ok {
		return presage.Organization{}, presage.Errorf(presage.CodeUnauthorized, "authentication required")
	}
	return s.store.GetOrganization(ctx, p.OrgID)
}

// OrganizationPatch changes the fields that are set.
type OrganizationPatch struct {
	Name           *string
	AllowedOrigins *[]string
}

// UpdateOrganization applies patch to the caller's organization (admin scope).
func (s *Service) UpdateOrganization(ctx context.Context, patch OrganizationPatch) (presage.Organization, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return presage.Organization{}, err
	}
	return s.updateOrganization(ctx, orgID, patch)
}

func (s *Service) updateOrganization(ctx context.Context, orgID string, patch OrganizationPatch) (presage.Organization, error) {
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return presage.Organization{}, fmt.Errorf("load organization: %w", err)
	}
	if patch.Name != nil {
		name := strings.TrimSpace(*patch.Name)
		if name == "" || utf8.RuneCountInString(name) > 200 {
			return presage.Organization{}, presage.Invalid("/name", -1, "name must be 1 to 200 characters")
		}
		org.Name = name
	}
	if patch.AllowedOrigins != nil {
		norm, err := normalizeOrigins("/allowedOrigins", *patch.AllowedOrigins)
		if err != nil {
			return presage.Organization{}, err
		}
		org.AllowedOrigins = norm
	}
	if err := s.store.UpdateOrganization(ctx, org); err != nil {
		return presage.Organization{}, fmt.Errorf("update organization: %w", err)
	}
	return org, nil
}

// ListKeys lists the caller's organization's keys (admin scope).
func (s *Service) ListKeys(ctx context.Context) ([]presage.APIKey, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, orgID)
}

// IssueKey creates a key in the caller's organization (admin scope).
func (s *Service) IssueKey(ctx context.Context, name string, scopes []presage.Scope) (presage.APIKey, string, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return presage.APIKey{}, "", err
	}
	return s.CreateKey(ctx, orgID, name, scopes)
}

// RevokeKey revokes a key of the caller's organization (admin scope). It
// takes effect at once on every node: keys are never cached.
func (s *Service) RevokeKey(ctx context.Context, id string) error {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return err
	}
	return s.RevokeKeyOf(ctx, orgID, id)
}

// RevokeKeyOf revokes a key of orgID (operator use).
func (s *Service) RevokeKeyOf(ctx context.Context, orgID, id string) error {
	if err := s.store.RevokeAPIKey(ctx, orgID, id, s.now().UTC()); err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	return nil
}

// ListKeysOf lists orgID's keys (operator use).
func (s *Service) ListKeysOf(ctx context.Context, orgID string) ([]presage.APIKey, error) {
	return s.store.ListAPIKeys(ctx, orgID)
}
