package tenant

import (
	"context"
	"errors"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

// orgStore keeps one organization; the rest of Store is never called.
type orgStore struct {
	Store
	org presage.Organization
}

func (s *orgStore) GetOrganization(_ context.Context, id string) (presage.Organization, error) {
	if id != s.org.ID {
		return presage.Organization{}, presage.ErrNotFound
	}
	return s.org, nil
}

func (s *orgStore) UpdateOrganization(_ context.Context, org presage.Organization) error {
	s.org = org
	return nil
}

func TestUpdateOrganizationPhoneRegion(t *testing.T) {
	tests := []struct {
		name, in, want string
		invalid        bool
	}{
		{"upper case", "FR", "FR", false},
		{"lower case is canonicalized", " gb ", "GB", false},
		{"empty clears it", "", "", false},
		{"unknown region", "ZZ", "DE", true},
		{"a country name", "France", "DE", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &orgStore{org: presage.Organization{ID: "org_1", Name: "shop", PhoneRegion: "DE"}}
			svc := NewService(st, Options{})
			ctx := presage.WithPrincipal(context.Background(),
				presage.Principal{OrgID: "org_1", Scopes: []presage.Scope{presage.ScopeAdmin}})
			org, err := svc.UpdateOrganization(ctx, OrganizationPatch{PhoneRegion: &tt.in})
			if tt.invalid {
				var perr *presage.Error
				if !errors.As(err, &perr) || perr.Code != presage.CodeInvalid || len(perr.Violations) != 1 ||
					perr.Violations[0].Field != "/phoneRegion" {
					t.Fatalf("UpdateOrganization(%q) = %v, want an invalid /phoneRegion", tt.in, err)
				}
			} else if err != nil || org.PhoneRegion != tt.want {
				t.Fatalf("UpdateOrganization(%q) = %q, %v; want %q", tt.in, org.PhoneRegion, err, tt.want)
			}
			if st.org.PhoneRegion != tt.want {
				t.Errorf("stored region = %q, want %q", st.org.PhoneRegion, tt.want)
			}
		})
	}
}
