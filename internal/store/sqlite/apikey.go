package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

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
	_, err = db.write.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		key.ID, key.OrgID, key.Name, scopes, rowjson.NonNil(key.SecretHash), unixMilli(key.CreatedAt),
		nullMS(key.LastUsedAt), nullMS(key.RevokedAt))
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
	row := db.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id)
	key, err := scanAPIKey(row)
	if err != nil {
		return presage.APIKey{}, fmt.Errorf("get api key: %w", notFound(err))
	}
	return key, nil
}

// ListAPIKeys lists orgID's keys, oldest first, revoked ones included.
func (db *DB) ListAPIKeys(ctx context.Context, orgID string) ([]presage.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE org_id = ? ORDER BY created_at, id`, orgID)
	keys, err := scanAll(rows, err, scanAPIKey)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey sets RevokedAt of orgID's key id once.
func (db *DB) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE org_id = ? AND id = ?`,
		unixMilli(at), orgID, id)
	return affectedOne(res, err, "revoke api key")
}

// TouchAPIKey moves LastUsedAt of key id forward to at.
func (db *DB) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, ?1), ?1) WHERE id = ?2`,
		unixMilli(at), id)
	return affectedOne(res, err, "touch api key")
}

func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, presage.ErrNotFound)
	}
	return nil
}

func scanAPIKey(s scanner) (presage.APIKey, error) {
	var k presage.APIKey
	var scopes string
	var created int64
	var used, revoked sql.NullInt64
	if err := s.Scan(&k.ID, &k.OrgID, &k.Name, &scopes, &k.SecretHash, &created, &used, &revoked); err != nil {
		return presage.APIKey{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return presage.APIKey{}, fmt.Errorf("decode scopes: %w", err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromNullMS(used), fromNullMS(revoked)
	return k, nil
}
