package tenant

import (
	"context"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Store keeps organizations and their API keys. Lookups of a missing row return
// presage.ErrNotFound. Creating an organization whose ID, Name or SiteKey is
// taken, or a key whose ID is taken, returns a presage.CodeConflict error.
type Store interface {
	CreateOrganization(ctx context.Context, org presage.Organization) error
	GetOrganization(ctx context.Context, id string) (presage.Organization, error)
	OrganizationByName(ctx context.Context, name string) (presage.Organization, error)
	OrganizationBySiteKey(ctx context.Context, siteKey string) (presage.Organization, error)
	ListOrganizations(ctx context.Context) ([]presage.Organization, error)
	// UpdateOrganization rewrites Name, AllowedOrigins and PhoneRegion of org.ID.
	UpdateOrganization(ctx context.Context, org presage.Organization) error

	CreateAPIKey(ctx context.Context, key presage.APIKey) error
	// APIKey returns a key by ID whatever its organization: authentication uses
	// it before the organization is known, and checks the secret's hash.
	APIKey(ctx context.Context, id string) (presage.APIKey, error)
	ListAPIKeys(ctx context.Context, orgID string) ([]presage.APIKey, error)
	// RevokeAPIKey sets RevokedAt of the key id of orgID (ErrNotFound if the key
	// is not orgID's; revoking twice keeps the first time).
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	// TouchAPIKey records a use of the key (best effort, coarse-grained).
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}
