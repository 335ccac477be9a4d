package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// AcquireLease takes or renews the lease name for holder until now+ttl, in
// one upsert, atomic across nodes: the update applies only when holder holds
// it already or it expired before now.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	tag, err := db.pool.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
		WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < $4`,
		name, holder, presage.StoredTime(now.Add(ttl)), presage.StoredTime(now))
	if err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease frees the lease name if holder holds it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := db.pool.exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
