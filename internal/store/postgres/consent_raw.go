package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ExecRaw runs query in one transaction that sets
// presage.allow_ledger_rewrite to 'on' for that transaction only (see
// migration 0002), so the consent ledger's append-only trigger lets it update
// or delete records. It exists for the tests that tamper with the chain
// (which verification must detect) and for the controlled rewrite GDPR
// erasure will need; nothing else may call it.
func (db *DB) ExecRaw(ctx context.Context, query string, args ...any) error {
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('presage.allow_ledger_rewrite', 'on', true)`); err != nil {
			return fmt.Errorf("lift ledger guard: %w", err)
		}
		_, err := tx.Exec(ctx, query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("exec raw: %w", err)
	}
	return nil
}
