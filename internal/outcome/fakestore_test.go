package outcome

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/presage-dev/presage/internal/presage"
)

// fakeStore is an in-memory Store with the contract's semantics: names
// unique per organization, the limit checked with the insert, rows of
// another organization not found, achievements newest first.
type fakeStore struct {
	mu           sync.Mutex
	outcomes     []presage.Outcome
	achievements []presage.Achievement
	err          error // returned by every call when set
}

var _ Store = (*fakeStore)(nil)

func conflict(msg string) error { return presage.Errorf(presage.CodeConflict, "%s", msg) }

func (f *fakeStore) CreateOutcome(_ context.Context, o presage.Outcome, max int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	n := 0
	for _, x := range f.outcomes {
		if x.OrgID != o.OrgID {
			continue
		}
		n++
		if x.Name == o.Name || x.ID == o.ID {
			return conflict("name taken")
		}
	}
	if n >= max {
		return conflict("too many outcomes")
	}
	f.outcomes = append(f.outcomes, o)
	return nil
}

func (f *fakeStore) UpdateOutcome(_ context.Context, o presage.Outcome) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	at := -1
	for i, x := range f.outcomes {
		if x.OrgID != o.OrgID {
			continue
		}
		if x.ID == o.ID {
			at = i
		} else if x.Name == o.Name {
			return conflict("name taken")
		}
	}
	if at < 0 {
		return presage.ErrNotFound
	}
	o.CreatedAt = f.outcomes[at].CreatedAt
	f.outcomes[at] = o
	return nil
}

func (f *fakeStore) GetOutcome(_ context.Context, orgID, id string) (presage.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return presage.Outcome{}, f.err
	}
	for _, x := range f.outcomes {
		if x.OrgID == orgID && x.ID == id {
			return x, nil
		}
	}
	return presage.Outcome{}, presage.ErrNotFound
}

func (f *fakeStore) ListOutcomes(_ context.Context, orgID string) ([]presage.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []presage.Outcome
	for _, x := range f.outcomes {
		if x.OrgID == orgID {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b presage.Outcome) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (f *fakeStore) DeleteOutcome(_ context.Context, orgID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	n := len(f.outcomes)
	f.outcomes = slices.DeleteFunc(f.outcomes, func(x presage.Outcome) bool { return x.OrgID == orgID && x.ID == id })
	if len(f.outcomes) == n {
		return presage.ErrNotFound
	}
	f.achievements = slices.DeleteFunc(f.achievements, func(a presage.Achievement) bool { return a.OrgID == orgID && a.OutcomeID == id })
	return nil
}

// achievementOrder is newest first, then session and outcome id descending.
func achievementOrder(a, b presage.Achievement) int {
	return cmp.Or(b.AchievedAt.Compare(a.AchievedAt), strings.Compare(b.SessionID, a.SessionID), strings.Compare(b.OutcomeID, a.OutcomeID))
}

func (f *fakeStore) ListAchievements(_ context.Context, orgID string, flt AchievementFilter, page presage.Page) ([]presage.Achievement, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, false, f.err
	}
	var all []presage.Achievement
	for _, a := range f.achievements {
		if a.OrgID != orgID ||
			flt.OutcomeID != "" && a.OutcomeID != flt.OutcomeID ||
			flt.SessionID != "" && a.SessionID != flt.SessionID ||
			flt.VisitorID != "" && a.VisitorID != flt.VisitorID ||
			flt.CustomerID != "" && a.CustomerID != flt.CustomerID {
			continue
		}
		if c := page.After; c != nil {
			session, outcome, _ := strings.Cut(c.ID, "/")
			if achievementOrder(a, presage.Achievement{AchievedAt: c.T, SessionID: session, OutcomeID: outcome}) <= 0 {
				continue
			}
		}
		all = append(all, a)
	}
	slices.SortFunc(all, achievementOrder)
	if len(all) > page.Limit {
		return all[:page.Limit], true, nil
	}
	return all, false, nil
}
