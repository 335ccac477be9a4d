package consent

import (
	"context"
	"fmt"
	"time"
)

// TrackingAllowed reports whether the collector may store events of
// visitorID: whether the analytics purpose allows processing (see allowed).
func (s *Service) TrackingAllowed(ctx context.Context, orgID, visitorID string) (bool, error) {
	m, err := s.allowedMany(ctx, orgID, PurposeAnalytics, []string{visitorID})
	return m[visitorID], err
}

// TrackingAllowedMany is TrackingAllowed for many visitors in one query,
// for callers that check a set of visitors at once. (The collector's batch
// carries one visitor and calls TrackingAllowed.)
func (s *Service) TrackingAllowedMany(ctx context.Context, orgID string, visitorIDs []string) (map[string]bool, error) {
	return s.allowedMany(ctx, orgID, PurposeAnalytics, visitorIDs)
}

// EngagementAllowed reports whether an engagement (support, sales,
// marketing) may be offered to visitorID, by the same rules.
func (s *Service) EngagementAllowed(ctx context.Context, orgID, visitorID, purpose string) (bool, error) {
	m, err := s.allowedMany(ctx, orgID, purpose, []string{visitorID})
	return m[visitorID], err
}

// allowedMany applies the gate of one purpose to each visitor. A purpose
// based on consent needs a current Granted state. A purpose on another basis
// is allowed unless the visitor objected (Objected, e.g. by GPC), withdrew,
// or refused it in a decision that still stands (Denied: a refusal given
// while the purpose was consent-based survives a change of basis). An
// undeclared purpose is treated as consent-based, which no visitor can have
// granted: the gate fails closed.
func (s *Service) allowedMany(ctx context.Context, orgID, purpose string, visitorIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(visitorIDs))
	if len(visitorIDs) == 0 {
		return out, nil
	}
	pol, err := s.policy(ctx, orgID)
	if err != nil {
		return out, err
	}
	p, declared := pol.purposes[purpose]
	if !declared {
		for _, id := range visitorIDs {
			out[id] = false
		}
		return out, nil
	}
	states, err := s.store.StatesOf(ctx, orgID, purpose, visitorIDs)
	if err != nil {
		return out, fmt.Errorf("states of %s: %w", purpose, err)
	}
	now := s.now()
	for _, id := range visitorIDs {
		st, ok := states[id]
		out[id] = allowed(p.Basis, st, ok, now)
	}
	return out, nil
}

func allowed(basis Basis, st State, ok bool, now time.Time) bool {
	if basis == BasisConsent {
		return ok && st.Decision == Granted && live(st, now)
	}
	if !ok {
		return true
	}
	switch st.Decision {
	case Withdrawn, Objected:
		return false
	case Denied:
		return !live(st, now)
	}
	return true
}
