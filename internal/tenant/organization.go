package tenant

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/identity"
	"github.com/presage-dev/presage/internal/presage"
)

// CreateOrganization creates a controller with a fresh site key (operator).
func (s *Service) CreateOrganization(ctx context.Context, name string, origins []string) (presage.Organization, error) {
	if err := presage.AuthorizeOperator(ctx); err != nil {
		return presage.Organization{}, err
	}
	return s.createOrganization(ctx, name, origins)
}

func (s *Service) createOrganization(ctx context.Context, name string, origins []string) (presage.Organization, error) {
	name, err := organizationName(name)
	if err != nil {
		return presage.Organization{}, err
	}
	norm, err := normalizeOrigins("/allowedOrigins", origins)
	if err != nil {
		return presage.Organization{}, err
	}
	org := presage.Organization{
		ID:             presage.NewID("org"),
		Name:           name,
		SiteKey:        "pk_" + presage.RandomToken(16),
		AllowedOrigins: norm,
		IdentitySecret: []byte(presage.RandomToken(32)),
		CreatedAt:      presage.StoredTime(s.now()),
	}
	if err := s.store.CreateOrganization(ctx, org); err != nil {
		return presage.Organization{}, fmt.Errorf("create organization: %w", err)
	}
	if s.onCreate != nil {
		if err := s.onCreate(ctx, org); err != nil {
			return presage.Organization{}, fmt.Errorf("set up organization: %w", err)
		}
	}
	return org, nil
}

func organizationName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", presage.Invalid("/name", -1, "name must be 1 to 200 characters")
	}
	return name, nil
}

// FindOrganization looks an organization up by id or by name (operator).
func (s *Service) FindOrganization(ctx context.Context, idOrName string) (presage.Organization, error) {
	if err := presage.AuthorizeOperator(ctx); err != nil {
		return presage.Organization{}, err
	}
	if strings.HasPrefix(idOrName, "org_") {
		if org, err := s.store.GetOrganization(ctx, idOrName); err == nil || !presage.IsNotFound(err) {
			return org, err
		}
	}
	return s.store.OrganizationByName(ctx, idOrName)
}

// ListOrganizations lists every organization (operator).
func (s *Service) ListOrganizations(ctx context.Context) ([]presage.Organization, error) {
	if err := presage.AuthorizeOperator(ctx); err != nil {
		return nil, err
	}
	return s.store.ListOrganizations(ctx)
}

// Organization returns the caller's organization; any valid key may read it.
func (s *Service) Organization(ctx context.Context) (presage.Organization, error) {
	p, ok := presage.PrincipalFrom(ctx)
	if !ok || p.OrgID == "" {
		return presage.Organization{}, presage.Errorf(presage.CodeUnauthorized, "authentication required")
	}
	return s.store.GetOrganization(ctx, p.OrgID)
}

// OrganizationPatch changes the fields that are set.
type OrganizationPatch struct {
	Name           *string
	AllowedOrigins *[]string
	// PhoneRegion is "" (none) or an ISO 3166 region phone numbering knows
	// ("FR", case-insensitive); identify reads phone numbers without a
	// country code as numbers of it.
	PhoneRegion *string
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
		if org.Name, err = organizationName(*patch.Name); err != nil {
			return presage.Organization{}, err
		}
	}
	if patch.AllowedOrigins != nil {
		norm, err := normalizeOrigins("/allowedOrigins", *patch.AllowedOrigins)
		if err != nil {
			return presage.Organization{}, err
		}
		org.AllowedOrigins = norm
	}
	if patch.PhoneRegion != nil {
		region, ok := identity.Region(*patch.PhoneRegion)
		if !ok {
			return presage.Organization{}, presage.Invalid("/phoneRegion", -1,
				"must be empty or an ISO 3166 region code with a phone numbering plan, such as FR or GB")
		}
		org.PhoneRegion = region
	}
	if err := s.store.UpdateOrganization(ctx, org); err != nil {
		return presage.Organization{}, fmt.Errorf("update organization: %w", err)
	}
	return org, nil
}
