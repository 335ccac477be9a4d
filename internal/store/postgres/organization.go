package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	_, err = db.pool.exec(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		org.ID, org.Name, org.SiteKey, origins, rowjson.NonNil(org.IdentitySecret), presage.StoredTime(org.CreatedAt),
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
	return db.organizationWhere(ctx, "id = $1", id)
}

// OrganizationByName returns the organization named name.
func (db *DB) OrganizationByName(ctx context.Context, name string) (presage.Organization, error) {
	return db.organizationWhere(ctx, "name = $1", name)
}

// OrganizationBySiteKey returns the organization whose site key is siteKey.
func (db *DB) OrganizationBySiteKey(ctx context.Context, siteKey string) (presage.Organization, error) {
	return db.organizationWhere(ctx, "site_key = $1", siteKey)
}

func (db *DB) organizationWhere(ctx context.Context, where string, arg any) (presage.Organization, error) {
	org, err := scanOrganization(db.pool.queryRow(ctx, `SELECT `+orgColumns+` FROM organizations WHERE `+where, arg))
	if err != nil {
		return presage.Organization{}, fmt.Errorf("get organization: %w", notFound(err))
	}
	return org, nil
}

// ListOrganizations lists every organization, oldest first.
func (db *DB) ListOrganizations(ctx context.Context) ([]presage.Organization, error) {
	rows, err := db.pool.query(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY created_at, id`)
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
	tag, err := db.pool.exec(ctx, `UPDATE organizations SET name = $1, allowed_origins = $2, phone_region = $3 WHERE id = $4`,
		org.Name, origins, org.PhoneRegion, org.ID)
	if isUnique(err) {
		return conflict("an organization with this name exists", err)
	}
	if err != nil {
		return fmt.Errorf("update organization: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update organization: %w", presage.ErrNotFound)
	}
	return nil
}

func scanOrganization(row pgx.Row) (presage.Organization, error) {
	var org presage.Organization
	var origins string
	if err := row.Scan(&org.ID, &org.Name, &org.SiteKey, &origins, &org.IdentitySecret, &org.CreatedAt, &org.PhoneRegion); err != nil {
		return presage.Organization{}, err
	}
	if err := json.Unmarshal([]byte(origins), &org.AllowedOrigins); err != nil {
		return presage.Organization{}, fmt.Errorf("decode allowed origins: %w", err)
	}
	org.CreatedAt = org.CreatedAt.UTC()
	return org, nil
}
