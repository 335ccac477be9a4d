package postgres

import (
	"context"
	"fmt"
)

// ReplaceIdentitySecret sets orgID's identity secret to secret if it still
// is old, and reports whether it did: encryption at rest wraps secrets
// stored in clear (store/sealed.SealLegacySecrets), and the comparison lets
// two nodes do so at once without one overwriting the other's.
func (db *DB) ReplaceIdentitySecret(ctx context.Context, orgID string, old, secret []byte) (bool, error) {
	tag, err := db.pool.exec(ctx, `UPDATE organizations SET identity_secret = $1 WHERE id = $2 AND identity_secret = $3`,
		secret, orgID, old)
	if err != nil {
		return false, fmt.Errorf("replace identity secret: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReplaceSigningKey sets the private key of orgID's consent signing key to
// private if it still is old, and reports whether it did.
func (db *DB) ReplaceSigningKey(ctx context.Context, orgID string, old, private []byte) (bool, error) {
	tag, err := db.pool.exec(ctx, `UPDATE consent_signing_keys SET private_key = $1 WHERE org_id = $2 AND private_key = $3`,
		private, orgID, old)
	if err != nil {
		return false, fmt.Errorf("replace signing key: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
