package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/store/internal/consentplan"
)

// The controlled rewrite path of the consent ledger: everything that lifts
// its append-only guard lives in this file.

// ExecRaw runs query in one transaction that sets
// presage.allow_ledger_rewrite to 'on' for that transaction only (see
// migration 0002), so the consent ledger's append-only trigger lets it update
// or delete records. It exists for the tests that tamper with the chain
// (which verification must detect); nothing else may call it.
func (db *DB) ExecRaw(ctx context.Context, query string, args ...any) error {
	err := db.pool.tx(ctx, func(tx pgx.Tx) error {
		if err := liftLedgerGuard(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("exec raw: %w", err)
	}
	return nil
}

// liftLedgerGuard lets tx update consent records: it sets
// presage.allow_ledger_rewrite for tx only, never for the session.
func liftLedgerGuard(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('presage.allow_ledger_rewrite', 'on', true)`); err != nil {
		return fmt.Errorf("lift ledger guard: %w", err)
	}
	return nil
}

// lockChain locks orgID's chain in tx as Append does (its head row, FOR
// UPDATE) and returns the head; an organization without one has no records.
func lockChain(ctx context.Context, tx pgx.Tx, orgID string) (head consent.Head, ok bool, err error) {
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM consent_heads WHERE org_id = $1 FOR UPDATE`, orgID).Scan(&head.Seq, &head.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.Head{}, false, nil
	}
	if err != nil {
		return consent.Head{}, false, fmt.Errorf("lock head: %w", err)
	}
	return head, true, nil
}

// AnonymizeSubject blanks the subject of the records of visitorIDs and
// customerIDs and deletes the visitors' states, in one transaction holding
// the chain's lock. A chain that still holds version 1 records is sealed
// first (their hashes cover the values being blanked); a chain too broken to
// seal is anonymized all the same: erasure does not wait for a sound ledger.
func (db *DB) AnonymizeSubject(ctx context.Context, orgID string, visitorIDs, customerIDs []string) (records, states int64, err error) {
	vs, cs := consentplan.Subjects(visitorIDs), consentplan.Subjects(customerIDs)
	if len(vs) == 0 && len(cs) == 0 {
		return 0, 0, nil
	}
	err = db.pool.tx(ctx, func(tx pgx.Tx) error {
		records, states = 0, 0
		if err := liftLedgerGuard(ctx, tx); err != nil {
			return err
		}
		if head, ok, err := lockChain(ctx, tx, orgID); err != nil {
			return err
		} else if ok {
			if err := sealIfUnsealed(ctx, tx, orgID, head); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE consent_records
			SET visitor_id = '', customer_id = '', ip_prefix = '', user_agent = '', subject_salt = NULL
			WHERE org_id = $1 AND (visitor_id = ANY($2::text[]) OR customer_id = ANY($3::text[]))`, orgID, vs, cs)
		if err != nil {
			return fmt.Errorf("blank records: %w", err)
		}
		records = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM consent_states WHERE org_id = $1 AND visitor_id = ANY($2::text[])`, orgID, vs)
		if err != nil {
			return fmt.Errorf("delete states: %w", err)
		}
		states = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("anonymize consent subject: %w", err)
	}
	return records, states, nil
}

// sealIfUnsealed seals orgID's locked chain in tx when it holds version 1
// records. A savepoint undoes a seal that stops at a break, keeping the
// chain as it was for verification to report.
func sealIfUnsealed(ctx context.Context, tx pgx.Tx, orgID string, head consent.Head) error {
	var unsealed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consent_records
		WHERE org_id = $1 AND subject_commitment = '')`, orgID).Scan(&unsealed); err != nil {
		return fmt.Errorf("find version 1 records: %w", err)
	}
	if !unsealed {
		return nil
	}
	sp, err := tx.Begin(ctx) // a savepoint
	if err != nil {
		return err
	}
	err = sealChain(ctx, sp, orgID, head)
	if errors.Is(err, consentplan.ErrChainBroken) {
		return sp.Rollback(ctx)
	}
	if err != nil {
		sp.Rollback(ctx)
		return err
	}
	return sp.Commit(ctx)
}

// migrateConn is the connection Migrate holds its advisory lock on.
type migrateConn interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// sealConsentRecords is migration 0005's Go step, run by Migrate after the
// SQL migrations on its connection, so under the migration lock: nodes
// starting together seal each chain once. It seals the chain of every
// organization that still has version 1 records, one transaction each that
// holds the chain's lock (appends wait for it). A chain that does not verify
// is left as it is (re-hashing would hide its break) and logged by
// organization id; it is tried again at the next start.
func sealConsentRecords(ctx context.Context, conn migrateConn) error {
	rows, err := conn.Query(ctx, `SELECT DISTINCT org_id FROM consent_records WHERE subject_commitment = ''`)
	orgs, err := scanAll(rows, err, func(row pgx.Row) (string, error) {
		var id string
		err := row.Scan(&id)
		return id, err
	})
	if err != nil {
		return fmt.Errorf("seal consent records: find organizations: %w", err)
	}
	for _, org := range orgs {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if err := liftLedgerGuard(ctx, tx); err != nil {
				return err
			}
			head, _, err := lockChain(ctx, tx, org)
			if err != nil {
				return err
			}
			return sealChain(ctx, tx, org, head)
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

// sealChain rewrites orgID's chain in tx, which holds the chain's lock (head
// is what it read) and lifted the guard, as consentplan.Rechain says, and
// moves the head.
func sealChain(ctx context.Context, tx pgx.Tx, orgID string, head consent.Head) error {
	var c consentplan.Rechain
	for after := int64(0); ; {
		rows, err := tx.Query(ctx, `SELECT `+recordColumns+` FROM consent_records
			WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, orgID, after, consentplan.RechainPage)
		recs, err := scanAll(rows, err, scanRecord)
		if err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		b := &pgx.Batch{}
		for _, r := range recs {
			out, changed, err := c.Next(r)
			if err != nil {
				return err
			}
			if changed {
				b.Queue(`UPDATE consent_records SET subject_salt = $3, subject_commitment = $4, prev_hash = $5, hash = $6
					WHERE org_id = $1 AND seq = $2`, orgID, out.Seq, nullString(out.SubjectSalt), out.SubjectCommitment, out.PrevHash, out.Hash)
			}
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("rewrite records: %w", err)
			}
		}
		after = recs[len(recs)-1].Seq
	}
	head, err := c.Head(head)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE consent_heads SET seq = $2, hash = $3 WHERE org_id = $1`, orgID, head.Seq, head.Hash); err != nil {
		return fmt.Errorf("move head: %w", err)
	}
	return nil
}

// nullString is s, or NULL when s is "" (an erased salt).
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
