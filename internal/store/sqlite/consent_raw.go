package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/store/internal/consentplan"
	"github.com/presage-dev/presage/internal/store/internal/rowjson"
)

// The controlled rewrite path of the consent ledger: everything that lifts
// its append-only triggers lives in this file.

// ExecRaw runs query in one write transaction with the consent ledger's
// append-only triggers lifted for that transaction only (see liftLedgerGuard).
// It exists for the tests that tamper with the chain (which verification
// must detect); nothing else may call it.
func (db *DB) ExecRaw(ctx context.Context, query string, args ...any) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		return liftLedgerGuard(ctx, tx, func() error {
			_, err := tx.ExecContext(ctx, query, args...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("exec raw: %w", err)
	}
	return nil
}

// liftLedgerGuard drops the ledger's triggers in tx, runs fn and recreates
// them from their stored definitions before tx commits, so no other
// connection ever sees the ledger unguarded (a failure rolls all of it back).
func liftLedgerGuard(ctx context.Context, tx *sql.Tx, fn func() error) error {
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
	if err := fn(); err != nil {
		return err
	}
	for _, t := range triggers {
		if _, err := tx.ExecContext(ctx, t.sql); err != nil {
			return fmt.Errorf("restore ledger trigger %s: %w", t.name, err)
		}
	}
	return nil
}

// AnonymizeSubject blanks the subject of the records of visitorIDs and
// customerIDs and deletes the visitors' states, in one write transaction.
// A chain that still holds version 1 records is sealed first (their hashes
// cover the values being blanked); a chain too broken to seal is anonymized
// all the same: erasure does not wait for a sound ledger.
func (db *DB) AnonymizeSubject(ctx context.Context, orgID string, visitorIDs, customerIDs []string) (records, states int64, err error) {
	vs, cs := consentplan.Subjects(visitorIDs), consentplan.Subjects(customerIDs)
	if len(vs) == 0 && len(cs) == 0 {
		return 0, 0, nil
	}
	vj, err := rowjson.Encode(vs)
	if err != nil {
		return 0, 0, fmt.Errorf("anonymize consent subject: %w", err)
	}
	cj, err := rowjson.Encode(cs)
	if err != nil {
		return 0, 0, fmt.Errorf("anonymize consent subject: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		return liftLedgerGuard(ctx, tx, func() error {
			if err := sealIfUnsealed(ctx, tx, orgID); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE consent_records
				SET visitor_id = '', customer_id = '', ip_prefix = '', user_agent = '', subject_salt = NULL
				WHERE org_id = ?1 AND (visitor_id IN (SELECT value FROM json_each(?2))
					OR customer_id IN (SELECT value FROM json_each(?3)))`, orgID, vj, cj)
			if err != nil {
				return fmt.Errorf("blank records: %w", err)
			}
			if records, err = res.RowsAffected(); err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, `DELETE FROM consent_states
				WHERE org_id = ? AND visitor_id IN (SELECT value FROM json_each(?))`, orgID, vj)
			if err != nil {
				return fmt.Errorf("delete states: %w", err)
			}
			states, err = res.RowsAffected()
			return err
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("anonymize consent subject: %w", err)
	}
	return records, states, nil
}

// sealIfUnsealed seals orgID's chain in tx when it holds version 1 records.
// A savepoint undoes a seal that stops at a break, keeping the chain as it
// was for verification to report.
func sealIfUnsealed(ctx context.Context, tx *sql.Tx, orgID string) error {
	var unsealed bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM consent_records
		WHERE org_id = ? AND subject_commitment = '')`, orgID).Scan(&unsealed); err != nil {
		return fmt.Errorf("find version 1 records: %w", err)
	}
	if !unsealed {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT seal_chain`); err != nil {
		return err
	}
	err := sealChain(ctx, tx, orgID)
	if errors.Is(err, consentplan.ErrChainBroken) {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO seal_chain`); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `RELEASE seal_chain`)
	return err
}

// sealConsentRecords is migration 0005's Go step, run by Migrate after the
// SQL migrations: it seals the chain of every organization that still has
// version 1 records, one write transaction each. A chain that does not
// verify is left as it is (re-hashing would hide its break) and logged by
// organization id; it is tried again at the next start.
func (db *DB) sealConsentRecords(ctx context.Context) error {
	rows, err := db.write.QueryContext(ctx, `SELECT DISTINCT org_id FROM consent_records WHERE subject_commitment = ''`)
	orgs, err := scanAll(rows, err, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	})
	if err != nil {
		return fmt.Errorf("seal consent records: find organizations: %w", err)
	}
	for _, org := range orgs {
		err := db.writeTx(ctx, func(tx *sql.Tx) error {
			return liftLedgerGuard(ctx, tx, func() error { return sealChain(ctx, tx, org) })
		})
		if errors.Is(err, consentplan.ErrChainBroken) {
			slog.WarnContext(ctx, "consent ledger not sealed: it does not verify; run presage consent verify", "org", org, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("seal consent records of %s: %w", org, err)
		}
	}
	return nil
}

// sealChain rewrites orgID's chain in tx, with the guard lifted, as
// consentplan.Rechain says, and moves the head.
func sealChain(ctx context.Context, tx *sql.Tx, orgID string) error {
	var c consentplan.Rechain
	for after := int64(0); ; {
		rows, err := tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM consent_records
			WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`, orgID, after, consentplan.RechainPage)
		recs, err := scanAll(rows, err, scanRecord)
		if err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			out, changed, err := c.Next(r)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE consent_records
				SET subject_salt = ?, subject_commitment = ?, prev_hash = ?, hash = ? WHERE org_id = ? AND seq = ?`,
				nullString(out.SubjectSalt), out.SubjectCommitment, out.PrevHash, out.Hash, orgID, out.Seq); err != nil {
				return fmt.Errorf("rewrite record %d: %w", out.Seq, err)
			}
		}
		after = recs[len(recs)-1].Seq
	}
	var head consent.Head
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM consent_heads WHERE org_id = ?`, orgID).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read head: %w", err)
	}
	head, err = c.Head(head)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE consent_heads SET seq = ?, hash = ? WHERE org_id = ?`, head.Seq, head.Hash, orgID); err != nil {
		return fmt.Errorf("move head: %w", err)
	}
	return nil
}

// nullString is s, or NULL when s is "" (an erased salt).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
