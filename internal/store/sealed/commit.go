package sealed

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/presage"
)

// PrepareWrite seals w's personal values (collect.Preparer): the committer
// calls it in the submitting request's goroutine, so that encryption runs
// beside the commits instead of inside them. w keeps its plaintext.
func (e *engine) PrepareWrite(ctx context.Context, w collect.Write) (collect.Write, error) {
	out, err := e.seal(ctx, []collect.Write{w})
	if err != nil {
		return collect.Write{}, fmt.Errorf("prepare write: %w", err)
	}
	out[0].Prepared = true
	return out[0], nil
}

// CommitWrites commits writes with their personal values sealed with their
// visitors' data keys: those PrepareWrite sealed as they are, the others
// sealed here. A visitor's key is durable before its values are: made
// ahead in the key ring's pool, or recorded in the same transaction
// (collect.Write.VisitorKeys). writes keeps its plaintext (the committer
// may retry it); like the engines, CommitWrites sets the Seq of its stored
// events.
func (e *engine) CommitWrites(ctx context.Context, writes []collect.Write) ([]collect.CommitResult, error) {
	out := slices.Clone(writes)
	var plain []collect.Write
	var at []int
	for i := range writes {
		if !writes[i].Prepared {
			plain, at = append(plain, writes[i]), append(at, i)
		}
	}
	if len(plain) > 0 {
		sealedWrites, err := e.seal(ctx, plain)
		if err != nil {
			return nil, fmt.Errorf("commit writes: %w", err)
		}
		for j, i := range at {
			out[i] = sealedWrites[j]
		}
	}
	res, err := e.base.CommitWrites(ctx, out)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for _, vk := range out[i].VisitorKeys {
			e.keys.MarkAssigned(out[i].OrgID, vk.VisitorID, vk.KeyID)
		}
	}
	// The engines number the stored events in the events they were given;
	// the caller reads the numbers from its own.
	for _, i := range at {
		for j := range out[i].Events {
			if seq := out[i].Events[j].Seq; seq != 0 {
				writes[i].Events[j].Seq = seq
			}
		}
	}
	return res, nil
}

// seal returns sealed copies of writes, carrying the records of the pooled
// keys they use for the first time.
func (e *engine) seal(ctx context.Context, writes []collect.Write) ([]collect.Write, error) {
	sealers, err := e.writeSealers(ctx, writes)
	if err != nil {
		return nil, err
	}
	out := make([]collect.Write, len(writes))
	for i := range writes {
		if out[i], err = sealWrite(&writes[i], sealers[writes[i].OrgID]); err != nil {
			return nil, fmt.Errorf("write %d: %w", i, err)
		}
	}
	recordPooledKeys(out, sealers, e.now())
	return out, nil
}

// writeSealers returns, by organization, the Sealer of every visitor the
// writes name: one key-ring call per organization in the batch.
func (e *engine) writeSealers(ctx context.Context, writes []collect.Write) (map[string]map[string]*keys.Sealer, error) {
	subjects := map[string][]string{}
	seen := map[[2]string]bool{}
	for i := range writes {
		w := &writes[i]
		eachVisitor(w, func(visitorID string) {
			if k := [2]string{w.OrgID, visitorID}; !seen[k] {
				seen[k] = true
				subjects[w.OrgID] = append(subjects[w.OrgID], visitorID)
			}
		})
	}
	out := make(map[string]map[string]*keys.Sealer, len(subjects))
	for orgID, visitors := range subjects {
		s, err := e.keys.WriteSealers(ctx, orgID, visitors)
		if err != nil {
			return nil, fmt.Errorf("data keys of organization %s: %w", orgID, err)
		}
		out[orgID] = s
	}
	return out, nil
}

// recordPooledKeys adds to the first write of each visitor whose key came
// from the pool, and is not recorded yet, the record of that key
// (collect.Write.VisitorKeys). Once a commit has stored the records the
// keys are assigned (Keyring.MarkAssigned); a commit that fails records
// nothing, and its retry records them again.
func recordPooledKeys(writes []collect.Write, sealers map[string]map[string]*keys.Sealer, now time.Time) {
	recorded := map[*keys.Sealer]bool{}
	for i := range writes {
		w := &writes[i]
		eachVisitor(w, func(visitorID string) {
			sl := sealers[w.OrgID][visitorID]
			if sl == nil || sl.Assigned() || recorded[sl] {
				return
			}
			recorded[sl] = true
			w.VisitorKeys = append(w.VisitorKeys, collect.VisitorKey{VisitorID: visitorID, KeyID: sl.KeyID(), At: now})
		})
	}
}

// eachVisitor calls fn with each visitor id the write holds values of (ids
// may repeat; "" is skipped).
func eachVisitor(w *collect.Write, fn func(visitorID string)) {
	call := func(id string) {
		if id != "" {
			fn(id)
		}
	}
	call(w.Visitor.ID)
	call(w.Session.VisitorID)
	for j := range w.Events {
		call(w.Events[j].VisitorID)
	}
	for j := range w.Identifications {
		call(w.Identifications[j].VisitorID)
	}
}

// sealWrite returns a copy of w whose events, session and identifications
// carry sealed values. A row without a visitor id belongs to the write's
// visitor, as the engines decide (commitplan).
func sealWrite(w *collect.Write, sealers map[string]*keys.Sealer) (collect.Write, error) {
	sealer := func(visitorID string) (*keys.Sealer, error) {
		if visitorID == "" {
			visitorID = w.Visitor.ID
		}
		if s := sealers[visitorID]; s != nil {
			return s, nil
		}
		return nil, fmt.Errorf("no data key for visitor %q", visitorID)
	}
	out := *w
	if w.Session.LandingURL != "" || w.Session.Referrer != "" {
		s, err := sealer(w.Session.VisitorID)
		if err != nil {
			return collect.Write{}, err
		}
		sealSession(&out.Session, s)
	}
	if w.Events != nil {
		out.Events = make([]presage.Event, len(w.Events))
		for i, ev := range w.Events {
			s, err := sealer(ev.VisitorID)
			if err != nil {
				return collect.Write{}, err
			}
			sealEvent(&ev, s)
			out.Events[i] = ev
		}
	}
	if w.Identifications != nil {
		out.Identifications = make([]collect.Identification, len(w.Identifications))
		for i, id := range w.Identifications {
			s, err := sealer(id.VisitorID)
			if err != nil {
				return collect.Write{}, err
			}
			if id.Traits, err = sealTraits(s, id.Traits); err != nil {
				return collect.Write{}, fmt.Errorf("identification %d: %w", i, err)
			}
			out.Identifications[i] = id
		}
	}
	return out, nil
}

// sealEvent seals the event's URL, title, referrer and attributes in place
// (ev is the caller's copy), as one bundle in its attributes column.
func sealEvent(ev *presage.Event, s *keys.Sealer) {
	bundle := packTexts(ev.URL, ev.Title, ev.Referrer, string(ev.Attributes))
	ev.URL, ev.Title, ev.Referrer = "", "", ""
	ev.Attributes = sealJSON(s, bundle)
}

// sealSession seals the session's landing URL and referrer in place (sess
// is the caller's copy), as one bundle in its landing URL column.
func sealSession(sess *presage.Session, s *keys.Sealer) {
	if bundle := packTexts(sess.LandingURL, sess.Referrer); bundle != nil {
		sess.LandingURL = string(s.AppendSeal(make([]byte, 0, s.SealedLen(len(bundle))), bundle))
	}
	sess.Referrer = ""
}
