package consent

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// A notice text is written for one lawful basis: "if you agree" is true of
// consent only, "you may object" of legitimate interest. The functions here
// keep every text visitors can be shown true of its purpose's basis.

// planNotices returns the notices SetPurposes must publish with the
// purposes ps: the administrator's own (checked against ps), then, for each
// language whose newest notice describes a purpose whose basis ps changes
// and that the administrator's notices do not cover, that notice with the
// default text of the new basis in place of the default text of the old
// one. A text that is not Presage's default, or a basis without a default
// text, cannot be rewritten: the change is refused, naming the purpose.
func (s *Service) planNotices(ctx context.Context, orgID string, ps []Purpose, given []NoticeInput) ([]NoticeInput, error) {
	current, err := s.store.ListPurposes(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list purposes: %w", err)
	}
	all := overlay(func(p Purpose) string { return p.Name }, current, ps)
	after := make(map[string]Purpose, len(all))
	for _, p := range all {
		after[p.Name] = p
	}
	covered := map[string]bool{} // languages the administrator's notices cover
	for i, in := range given {
		n, err := checkNoticeFor(orgID, in, all, "/notices/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		covered[strings.ToLower(n.Language)] = true
	}
	ns, err := s.store.ListNotices(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	out := append([]NoticeInput(nil), given...)
	for _, n := range newestPerLanguage(ns) {
		if covered[strings.ToLower(n.Language)] {
			continue
		}
		texts := maps.Clone(n.Texts)
		changed := false
		for _, name := range sortedKeys(n.Texts) {
			p, ok := after[name]
			if !ok || n.BasisOf(name) == p.Basis {
				continue
			}
			old, oldOK := defaultText(n.BasisOf(name), name)
			replacement, newOK := defaultText(p.Basis, name)
			if !oldOK || !newOK || n.Texts[name] != old || !strings.EqualFold(n.Language, defaultLanguage) {
				at := "/purposes/" + strconv.Itoa(indexOf(ps, name)) + "/basis"
				return nil, presage.Invalid(at, -1, "notice %d (%s) describes %q for %s: publish its text for %s with this change, in \"notices\" (language %s)",
					n.Version, n.Language, name, n.BasisOf(name), p.Basis, n.Language)
			}
			texts[name] = replacement
			changed = true
		}
		if changed {
			out = append(out, NoticeInput{Language: n.Language, Title: n.Title, Texts: texts})
		}
	}
	return out, nil
}

// newestPerLanguage returns the newest notice of each language in ns
// (newest first): every notice View may still pick.
func newestPerLanguage(ns []Notice) []Notice {
	var out []Notice
	seen := map[string]bool{}
	for _, n := range ns {
		if l := strings.ToLower(n.Language); !seen[l] {
			seen[l] = true
			out = append(out, n)
		}
	}
	return out
}

func indexOf(ps []Purpose, name string) int {
	for i, p := range ps {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// describedTexts returns n with only the texts written for the basis their
// purpose rests on now (purposes by name): a visitor is never shown a text
// that is no longer true, even in the moment between a basis change and the
// notice published with it.
func describedTexts(n Notice, purposes map[string]Purpose) Notice {
	texts := make(map[string]string, len(n.Texts))
	for name, text := range n.Texts {
		if p, ok := purposes[name]; ok && n.BasisOf(name) == p.Basis {
			texts[name] = text
		}
	}
	n.Texts = texts
	return n
}
