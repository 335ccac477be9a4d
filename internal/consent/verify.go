package consent

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/presage"
)

// VerifyReport is the outcome of walking an organization's chain.
type VerifyReport struct {
	OK      bool
	Records int64 // records walked
	Head    Head  // the head as the store reports it at the end
	Problem *ChainProblem
}

// ChainProblem is the first break found in a chain.
type ChainProblem struct {
	Seq      int64
	RecordID string // "" when the record is missing
	Kind     string // ProblemAltered, ProblemInserted, ProblemDeleted or ProblemReordered
	Detail   string
}

// Kinds of chain problems.
const (
	ProblemAltered   = "altered"
	ProblemInserted  = "inserted"
	ProblemDeleted   = "deleted"
	ProblemReordered = "reordered"
)

const verifyPage = 1000

// Verify walks the caller's chain (scope admin); see verifyChain.
func (s *Service) Verify(ctx context.Context) (VerifyReport, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return VerifyReport{}, err
	}
	return s.verifyChain(ctx, orgID)
}

// verifyChain walks orgID's chain in pages of 1000 and reports the first
// break: a gap in Seq (deleted), a duplicate Seq (inserted), a record that
// links to a hash other than its predecessor's (inserted when it links to
// the record before, reordered when to the record after, altered when it is
// itself intact, else deleted), a record whose content does not match its
// Hash (altered), and a last record that disagrees with the store's head
// (deleted or inserted at the tail, or altered), and a record whose
// identifying values no longer match its subject commitment while it holds
// its salt (altered; an anonymized record, salt erased, is trusted on its
// commitment). Records appended during the
// walk are walked too. A chain rewritten wholesale, head included, cannot be
// told from an intact one: receipts carry ledger seq and hash, so copies held
// outside the database anchor it.
func (s *Service) verifyChain(ctx context.Context, orgID string) (VerifyReport, error) {
	w := walker{store: s.store, orgID: orgID}
	var rep VerifyReport
	var prev, prevprev *Record
	problem := func(p ChainProblem) (VerifyReport, error) {
		rep.Problem = &p
		rep.Head, _ = s.store.Head(ctx, orgID)
		return rep, nil
	}
	for {
		r, err := w.next(ctx)
		if err != nil {
			return VerifyReport{}, err
		}
		if r == nil {
			head, err := s.store.Head(ctx, orgID)
			if err != nil {
				return VerifyReport{}, fmt.Errorf("head: %w", err)
			}
			var last Record
			if prev != nil {
				last = *prev
			}
			if head.Seq > last.Seq {
				// Either records were appended since our last page, or the
				// newest ones were deleted: look again.
				if more, err := w.more(ctx); err != nil {
					return VerifyReport{}, err
				} else if more {
					continue
				}
				return problem(ChainProblem{Seq: last.Seq + 1, Kind: ProblemDeleted,
					Detail: fmt.Sprintf("the head is at seq %d but the last record is seq %d: the newest records were deleted", head.Seq, last.Seq)})
			}
			if head.Seq < last.Seq {
				first := w.firstAfter(head.Seq)
				return problem(ChainProblem{Seq: first.Seq, RecordID: first.ID, Kind: ProblemInserted,
					Detail: fmt.Sprintf("the head is at seq %d but records go on to seq %d: records were added at the tail without the ledger", head.Seq, last.Seq)})
			}
			if head.Hash != last.Hash {
				return problem(ChainProblem{Seq: last.Seq, RecordID: last.ID, Kind: ProblemAltered,
					Detail: "the last record's hash differs from the head's: the record was replaced"})
			}
			rep.OK, rep.Head = true, head
			return rep, nil
		}
		rep.Records++
		var prevSeq int64
		var prevHash, prevprevHash string
		if prev != nil {
			prevSeq, prevHash = prev.Seq, prev.Hash
		}
		if prevprev != nil {
			prevprevHash = prevprev.Hash
		}
		switch {
		case r.Seq > prevSeq+1:
			return problem(ChainProblem{Seq: prevSeq + 1, Kind: ProblemDeleted,
				Detail: fmt.Sprintf("records %d to %d are missing", prevSeq+1, r.Seq-1)})
		case prev == nil && r.Seq < 1:
			return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemInserted,
				Detail: fmt.Sprintf("a record has seq %d; a chain starts at 1", r.Seq)})
		case prev != nil && r.Seq == prevSeq:
			return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemInserted,
				Detail: fmt.Sprintf("two records have seq %d", r.Seq)})
		case r.Seq < prevSeq:
			return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemReordered,
				Detail: fmt.Sprintf("seq %d follows seq %d", r.Seq, prevSeq)})
		}
		if r.PrevHash != prevHash {
			next, err := w.peek(ctx)
			if err != nil {
				return VerifyReport{}, err
			}
			switch {
			case next != nil && next.Hash == r.PrevHash:
				return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemReordered,
					Detail: fmt.Sprintf("seq %d links to the record that follows it", r.Seq)})
			case prev != nil && r.PrevHash == prevprevHash:
				return problem(ChainProblem{Seq: prev.Seq, RecordID: prev.ID, Kind: ProblemInserted,
					Detail: fmt.Sprintf("seq %d links past seq %d, which is not part of the chain", r.Seq, prev.Seq)})
			case prev != nil && HashRecord(*r) == r.Hash:
				return problem(ChainProblem{Seq: prev.Seq, RecordID: prev.ID, Kind: ProblemAltered,
					Detail: fmt.Sprintf("seq %d was rewritten with a new hash: seq %d links to its original", prev.Seq, r.Seq)})
			default:
				return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemDeleted,
					Detail: fmt.Sprintf("seq %d links to a record that is no longer in the chain", r.Seq)})
			}
		}
		if HashRecord(*r) != r.Hash {
			// A record beyond the head never went through Append: it was
			// added behind the ledger's back, not changed.
			if head, err := s.store.Head(ctx, orgID); err == nil && r.Seq > head.Seq {
				return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemInserted,
					Detail: fmt.Sprintf("seq %d lies beyond the head (seq %d) and does not match its hash", r.Seq, head.Seq)})
			}
			return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemAltered,
				Detail: fmt.Sprintf("the content of seq %d does not match its hash", r.Seq)})
		}
		// The hash covers the commitment, not the identifying columns: a
		// record that keeps its salt must still commit to them.
		if why := subjectProblem(*r); why != "" {
			return problem(ChainProblem{Seq: r.Seq, RecordID: r.ID, Kind: ProblemAltered,
				Detail: fmt.Sprintf("seq %d was altered: %s", r.Seq, why)})
		}
		prevprev, prev = prev, r
	}
}

// walker reads a chain page by page and can look one record ahead.
type walker struct {
	store Store
	orgID string
	page  []Record
	i     int
	after int64 // Seq of the last record fetched
	done  bool
	seen  []Record // the records returned since the last firstAfter need (tail only)
}

func (w *walker) fill(ctx context.Context) error {
	if w.i < len(w.page) || w.done {
		return nil
	}
	recs, err := w.store.Records(ctx, w.orgID, w.after, verifyPage)
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	w.page, w.i = recs, 0
	if len(recs) == 0 {
		w.done = true
		return nil
	}
	if last := recs[len(recs)-1].Seq; last > w.after {
		w.after = last
	} else {
		// A store that returns seq ≤ after would loop forever: stop here, the
		// checks above already report the disorder.
		w.done = true
	}
	return nil
}

func (w *walker) next(ctx context.Context) (*Record, error) {
	if err := w.fill(ctx); err != nil {
		return nil, err
	}
	if w.i >= len(w.page) {
		return nil, nil
	}
	r := w.page[w.i]
	w.i++
	w.seen = append(w.seen, r)
	if len(w.seen) > 2*verifyPage {
		w.seen = w.seen[verifyPage:]
	}
	return &r, nil
}

func (w *walker) peek(ctx context.Context) (*Record, error) {
	if err := w.fill(ctx); err != nil {
		return nil, err
	}
	if w.i >= len(w.page) {
		return nil, nil
	}
	r := w.page[w.i]
	return &r, nil
}

// more looks for records appended after the walk reached the end.
func (w *walker) more(ctx context.Context) (bool, error) {
	w.done = false
	if err := w.fill(ctx); err != nil {
		return false, err
	}
	return w.i < len(w.page), nil
}

// firstAfter returns the first walked record with Seq > seq.
func (w *walker) firstAfter(seq int64) Record {
	for _, r := range w.seen {
		if r.Seq > seq {
			return r
		}
	}
	return Record{Seq: seq + 1}
}
