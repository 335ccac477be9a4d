package main

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/app"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/tenant"
)

// openTenants opens (and migrates) the database the storage flags select.
func openTenants(ctx context.Context, sf storageFlags) (store.Engine, *tenant.Service, error) {
	engine, tenants, _, err := openServices(ctx, sf)
	return engine, tenants, err
}

// openServices opens (and migrates) the database and builds the operator's
// services over it.
func openServices(ctx context.Context, sf storageFlags) (store.Engine, *tenant.Service, *consent.Service, error) {
	cfg := app.Config{DataDir: *sf.dataDir, DatabaseURL: *sf.databaseURL}
	engine, err := store.Open(ctx, cfg.DatabaseTarget())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open database: %w", err)
	}
	if err := engine.Migrate(ctx); err != nil {
		engine.Close()
		return nil, nil, nil, fmt.Errorf("migrate database: %w", err)
	}
	tenants, consents := app.NewTenantsAndConsents(engine, nil)
	return engine, tenants, consents, nil
}

// The CLI acts as the operator (presage.Operator): whoever can run presage
// against the database already holds its credentials. withTenants gives fn
// the operator's authority over no organization in particular (to create or
// list them); withOrg, withOrgServices and asOperatorOf over the one
// organization --org names.

// withTenants runs fn as the operator with the tenant service over the
// selected database and closes the database afterwards.
func withTenants(ctx context.Context, sf storageFlags, fn func(ctx context.Context, tenants *tenant.Service) error) error {
	engine, tenants, err := openTenants(ctx, sf)
	if err != nil {
		return err
	}
	defer engine.Close()
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
	engine   store.Engine
	tenants  *tenant.Service
	consents *consent.Service
	org      presage.Organization
}

// withOrgServices opens the database, finds the organization orgRef names
// and runs fn as its operator; the database is closed afterwards.
func withOrgServices(ctx context.Context, sf storageFlags, orgRef string, fn func(ctx context.Context, s orgServices) error) error {
	engine, tenants, consents, err := openServices(ctx, sf)
	if err != nil {
		return err
	}
	defer engine.Close()
	ctx, org, err := asOperatorOf(ctx, tenants, orgRef)
	if err != nil {
		return err
	}
	return fn(ctx, orgServices{engine: engine, tenants: tenants, consents: consents, org: org})
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
