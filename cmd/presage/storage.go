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

// withTenants runs fn with the tenant service over the selected database and
// closes the database afterwards.
func withTenants(ctx context.Context, sf storageFlags, fn func(*tenant.Service) error) error {
	engine, tenants, err := openTenants(ctx, sf)
	if err != nil {
		return err
	}
	defer engine.Close()
	return fn(tenants)
}

// withOrg is withTenants for commands about one organization (--org).
func withOrg(ctx context.Context, sf storageFlags, orgRef string, fn func(*tenant.Service, presage.Organization) error) error {
	return withTenants(ctx, sf, func(tenants *tenant.Service) error {
		org, err := findOrg(ctx, tenants, orgRef)
		if err != nil {
			return err
		}
		return fn(tenants, org)
	})
}
