package consent

import (
	"context"
	"fmt"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// VisitorView is what a banner or a preferences page shows a visitor.
type VisitorView struct {
	Purposes []PurposeView // by name
	// NeedsDecision is true when some consent-based purpose has no current
	// decision: the banner should be shown.
	NeedsDecision bool
	// Notice is the newest notice in the visitor's language (nil when the
	// organization has none), with only the texts written for the basis
	// their purpose rests on now.
	Notice *Notice
}

// PurposeView is one purpose with the visitor's current decision on it.
type PurposeView struct {
	Name        string
	Basis       Basis
	Description string
	// State is the visitor's current decision, nil when there is none or it
	// expired.
	State *State
}

// View returns the organization's purposes, the newest notice matching
// language (exact tag, then primary subtag, then the newest of any
// language) and, when visitorID is set, the visitor's current states.
func (s *Service) View(ctx context.Context, visitorID, language string) (VisitorView, error) {
	org, err := presage.AuthorizeSite(ctx)
	if err != nil {
		return VisitorView{}, err
	}
	if visitorID != "" && !presage.ValidClientID(visitorID) {
		return VisitorView{}, presage.Invalid("/visitorId", -1, "visitorId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
	}
	pol, err := s.policy(ctx, org.ID)
	if err != nil {
		return VisitorView{}, err
	}
	ns, err := s.listNotices(ctx, org.ID)
	if err != nil {
		return VisitorView{}, err
	}
	var states []State
	if visitorID != "" {
		if states, err = s.store.States(ctx, org.ID, visitorID); err != nil {
			return VisitorView{}, fmt.Errorf("states: %w", err)
		}
	}
	now := s.now()
	v := VisitorView{Purposes: []PurposeView{}}
	if n := pickNotice(ns, language); n != nil {
		described := describedTexts(*n, pol.purposes)
		v.Notice = &described
	}
	for _, name := range pol.names() {
		p := pol.purposes[name]
		pv := PurposeView{Name: p.Name, Basis: p.Basis, Description: p.Description}
		for _, st := range states {
			if st.Purpose == name && live(st, now) {
				pv.State = &st
			}
		}
		if pv.State == nil && p.Basis == BasisConsent {
			v.NeedsDecision = true
		}
		v.Purposes = append(v.Purposes, pv)
	}
	return v, nil
}

// pickNotice returns the newest of ns (newest first) in language: the exact
// tag, else the same primary language, else the newest of any.
func pickNotice(ns []Notice, language string) *Notice {
	if len(ns) == 0 {
		return nil
	}
	primary := func(tag string) string {
		p, _, _ := strings.Cut(tag, "-")
		return strings.ToLower(p)
	}
	for i := range ns {
		if strings.EqualFold(ns[i].Language, language) {
			return &ns[i]
		}
	}
	if want := primary(language); want != "" {
		for i := range ns {
			if primary(ns[i].Language) == want {
				return &ns[i]
			}
		}
	}
	return &ns[0]
}
