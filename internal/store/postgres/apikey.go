package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

const keyColumns = `id, org_id, name, scopes, secret_hash, created_at, last_used_at, revoked_at`

// CreateAPIKey inserts key; a taken ID is a conflict, an unknown organization
// is not found.
func (db *DB) CreateAPIKey(ctx context.Context, key presage.APIKey) error {
	scopes, err := rowjson.Encode(rowjson.NonNil(key.Scopes))
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	_, err = db.pool.exec(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		key.ID, key.OrgID, key.Name, scopes, rowjson.NonNil(key.SecretHash), presage.StoredTime(key.CreatedAt),
		nullTime(key.LastUsedAt), nullTime(key.RevokedAt))
	switch {
	case isUnique(err):
		return conflict("an api key with this id exists", err)
	case isForeignKey(err):
		return fmt.Errorf("create api key: organization: %w", presage.ErrNotFound)
	case err != nil:
		return fmt.Errorf("create api key: %w", err)
	}
	return nil
}

// APIKey returns the key id, whatever its organization.
func (db *DB) APIKey(ctx context.Context, id string) (presage.APIKey, error) {
	key, err := scanAPIKey(db.pool.queryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
	if err != nil {
		return presage.APIKey{}, fmt.Errorf("get api key: %w", notFound(err))
	}
	return key, nil
}

// ListAPIKeys lists orgID's keys, oldest first, revoked ones included.
func (db *DB) ListAPIKeys(ctx context.Context, orgID string) ([]presage.APIKey, error) {
	rows, err := db.pool.query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	keys, err := scanAll(rows, err, scanAPIKey)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey sets RevokedAt of orgID's key id once.
func (db *DB) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	tag, err := db.pool.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE org_id = $2 AND id = $3`,
		presage.StoredTime(at), orgID, id)
	return affectedOne(tag, err, "revoke api key")
}

// TouchAPIKey moves LastUsedAt of key id forward to at.
func (db *DB) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	tag, err := db.pool.exec(ctx, `UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $1) WHERE id = $2`,
		presage.StoredTime(at), id)
	return affectedOne(tag, err, "touch api key")
}

func affectedOne(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, presage.ErrNotFound)
	}
	return nil
}

func scanAPIKey(row pgx.Row) (presage.APIKey, error) {
	var k presage.APIKey
	var scopes string
	var used, revoked *time.Time
	if err := row.Scan(&k.ID, &k.OrgID, &k.Name, &scopes, &k.SecretHash, &k.CreatedAt, &used, &revoked); err != nil {
		return presage.APIKey{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return presage.APIKey{}, fmt.Errorf("decode scopes: %w", err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), fromNull(used), fromNull(revoked)
	return k, nil
}
