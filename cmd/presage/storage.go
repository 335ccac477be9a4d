package main

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/app"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/tenant"
)

// openTenants opens (and migrates) the database the storage flags select.
func openTenants(ctx context.Context, sf storageFlags) (*app.Storage, *tenant.Service, error) {
	s, err := openServices(ctx, sf)
	if err != nil {
		return nil, nil, err
	}
	return s.storage, s.tenants, nil
}

// openServices opens (and migrates) the database and the key store and
// builds the operator's services over them.
func openServices(ctx context.Context, sf storageFlags) (orgServices, error) {
	cfg := app.Config{DataDir: *sf.dataDir, DatabaseURL: *sf.databaseURL}
	storage, err := app.OpenStorage(ctx, cfg)
	if err != nil {
		return orgServices{}, err
	}
	tenants, consents := app.NewTenantsAndConsents(storage, nil)
	return orgServices{storage: storage, engine: storage.Engine, tenants: tenants, consents: consents,
		privacy: app.NewPrivacy(storage, consents, cfg)}, nil
}

// The CLI acts as the operator (presage.Operator): whoever can run presage
// against the database already holds its credentials. withTenants gives fn
// the operator's authority over no organization in particular (to create or
// list them); withOrg, withOrgServices and asOperatorOf over the one
// organization --org names.

// withTenants runs fn as the operator with the tenant service over the
// selected database and closes the database afterwards.
func withTenants(ctx context.Context, sf storageFlags, fn func(ctx context.Context, tenants *tenant.Service) error) error {
	storage, tenants, err := openTenants(ctx, sf)
	if err != nil {
		return err
	}
	defer storage.Close()
	return fn(presage.AsOperator(ctx, ""), tenants)
}

// withOrg is withTenants for commands about one organization (--org): fn's
// context carries the operator of that organization.
func withOrg(ctx context.Context, sf storageFlags, orgRef string, fn func(ctx context.Context, tenants *tenant.Service, org presage.Organization) error) error {
	return withOrgServices(ctx, sf, orgRef, func(ctx context.Context, s orgServices) error {
		return fn(ctx, s.tenants, s.org)
	})
}

// orgServices are what a command about one organization works with.
type orgServices struct {
	storage  *app.Storage
	engine   store.Engine
	tenants  *tenant.Service
	consents *consent.Service
	privacy  *privacy.Service
	org      presage.Organization
}

// withOrgServices opens the database, finds the organization orgRef names
// and runs fn as its operator; the database is closed afterwards.
func withOrgServices(ctx context.Context, sf storageFlags, orgRef string, fn func(ctx context.Context, s orgServices) error) error {
	s, err := openServices(ctx, sf)
	if err != nil {
		return err
	}
	defer s.storage.Close()
	ctx, org, err := asOperatorOf(ctx, s.tenants, orgRef)
	if err != nil {
		return err
	}
	s.org = org
	return fn(ctx, s)
}

// asOperatorOf finds the organization orgRef names (id or name) and returns
// a context carrying the operator of that organization.
func asOperatorOf(ctx context.Context, tenants *tenant.Service, orgRef string) (context.Context, presage.Organization, error) {
	if orgRef == "" {
		return ctx, presage.Organization{}, fmt.Errorf("--org is required")
	}
	o, err := tenants.FindOrganization(presage.AsOperator(ctx, ""), orgRef)
	if presage.IsNotFound(err) {
		return ctx, o, fmt.Errorf("no organization %q", orgRef)
	}
	if err != nil {
		return ctx, o, err
	}
	return presage.AsOperator(ctx, o.ID), o, nil
}
