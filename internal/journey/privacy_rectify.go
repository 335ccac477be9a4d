package journey

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/presage-dev/presage/internal/identity"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// Rectify implements privacy.Holder: the customers' traits holding the
// existing value, their blind-index entries, and every occurrence of the
// value in the texts of their events and sessions. Counts are the trait
// values ("traits"), events and sessions changed.
func (h *privacyHolder) Rectify(ctx context.Context, s privacy.Subject, r privacy.Replacement) (privacy.Counts, error) {
	out := privacy.Counts{"traits": 0, "events": 0, "sessions": 0}
	kind := string(r.Type)
	if !slices.Contains(identity.Kinds, kind) || strings.TrimSpace(r.Existing) == "" || r.Existing == r.Updated {
		return out, nil // a type the journey holds no value of, or nothing to change
	}
	oldHashes, err := h.idx.Index(ctx, s.OrgID, r.Type, r.Existing)
	if err != nil {
		return nil, fmt.Errorf("rectify: index existing value: %w", err)
	}
	newHashes, err := h.idx.Index(ctx, s.OrgID, r.Type, r.Updated)
	if err != nil {
		return nil, fmt.Errorf("rectify: index updated value: %w", err)
	}
	for _, id := range s.CustomerIDs {
		// Each candidate form moves to the new value's form of the same
		// rank, so both the E.164 and the older phone form follow; the
		// forms of the trait values found to hold the value move too.
		moves := newIndexMoves(newHashes)
		moves.add(oldHashes)
		n, err := h.rectifyCustomer(ctx, s.OrgID, id, r, oldHashes, moves)
		if err != nil {
			return nil, err
		}
		out["traits"] += n
		for i, old := range moves.old {
			if err := h.store.ReplaceIndex(ctx, s.OrgID, id, kind, old, moves.new[i]); err != nil {
				return nil, fmt.Errorf("rectify: %w", err)
			}
		}
	}
	rep := newReplacer(r.Existing, r.Updated, r.Type == privacy.SearchEmail)
	for _, v := range s.VisitorIDs {
		n, err := h.rectifyEvents(ctx, s.OrgID, v, rep)
		if err != nil {
			return nil, err
		}
		out["events"] += n
		if n, err = h.rectifySessions(ctx, s.OrgID, v, rep); err != nil {
			return nil, err
		}
		out["sessions"] += n
	}
	return out, nil
}

// rectifyCustomer rewrites the customer's traits that hold the existing
// value (compared by blind index, so normalization decides: "ADA@x.org"
// holds "ada@x.org") and returns how many it changed.
func (h *privacyHolder) rectifyCustomer(ctx context.Context, orgID, id string, r privacy.Replacement, old []string,
	moves *indexMoves) (int64, error) {
	c, err := h.store.GetCustomer(ctx, orgID, id)
	if presage.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("rectify: %w", err)
	}
	var traits map[string]json.RawMessage
	if len(c.Traits) == 0 || json.Unmarshal(c.Traits, &traits) != nil {
		return 0, nil
	}
	holds := func(v string) (bool, error) {
		if strings.TrimSpace(v) == "" {
			return false, nil
		}
		hs, err := h.idx.Index(ctx, orgID, r.Type, v)
		if err != nil {
			return false, fmt.Errorf("rectify: index trait: %w", err)
		}
		if !slices.ContainsFunc(hs, func(x string) bool { return slices.Contains(old, x) }) {
			return false, nil
		}
		moves.add(hs)
		return true, nil
	}
	changed, err := rewriteTraits(traits, r, holds)
	if err != nil || changed == 0 {
		return 0, err
	}
	b, err := json.Marshal(traits)
	if err != nil {
		return 0, fmt.Errorf("rectify: encode traits: %w", err)
	}
	if err := h.store.PutTraits(ctx, orgID, id, b, h.now()); err != nil {
		return 0, fmt.Errorf("rectify: %w", err)
	}
	return changed, nil
}

// indexMoves lists the blind-index entries a rectification moves, each old
// hash once, with the hash it becomes ("" when the updated value
// normalizes to nothing: the entry is removed).
type indexMoves struct {
	to       []string // the updated value's hashes, by candidate rank
	old, new []string
}

func newIndexMoves(to []string) *indexMoves { return &indexMoves{to: to} }

// add adds the candidate hashes of one written form of the existing value.
func (m *indexMoves) add(hashes []string) {
	for i, h := range hashes {
		if slices.Contains(m.old, h) {
			continue
		}
		nw := ""
		if len(m.to) > 0 {
			nw = m.to[min(i, len(m.to)-1)]
		}
		m.old, m.new = append(m.old, h), append(m.new, nw)
	}
}

// namePairs are the traits a name may be split into.
var namePairs = [][2]string{{"firstName", "lastName"}, {"givenName", "familyName"}}

// rewriteTraits replaces, in traits, the values of r.Type that holds
// reports as the existing value, and counts them. A name split into first
// and last name that matches only as a whole is split again at the last
// space of the updated name; an address object that matches as a whole
// becomes the updated address as one string.
func rewriteTraits(traits map[string]json.RawMessage, r privacy.Replacement, holds func(string) (bool, error)) (int64, error) {
	updated, _ := json.Marshal(r.Updated) // a string always marshals
	var n int64
	set := func(key string) (bool, error) {
		raw, ok := traits[key]
		if !ok {
			return false, nil
		}
		match, err := holds(identity.TraitText(raw))
		if match {
			traits[key] = updated
			n++
		}
		return match, err
	}
	kind := string(r.Type)
	switch r.Type {
	case privacy.SearchName:
		if _, err := set("name"); err != nil {
			return 0, err
		}
		for _, pair := range namePairs {
			first, err := set(pair[0])
			if err != nil {
				return 0, err
			}
			last, err := set(pair[1])
			if err != nil {
				return 0, err
			}
			if first || last {
				continue // the parts held the value on their own
			}
			whole := strings.TrimSpace(identity.TraitText(traits[pair[0]]) + " " + identity.TraitText(traits[pair[1]]))
			if match, err := holds(whole); err != nil {
				return 0, err
			} else if !match {
				continue
			}
			f, l := r.Updated, ""
			if i := strings.LastIndexByte(strings.TrimSpace(r.Updated), ' '); i > 0 {
				f, l = strings.TrimSpace(r.Updated[:i]), strings.TrimSpace(r.Updated[i+1:])
			}
			traits[pair[0]], _ = json.Marshal(f)
			traits[pair[1]], _ = json.Marshal(l)
			n++
		}
	case privacy.SearchAddress:
		raw, ok := traits["address"]
		if !ok {
			return 0, nil
		}
		whole := identity.FromTraits(objectOf("address", raw), kind)
		if match, err := holds(whole); err != nil {
			return 0, err
		} else if match {
			traits["address"] = updated
			n++
		}
	default:
		for _, key := range identity.TraitKeys[kind] {
			if _, err := set(key); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// objectOf returns {key: raw}.
func objectOf(key string, raw json.RawMessage) json.RawMessage {
	b, _ := json.Marshal(map[string]json.RawMessage{key: raw}) // raw came from a valid object
	return b
}

// rectifyEvents rewrites the texts of the visitor's events that hold the
// value, a page at a time, and counts the events changed.
func (h *privacyHolder) rectifyEvents(ctx context.Context, orgID, visitorID string, rep replacer) (int64, error) {
	var n int64
	err := h.eachEvents(ctx, orgID, visitorID, func(es []presage.Event) error {
		var changed []presage.Event
		for _, e := range es {
			u, t, f := rep.apply(e.URL), rep.apply(e.Title), rep.apply(e.Referrer)
			attrs, err := rep.applyJSON(e.Attributes)
			if err != nil {
				return fmt.Errorf("rectify event %s attributes: %w", e.ID, err)
			}
			if u == e.URL && t == e.Title && f == e.Referrer && bytes.Equal(attrs, e.Attributes) {
				continue
			}
			e.URL, e.Title, e.Referrer, e.Attributes = u, t, f, attrs
			changed = append(changed, e)
		}
		if len(changed) == 0 {
			return nil
		}
		if err := h.store.UpdateEventTexts(ctx, orgID, changed); err != nil {
			return fmt.Errorf("rectify: %w", err)
		}
		n += int64(len(changed))
		return nil
	})
	return n, err
}

// rectifySessions rewrites the landing URL and referrer of the visitor's
// sessions that hold the value and counts the sessions changed.
func (h *privacyHolder) rectifySessions(ctx context.Context, orgID, visitorID string, rep replacer) (int64, error) {
	var n int64
	err := h.eachSession(ctx, orgID, visitorID, func(ss []presage.Session) error {
		var changed []presage.Session
		for _, s := range ss {
			l, r := rep.apply(s.LandingURL), rep.apply(s.Referrer)
			if l == s.LandingURL && r == s.Referrer {
				continue
			}
			s.LandingURL, s.Referrer = l, r
			changed = append(changed, s)
		}
		if len(changed) == 0 {
			return nil
		}
		if err := h.store.UpdateSessionTexts(ctx, orgID, changed); err != nil {
			return fmt.Errorf("rectify: %w", err)
		}
		n += int64(len(changed))
		return nil
	})
	return n, err
}

// replacer replaces a value in free text: as written, and URL-encoded the
// two ways a URL carries it (query: "ada%40x.org", "Ada+L"; path: "Ada%20L").
type replacer struct {
	pairs [][2]string
	fold  bool // case-insensitive (emails)
}

func newReplacer(existing, updated string, fold bool) replacer {
	r := replacer{fold: fold}
	for _, enc := range []func(string) string{func(s string) string { return s }, url.QueryEscape, url.PathEscape} {
		old := enc(existing)
		if !slices.ContainsFunc(r.pairs, func(p [2]string) bool { return p[0] == old }) {
			r.pairs = append(r.pairs, [2]string{old, enc(updated)})
		}
	}
	return r
}

// apply returns s with every form of the value replaced.
func (r replacer) apply(s string) string {
	for _, p := range r.pairs {
		if r.fold {
			s = replaceFold(s, p[0], p[1])
		} else {
			s = strings.ReplaceAll(s, p[0], p[1])
		}
	}
	return s
}

// applyJSON replaces the value in every string of a JSON document (typed
// values' strings included); raw comes back as is when nothing changed.
func (r replacer) applyJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	v, changed := r.walk(v)
	if !changed {
		return raw, nil
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false) // stored attributes are not HTML-escaped
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func (r replacer) walk(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		y := r.apply(x)
		return y, y != x
	case map[string]any:
		changed := false
		for k, e := range x {
			var c bool
			if x[k], c = r.walk(e); c {
				changed = true
			}
		}
		return x, changed
	case []any:
		changed := false
		for i, e := range x {
			var c bool
			if x[i], c = r.walk(e); c {
				changed = true
			}
		}
		return x, changed
	default:
		return v, false
	}
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, new string) string {
	if old == "" || len(s) < len(old) {
		return s
	}
	var b strings.Builder
	i, last := 0, 0
	for i+len(old) <= len(s) {
		if strings.EqualFold(s[i:i+len(old)], old) {
			b.WriteString(s[last:i])
			b.WriteString(new)
			i += len(old)
			last = i
			continue
		}
		i++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
