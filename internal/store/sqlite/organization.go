package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const orgColumns = `id, name, site_key, allowed_origins, identity_secret, created_at, phone_region`

// CreateOrganization inserts org; a taken ID, Name or SiteKey is a conflict.
func (db *DB) CreateOrganization(ctx context.Context, org presage.Organization) error {
	origins, err := rowjson.Encode(rowjson.NonNil(org.AllowedOrigins))
	if err != nil {
		return fmt.Errorf("create organization: %w", err)
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		org.ID, org.Name, org.SiteKey, origins, rowjson.NonNil(org.IdentitySecret), unixMilli(org.CreatedAt),
		org.PhoneRegion)
	if isUnique(err) {
		return conflict("an organization with this id, name or site key exists", err)
	}
	if err != nil {
		return fmt.Errorf("create organization: %w", err)
	}
	return nil
}

// GetOrganization returns the organization id.
func (db *DB) GetOrganization(ctx context.Context, id string) (presage.Organization, error) {
	return db.organizationWhere(ctx, "id = ?", id)
}

// OrganizationByName returns the organization named name.
func (db *DB) OrganizationByName(ctx context.Context, name string) (presage.Organization, error) {
	return db.organizationWhere(ctx, "name = ?", name)
}

// OrganizationBySiteKey returns the organization whose site key is siteKey.
func (db *DB) OrganizationBySiteKey(ctx context.Context, siteKey string) (presage.Organization, error) {
	return db.organizationWhere(ctx, "site_key = ?", siteKey)
}

func (db *DB) organizationWhere(ctx context.Context, where string, arg any) (presage.Organization, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE `+where, arg)
	org, err := scanOrganization(row)
	if err != nil {
		return presage.Organization{}, fmt.Errorf("get organization: %w", notFound(err))
	}
	return org, nil
}

// ListOrganizations lists every organization, oldest first.
func (db *DB) ListOrganizations(ctx context.Context) ([]presage.Organization, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY created_at, id`)
	orgs, err := scanAll(rows, err, scanOrganization)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return orgs, nil
}

// UpdateOrganization rewrites Name, AllowedOrigins and PhoneRegion of org.ID.
func (db *DB) UpdateOrganization(ctx context.Context, org presage.Organization) error {
	origins, err := rowjson.Encode(rowjson.NonNil(org.AllowedOrigins))
	if err != nil {
		return fmt.Errorf("update organization: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE organizations SET name = ?, allowed_origins = ?, phone_region = ? WHERE id = ?`,
		org.Name, origins, org.PhoneRegion, org.ID)
	if isUnique(err) {
		return conflict("an organization with this name exists", err)
	}
	if err != nil {
		return fmt.Errorf("update organization: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update organization: %w", err)
	} else if n == 0 {
		return presage.ErrNotFound
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanOrganization(s scanner) (presage.Organization, error) {
	var org presage.Organization
	var origins string
	var created int64
	if err := s.Scan(&org.ID, &org.Name, &org.SiteKey, &origins, &org.IdentitySecret, &created, &org.PhoneRegion); err != nil {
		return presage.Organization{}, err
	}
	if err := json.Unmarshal([]byte(origins), &org.AllowedOrigins); err != nil {
		return presage.Organization{}, fmt.Errorf("decode allowed origins: %w", err)
	}
	org.CreatedAt = fromMS(created)
	return org, nil
}
