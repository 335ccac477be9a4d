package tenant

import (
	"context"
	"fmt"
	"slices"

	"github.com/presage-dev/presage/internal/presage"
)

// DemoName is the name of the organization `presage serve` prepares for the
// demo shop.
const DemoName = "Demo Shop"

const demoKeyName = "demo"

// Demo is what start-up prints so a new user can try Presage at once.
type Demo struct {
	Org presage.Organization
	// Key is a fresh full-scope secret key, minted at each start because only
	// its hash is stored; the previous start's demo keys are revoked.
	Key string
}

// EnsureDemo creates the demo organization on first start, makes sure origins
// are allowed (the demo is served from this server's own address) and mints
// a new demo key.
// Only the operator may (start-up runs as presage.Operator("")).
func (s *Service) EnsureDemo(ctx context.Context, origins []string) (Demo, error) {
	if err := presage.AuthorizeOperator(ctx); err != nil {
		return Demo{}, err
	}
	org, err := s.store.OrganizationByName(ctx, DemoName)
	switch {
	case presage.IsNotFound(err):
		org, err = s.createOrganization(ctx, DemoName, origins)
		if err != nil && presage.ErrorCode(err) == presage.CodeConflict {
			// Another node sharing the database created it first.
			org, err = s.store.OrganizationByName(ctx, DemoName)
		}
		if err != nil {
			return Demo{}, fmt.Errorf("create demo organization: %w", err)
		}
	case err != nil:
		return Demo{}, fmt.Errorf("load demo organization: %w", err)
	}
	missing := false
	for _, o := range origins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return Demo{}, err
		}
		missing = missing || !slices.Contains(org.AllowedOrigins, n)
	}
	if missing {
		all := append(slices.Clone(org.AllowedOrigins), origins...)
		if org, err = s.updateOrganization(ctx, org.ID, OrganizationPatch{AllowedOrigins: &all}); err != nil {
			return Demo{}, err
		}
	}
	keys, err := s.store.ListAPIKeys(ctx, org.ID)
	if err != nil {
		return Demo{}, fmt.Errorf("list demo keys: %w", err)
	}
	for _, k := range keys {
		if k.Name == demoKeyName && k.Active() {
			if err := s.revokeKey(ctx, org.ID, k.ID); err != nil {
				return Demo{}, err
			}
		}
	}
	_, full, err := s.createKey(ctx, org.ID, demoKeyName, presage.AllScopes)
	if err != nil {
		return Demo{}, err
	}
	return Demo{Org: org, Key: full}, nil
}
