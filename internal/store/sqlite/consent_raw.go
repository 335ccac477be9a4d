package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// ExecRaw runs query in one write transaction with the consent ledger's
// append-only triggers lifted for that transaction only: it drops them, runs
// query and recreates them from their stored definitions before committing,
// so no other connection ever sees the ledger unguarded (a failure rolls all
// of it back). It exists for the tests that tamper with the chain (which
// verification must detect) and for the controlled rewrite GDPR erasure will
// need; nothing else may call it.
func (db *DB) ExecRaw(ctx context.Context, query string, args ...any) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
			WHERE type = 'trigger' AND tbl_name = 'consent_records' ORDER BY name`)
		type trigger struct{ name, sql string }
		triggers, err := scanAll(rows, err, func(s scanner) (trigger, error) {
			var t trigger
			err := s.Scan(&t.name, &t.sql)
			return t, err
		})
		if err != nil {
			return fmt.Errorf("read ledger triggers: %w", err)
		}
		for _, t := range triggers {
			if _, err := tx.ExecContext(ctx, `DROP TRIGGER "`+t.name+`"`); err != nil {
				return fmt.Errorf("lift ledger trigger %s: %w", t.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		for _, t := range triggers {
			if _, err := tx.ExecContext(ctx, t.sql); err != nil {
				return fmt.Errorf("restore ledger trigger %s: %w", t.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("exec raw: %w", err)
	}
	return nil
}
