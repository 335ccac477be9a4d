package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
)

func sameOrg(t *testing.T, got, want presage.Organization) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.SiteKey != want.SiteKey ||
		!slices.Equal(got.AllowedOrigins, want.AllowedOrigins) || !bytes.Equal(got.IdentitySecret, want.IdentitySecret) ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("organization = %+v, want %+v", got, want)
	}
}

func testOrganizations(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	org := f.org
	lookups := []struct {
		name string
		get  func(store.Engine, string) (presage.Organization, error)
		key  string
	}{
		{"by id", func(e store.Engine, k string) (presage.Organization, error) { return e.GetOrganization(ctx, k) }, org.ID},
		{"by name", func(e store.Engine, k string) (presage.Organization, error) { return e.OrganizationByName(ctx, k) }, org.Name},
		{"by site key", func(e store.Engine, k string) (presage.Organization, error) { return e.OrganizationBySiteKey(ctx, k) }, org.SiteKey},
	}
	for _, l := range lookups {
		t.Run(l.name, func(t *testing.T) {
			got, err := l.get(f.e, l.key)
			if err != nil {
				t.Fatal(err)
			}
			sameOrg(t, got, org)
			_, err = l.get(f.e, l.key+"-missing")
			wantCode(t, "missing", err, presage.CodeNotFound)
		})
	}

	t.Run("conflicts", func(t *testing.T) {
		fresh := func() presage.Organization {
			return presage.Organization{ID: presage.NewID("org"), Name: presage.RandomToken(6),
				SiteKey: "pk_" + presage.RandomToken(16), IdentitySecret: []byte("s"), CreatedAt: base}
		}
		cases := []struct {
			name   string
			change func(*presage.Organization)
		}{
			{"id", func(o *presage.Organization) { o.ID = org.ID }},
			{"name", func(o *presage.Organization) { o.Name = org.Name }},
			{"site key", func(o *presage.Organization) { o.SiteKey = org.SiteKey }},
		}
		for _, c := range cases {
			o := fresh()
			c.change(&o)
			wantCode(t, "duplicate "+c.name, f.e.CreateOrganization(ctx, o), presage.CodeConflict)
		}
	})

	t.Run("list and update", func(t *testing.T) {
		second := presage.Organization{ID: presage.NewID("org"), Name: "Beta", SiteKey: "pk_" + presage.RandomToken(16),
			IdentitySecret: []byte("secret"), CreatedAt: presage.StoredTime(base.Add(time.Hour))}
		if err := f.e.CreateOrganization(ctx, second); err != nil {
			t.Fatal(err)
		}
		second.AllowedOrigins = []string{} // nil is stored as empty
		all, err := f.e.ListOrganizations(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("list: %v, %d organizations", err, len(all))
		}
		sameOrg(t, all[0], org)
		sameOrg(t, all[1], second)

		second.Name, second.AllowedOrigins = "Beta 2", []string{"https://b.example", "*"}
		if err := f.e.UpdateOrganization(ctx, second); err != nil {
			t.Fatal(err)
		}
		got, err := f.e.GetOrganization(ctx, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameOrg(t, got, second)
		taken := second
		taken.Name = org.Name
		wantCode(t, "rename to a taken name", f.e.UpdateOrganization(ctx, taken), presage.CodeConflict)
		missing := second
		missing.ID = "org_missing"
		wantCode(t, "update missing", f.e.UpdateOrganization(ctx, missing), presage.CodeNotFound)
	})
}

func testAPIKeys(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	other := f.newOrg("Other")
	newKey := func(orgID string, at time.Time) presage.APIKey {
		return presage.APIKey{ID: presage.NewID("key"), OrgID: orgID, Name: "ci",
			Scopes: []presage.Scope{presage.ScopeRead, presage.ScopeAdmin}, SecretHash: []byte{1, 2, 3, 0, 255}, CreatedAt: at}
	}
	k1, k2, k3 := newKey(f.org.ID, base), newKey(f.org.ID, base.Add(time.Minute)), newKey(other.ID, base)
	for _, k := range []presage.APIKey{k2, k1, k3} {
		if err := f.e.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("create key: %v", err)
		}
	}
	same := func(t *testing.T, got, want presage.APIKey) {
		t.Helper()
		if got.ID != want.ID || got.OrgID != want.OrgID || got.Name != want.Name || !slices.Equal(got.Scopes, want.Scopes) ||
			!bytes.Equal(got.SecretHash, want.SecretHash) || !got.CreatedAt.Equal(presage.StoredTime(want.CreatedAt)) ||
			!got.LastUsedAt.Equal(presage.StoredTime(want.LastUsedAt)) || !got.RevokedAt.Equal(presage.StoredTime(want.RevokedAt)) ||
			got.CreatedAt.Location() != time.UTC {
			t.Fatalf("key = %+v, want %+v", got, want)
		}
	}

	t.Run("get", func(t *testing.T) {
		got, err := f.e.APIKey(ctx, k3.ID)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, k3)
		if !got.Active() || !got.LastUsedAt.IsZero() {
			t.Fatalf("new key: active %v, last used %v", got.Active(), got.LastUsedAt)
		}
		_, err = f.e.APIKey(ctx, "key_missing")
		wantCode(t, "missing key", err, presage.CodeNotFound)
	})
	t.Run("create conflicts", func(t *testing.T) {
		wantCode(t, "duplicate id", f.e.CreateAPIKey(ctx, k1), presage.CodeConflict)
		if err := f.e.CreateAPIKey(ctx, newKey("org_missing", base)); err == nil {
			t.Fatal("key of an unknown organization was created")
		}
	})
	t.Run("list", func(t *testing.T) {
		got, err := f.e.ListAPIKeys(ctx, f.org.ID)
		if err != nil || len(got) != 2 {
			t.Fatalf("list: %v, %d keys", err, len(got))
		}
		same(t, got[0], k1)
		same(t, got[1], k2)
	})
	t.Run("revoke", func(t *testing.T) {
		first := base.Add(time.Hour + 1500*time.Microsecond)
		if err := f.e.RevokeAPIKey(ctx, f.org.ID, k1.ID, first); err != nil {
			t.Fatal(err)
		}
		if err := f.e.RevokeAPIKey(ctx, f.org.ID, k1.ID, first.Add(time.Hour)); err != nil {
			t.Fatalf("revoke twice: %v", err)
		}
		got, _ := f.e.APIKey(ctx, k1.ID)
		if got.Active() || !got.RevokedAt.Equal(presage.StoredTime(first)) || got.RevokedAt.Location() != time.UTC {
			t.Fatalf("revoked at %v, want %v", got.RevokedAt, presage.StoredTime(first))
		}
		wantCode(t, "revoke another organization's key", f.e.RevokeAPIKey(ctx, f.org.ID, k3.ID, first), presage.CodeNotFound)
		if got, _ := f.e.APIKey(ctx, k3.ID); !got.Active() {
			t.Fatal("another organization's key was revoked")
		}
		wantCode(t, "revoke missing", f.e.RevokeAPIKey(ctx, f.org.ID, "key_missing", first), presage.CodeNotFound)
	})
	t.Run("touch", func(t *testing.T) {
		at := base.Add(2 * time.Hour)
		if err := f.e.TouchAPIKey(ctx, k2.ID, at); err != nil {
			t.Fatal(err)
		}
		if err := f.e.TouchAPIKey(ctx, k2.ID, at.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ := f.e.APIKey(ctx, k2.ID)
		if !got.LastUsedAt.Equal(presage.StoredTime(at)) {
			t.Fatalf("last used %v, want %v (never moves back)", got.LastUsedAt, presage.StoredTime(at))
		}
		wantCode(t, "touch missing", f.e.TouchAPIKey(ctx, "key_missing", at), presage.CodeNotFound)
	})
}
