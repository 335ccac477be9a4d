package tenant

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// Service manages organizations and keys. Methods named for an API caller
// (Organization, UpdateOrganization, ListKeys, IssueKey, RevokeKey) authorize
// the principal in ctx; the operator methods (CreateOrganization, CreateKey)
// are for the CLI and start-up, which run with the database's own authority.
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

// CreateOrganization creates a controller with a fresh site key.
func (s *Service) CreateOrganization(ctx context.Context, name string, origins []string) (presage.Organization, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return presage.Organization{}, presage.Invalid("/name", -1, "name must be 1 to 200 characters")
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

// FindOrganization looks an organization up by id or by name (operator use).
func (s *Service) FindOrganization(ctx context.Context, idOrName string) (presage.Organization, error) {
	if strings.HasPrefix(idOrName, "org_") {
		if org, err := s.store.GetOrganization(ctx, idOrName); err == nil || !presage.IsNotFound(err) {
			return org, err
		}
	}
	return s.store.OrganizationByName(ctx, idOrName)
}

// ListOrganizations lists every organization (operator use).
func (s *Service) ListOrganizations(ctx context.Context) ([]presage.Organization, error) {
	return s.store.ListOrganizations(ctx)
}

// CreateKey issues a secret key for orgID and returns it with its full secret,
// which is never retrievable again.
func (s *Service) CreateKey(ctx context.Context, orgID, name string, scopes []presage.Scope) (presage.APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return presage.APIKey{}, "", presage.Invalid("/name", -1, "name must be 1 to 200 characters")
	}
	if len(scopes) == 0 {
		return presage.APIKey{}, "", presage.Invalid("/scopes", -1, "at least one scope is required (read, write, admin, gdpr)")
	}
	var clean []presage.Scope
	for i, sc := range scopes {
		if !presage.ValidScope(sc) {
			return presage.APIKey{}, "", presage.Invalid(fmt.Sprintf("/scopes/%d", i), -1, "unknown scope %q (read, write, admin, gdpr)", sc)
		}
		if !slices.Contains(clean, sc) {
			clean = append(clean, sc)
		}
	}
	id, full, hash := newSecretKey()
	key := presage.APIKey{
		ID:         id,
		OrgID:      orgID,
		Name:       name,
		Scopes:     clean,
		SecretHash: hash,
		CreatedAt:  presage.StoredTime(s.now()),
	}
	if err := s.store.CreateAPIKey(ctx, key); err != nil {
		return presage.APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return key, full, nil
}

// Authenticate resolves a full secret key to its principal. Every failure
// reads the same to the caller, so keys cannot be probed.
func (s *Service) Authenticate(ctx context.Context, full string) (presage.Principal, error) {
	denied := presage.Errorf(presage.CodeUnauthorized, "invalid or revoked API key")
	id, secret, ok := parseSecretKey(full)
	if !ok {
		return presage.Principal{}, denied
	}
	key, err := s.store.APIKey(ctx, id)
	if presage.IsNotFound(err) {
		return presage.Principal{}, denied
	}
	if err != nil {
		return presage.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if !secretMatches(secret, key.SecretHash) || !key.Active() {
		return presage.Principal{}, denied
	}
	now := s.now()
	if now.Sub(key.LastUsedAt) > time.Minute {
		// Coarse on purpose: a write per request would contend with ingestion.
		_ = s.store.TouchAPIKey(ctx, key.ID, now.UTC())
	}
	return presage.Principal{OrgID: key.OrgID, KeyID: key.ID, Scopes: key.Scopes}, nil
}

// OrganizationForSiteKey resolves the public key the tracker sends. Pages
// written for Genesys send their organization id instead, which is accepted
// too: both are public, and the origin check is what guards them.
func (s *Service) OrganizationForSiteKey(ctx context.Context, key string) (presage.Organization, error) {
	return s.sites.get(key, func() (presage.Organization, error) {
		if strings.HasPrefix(key, "org_") {
			return s.store.GetOrganization(ctx, key)
		}
		return s.store.OrganizationBySiteKey(ctx, key)
	})
}

// GetOrganization returns an organization by id (for components that already
// authorized the caller).
func (s *Service) GetOrganization(ctx context.Context, id string) (presage.Organization, error) {
	return s.store.GetOrganization(ctx, id)
}
