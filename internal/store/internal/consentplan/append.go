// Package consentplan holds the engine-neutral part of the consent store,
// shared by the SQLite and PostgreSQL stores: checking and completing what
// the domain's build callback returned, and what the domain asks to insert.
package consentplan

import (
	"fmt"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
)

// CheckAppend completes and checks what build returned: the record must
// extend head, belong to orgID and visitorID and be sealed (a version 2
// record, see consent.Seal), and the states must belong to them too (the
// last state of a purpose wins).
func CheckAppend(orgID, visitorID string, head consent.Head, r consent.Record, states []consent.State) (consent.Record, []consent.State, error) {
	if r.OrgID == "" {
		r.OrgID = orgID
	}
	if r.VisitorID == "" {
		r.VisitorID = visitorID
	}
	switch {
	case r.OrgID != orgID || r.VisitorID != visitorID:
		return r, nil, fmt.Errorf("build returned a record of another subject")
	case r.Seq != head.Seq+1 || r.PrevHash != head.Hash:
		return r, nil, fmt.Errorf("build returned seq %d after %s, want %d after %s", r.Seq, r.PrevHash, head.Seq+1, head.Hash)
	case r.ID == "" || r.Hash == "":
		return r, nil, fmt.Errorf("build returned a record without id or hash")
	case r.SubjectCommitment == "" || r.SubjectSalt == "":
		// A version 1 record would put the subject's values into the chain's
		// hashes, where no erasure could reach them.
		return r, nil, fmt.Errorf("build returned a record without subject salt or commitment")
	}
	// The ledger keeps milliseconds: the hash covers the time as stored.
	r.RecordedAt = presage.StoredTime(r.RecordedAt)
	out := make([]consent.State, 0, len(states))
	at := map[string]int{}
	for _, s := range states {
		if s.OrgID == "" {
			s.OrgID = orgID
		}
		if s.VisitorID == "" {
			s.VisitorID = visitorID
		}
		if s.OrgID != orgID || s.VisitorID != visitorID || s.Purpose == "" {
			return r, nil, fmt.Errorf("build returned a state of another subject or without purpose")
		}
		if s.RecordSeq == 0 {
			s.RecordSeq = r.Seq
		}
		if i, ok := at[s.Purpose]; ok {
			out[i] = s
			continue
		}
		at[s.Purpose] = len(out)
		out = append(out, s)
	}
	return r, out, nil
}
