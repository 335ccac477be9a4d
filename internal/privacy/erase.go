package privacy

import (
	"context"
	"fmt"
	"time"
)

// erase removes the subject everywhere, in an order that survives a crash
// at any point:
//  1. tombstones on every identifier, so no node's collector stores a late
//     or retried event of the subject again (then a wait, so every node's
//     tombstone cache has them before rows go);
//  2. the subject's data keys are destroyed: from here on no copy of its
//     encrypted values — live or in a backup — can be read;
//  3. every holder deletes (or, for the consent ledger, anonymizes) its rows;
//  4. every request about the subject is scrubbed of its terms;
//  5. a recount proves nothing is left before the request completes.
func (j *job) erase(ctx context.Context, sub Subject) error {
	if err := j.status(ctx, StatusDeleting); err != nil {
		return err
	}
	r := j.request()
	if r.Progress.Step == stepSearched {
		if err := j.s.tombstone(ctx, sub); err != nil {
			return err
		}
		if err := sleep(ctx, j.s.opt.TombstoneWait); err != nil {
			return err
		}
		if err := j.step(ctx, stepTombstoned, 25, nil); err != nil {
			return err
		}
	}
	if j.request().Progress.Step == stepTombstoned {
		n, err := j.s.shred(ctx, sub)
		if err != nil {
			return err
		}
		if err := j.step(ctx, stepShredded, 40, Counts{"dataKeys": n}); err != nil {
			return err
		}
	}
	if j.request().Progress.Step == stepShredded {
		removed := Counts{}
		for _, h := range j.s.opt.Holders {
			c, err := h.Erase(ctx, sub)
			if err != nil {
				return fmt.Errorf("erase %s: %w", h.Name(), err)
			}
			removed.Add(c)
		}
		if err := j.step(ctx, stepErased, 80, removed); err != nil {
			return err
		}
	}
	if j.request().Progress.Step == stepErased {
		if err := j.s.scrubRequests(ctx, sub, r.ID); err != nil {
			return err
		}
		if err := j.step(ctx, stepScrubbed, 90, nil); err != nil {
			return err
		}
	}
	left, err := j.s.count(ctx, sub)
	if err != nil {
		return err
	}
	for kind, n := range left {
		if n > 0 {
			return fmt.Errorf("erasure left %d %s of the subject", n, kind)
		}
	}
	return j.complete(ctx, Result{Counts: j.request().Progress.Counts})
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tombstone writes a tombstone for every visitor id, customer id and
// identifier (blind index) of the subject.
func (s *Service) tombstone(ctx context.Context, sub Subject) error {
	now := s.now()
	var ts []Tombstone
	add := func(kind, value string) error {
		h, err := s.opt.Index.Tombstone(ctx, sub.OrgID, kind, value)
		if err != nil {
			return fmt.Errorf("tombstone hash: %w", err)
		}
		ts = append(ts, Tombstone{OrgID: sub.OrgID, Kind: kind, Hash: h, CreatedAt: now})
		return nil
	}
	for _, v := range sub.VisitorIDs {
		if err := add(TombstoneVisitor, v); err != nil {
			return err
		}
	}
	for _, c := range sub.CustomerIDs {
		if err := add(TombstoneCustomer, c); err != nil {
			return err
		}
	}
	ids, err := s.opt.Store.CustomerIdentifiers(ctx, sub.OrgID, sub.CustomerIDs)
	if err != nil {
		return fmt.Errorf("identifiers of the subject: %w", err)
	}
	for _, id := range ids {
		if err := add(id.Kind, id.Hash); err != nil {
			return err
		}
	}
	if err := s.opt.Store.AddTombstones(ctx, ts); err != nil {
		return fmt.Errorf("add tombstones: %w", err)
	}
	return nil
}

// subjectKeys lists the key subjects of a data subject: each visitor and
// each customer ("customer:" + id).
func subjectKeys(sub Subject) []string {
	out := append([]string{}, sub.VisitorIDs...)
	for _, c := range sub.CustomerIDs {
		out = append(out, "customer:"+c)
	}
	return out
}

// shred destroys the subject's data keys.
func (s *Service) shred(ctx context.Context, sub Subject) (int64, error) {
	ks := subjectKeys(sub)
	if len(ks) == 0 {
		return 0, nil
	}
	return s.opt.Shredder.Shred(ctx, sub.OrgID, ks)
}

// scrubRequests removes the subject's terms and ids from every other
// request about it, and destroys the bundles of its earlier exports.
func (s *Service) scrubRequests(ctx context.Context, sub Subject, except string) error {
	var scrub []Request
	err := s.eachRequest(ctx, sub.OrgID, func(r Request) error {
		if r.ID != except && !r.Scrubbed && overlaps(r.Progress, sub) {
			scrub = append(scrub, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range scrub {
		if r.Type == RequestExport {
			if _, err := s.opt.Shredder.Shred(ctx, sub.OrgID, []string{exportSubject(r.ID)}); err != nil {
				return fmt.Errorf("destroy export of %s: %w", r.ID, err)
			}
		}
		r.Terms, r.Replacements, r.Progress.CustomerIDs, r.Progress.VisitorIDs, r.Scrubbed = nil, nil, nil, nil, true
		r.UpdatedAt = s.now()
		if err := s.opt.Store.SaveRequest(ctx, r, ""); err != nil {
			return fmt.Errorf("scrub request %s: %w", r.ID, err)
		}
	}
	return nil
}
