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

// CreateKey issues a secret key in the caller's organization (admin scope)
// and returns it with its full secret, which is never retrievable again.
func (s *Service) CreateKey(ctx context.Context, name string, scopes []presage.Scope) (presage.APIKey, string, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return presage.APIKey{}, "", err
	}
	return s.createKey(ctx, orgID, name, scopes)
}

func (s *Service) createKey(ctx context.Context, orgID, name string, scopes []presage.Scope) (presage.APIKey, string, error) {
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

// ListKeys lists the caller's organization's keys (admin scope).
func (s *Service) ListKeys(ctx context.Context) ([]presage.APIKey, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, orgID)
}

// RevokeKey revokes a key of the caller's organization (admin scope). It
// takes effect at once on every node: keys are never cached.
func (s *Service) RevokeKey(ctx context.Context, id string) error {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return err
	}
	return s.revokeKey(ctx, orgID, id)
}

func (s *Service) revokeKey(ctx context.Context, orgID, id string) error {
	if err := s.store.RevokeAPIKey(ctx, orgID, id, s.now().UTC()); err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	return nil
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
