package consentplan

import (
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/consent"
)

// ErrChainBroken reports a chain that does not verify as it is stored, so it
// is not re-hashed: re-hashing would launder the break into a sound chain.
var ErrChainBroken = errors.New("consent chain does not verify")

// RechainPage is how many records a rechain reads at a time.
const RechainPage = 1000

// Rechain converts an organization's chain to version 2 records (migration
// 0005), fed record by record from seq 1: every version 1 record gets a salt
// and a subject commitment, and every record from the first converted one
// on is linked to its predecessor's new hash and hashed again. It checks the
// chain as stored on the way (seq, links, hashes, commitments, head) and
// stops at the first break with ErrChainBroken.
type Rechain struct {
	seq     int64
	oldPrev string // stored hash of the previous record
	newPrev string // hash the previous record has after the rechain
	// Changed counts the records Next changed.
	Changed int64
}

// Next checks r, the record after the last one given, and returns it as it
// must be stored; changed is false when it stays as it is.
func (c *Rechain) Next(r consent.Record) (out consent.Record, changed bool, err error) {
	switch {
	case r.Seq != c.seq+1:
		return r, false, fmt.Errorf("%w: seq %d follows seq %d", ErrChainBroken, r.Seq, c.seq)
	case r.PrevHash != c.oldPrev:
		return r, false, fmt.Errorf("%w: seq %d does not link to its predecessor", ErrChainBroken, r.Seq)
	case consent.HashRecord(r) != r.Hash:
		return r, false, fmt.Errorf("%w: seq %d does not match its hash", ErrChainBroken, r.Seq)
	case r.SubjectSalt != "" && consent.SubjectCommitment(r) != r.SubjectCommitment:
		return r, false, fmt.Errorf("%w: seq %d does not match its subject commitment", ErrChainBroken, r.Seq)
	}
	c.seq, c.oldPrev = r.Seq, r.Hash
	out = r
	if consent.RecordVersion(out) == consent.RecordV1 {
		out = consent.Seal(out)
	}
	out.PrevHash = c.newPrev
	out.Hash = consent.HashRecord(out)
	c.newPrev = out.Hash
	changed = out.Hash != r.Hash
	if changed {
		c.Changed++
	}
	return out, changed, nil
}

// Head checks the stored head against the chain fed to Next and returns the
// head after the rechain.
func (c *Rechain) Head(stored consent.Head) (consent.Head, error) {
	if stored.Seq != c.seq || stored.Hash != c.oldPrev {
		return stored, fmt.Errorf("%w: the head (seq %d) is not the last record (seq %d)", ErrChainBroken, stored.Seq, c.seq)
	}
	return consent.Head{Seq: c.seq, Hash: c.newPrev}, nil
}

// Subjects returns ids without "" and duplicates: an anonymized record has
// an empty visitor and customer, and must never match again.
func Subjects(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
