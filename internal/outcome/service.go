package outcome

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Service manages outcome definitions and reads achievements for the
// authorized caller in ctx: scope read to read, admin to create, update and
// delete. It never records achievements: scoring does, through the
// collector's writes.
type Service struct {
	store    Store
	now      func() time.Time
	newID    func(prefix string) string
	onChange func(orgID string)
}

// Options tunes a Service; zero values are sensible.
type Options struct {
	Now   func() time.Time
	NewID func(prefix string) string
	// OnChange, when set, is called after an organization's outcomes were
	// created, updated or deleted on this node, so caches of its
	// definitions (compiled matchers) can be dropped at once.
	OnChange func(orgID string)
}

// NewService returns a Service over store.
func NewService(store Store, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = presage.NewID
	}
	return &Service{store: store, now: opt.Now, newID: opt.NewID, onChange: opt.OnChange}
}

func (s *Service) changed(orgID string) {
	if s.onChange != nil {
		s.onChange(orgID)
	}
}

// nowMs is the service clock in UTC at the stores' millisecond precision.
func (s *Service) nowMs() time.Time { return presage.StoredTime(s.now()) }

// Create defines a new outcome (scope admin). The name must be unique in the
// organization, which holds at most presage.MaxOutcomesPerOrg outcomes; both
// refusals are CodeConflict.
func (s *Service) Create(ctx context.Context, d Definition) (presage.Outcome, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return presage.Outcome{}, err
	}
	d, err = Validate(d)
	if err != nil {
		return presage.Outcome{}, err
	}
	existing, err := s.store.ListOutcomes(ctx, orgID)
	if err != nil {
		return presage.Outcome{}, fmt.Errorf("list outcomes: %w", err)
	}
	// The store enforces both rules atomically; checking here first gives
	// the caller the precise reason in the common, uncontended case.
	if len(existing) >= presage.MaxOutcomesPerOrg {
		return presage.Outcome{}, limitReached()
	}
	if err := nameFree(existing, d.Name, ""); err != nil {
		return presage.Outcome{}, err
	}
	now := s.nowMs()
	o := presage.Outcome{OrgID: orgID, ID: s.newID("out"), CreatedAt: now, UpdatedAt: now}
	o = define(o, d)
	if _, err := Compile(o); err != nil {
		return presage.Outcome{}, fmt.Errorf("a validated outcome does not compile: %w", err)
	}
	if err := s.store.CreateOutcome(ctx, o, presage.MaxOutcomesPerOrg); err != nil {
		return presage.Outcome{}, fmt.Errorf("create outcome: %w", err)
	}
	s.changed(orgID)
	return o, nil
}

// Update replaces the definition of outcome id (scope admin), keeping its id
// and creation time. Achievements already recorded stay as they are.
func (s *Service) Update(ctx context.Context, id string, d Definition) (presage.Outcome, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return presage.Outcome{}, err
	}
	old, err := s.get(ctx, orgID, id)
	if err != nil {
		return presage.Outcome{}, err
	}
	d, err = Validate(d)
	if err != nil {
		return presage.Outcome{}, err
	}
	if d.Name != old.Name {
		existing, err := s.store.ListOutcomes(ctx, orgID)
		if err != nil {
			return presage.Outcome{}, fmt.Errorf("list outcomes: %w", err)
		}
		if err := nameFree(existing, d.Name, id); err != nil {
			return presage.Outcome{}, err
		}
	}
	o := define(old, d)
	o.UpdatedAt = s.nowMs()
	if _, err := Compile(o); err != nil {
		return presage.Outcome{}, fmt.Errorf("a validated outcome does not compile: %w", err)
	}
	if err := s.store.UpdateOutcome(ctx, o); err != nil {
		return presage.Outcome{}, fmt.Errorf("update outcome: %w", err)
	}
	s.changed(orgID)
	return o, nil
}

// Get returns one outcome (scope read).
func (s *Service) Get(ctx context.Context, id string) (presage.Outcome, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return presage.Outcome{}, err
	}
	return s.get(ctx, orgID, id)
}

// List returns every outcome of the caller, oldest first (scope read).
func (s *Service) List(ctx context.Context) ([]presage.Outcome, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return nil, err
	}
	outs, err := s.store.ListOutcomes(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list outcomes: %w", err)
	}
	if outs == nil {
		outs = []presage.Outcome{}
	}
	return outs, nil
}

// Delete deletes an outcome with its model, predictions and achievements
// (scope admin).
func (s *Service) Delete(ctx context.Context, id string) error {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return err
	}
	if _, err := s.get(ctx, orgID, id); err != nil {
		return err
	}
	if err := s.store.DeleteOutcome(ctx, orgID, id); err != nil {
		return fmt.Errorf("delete outcome: %w", err)
	}
	s.changed(orgID)
	return nil
}

// MaxLimit bounds one page of achievements.
const MaxLimit = 1000

// AchievementList is one page of achievements, newest first, and the cursor
// of the next page ("" on the last).
type AchievementList struct {
	Items []presage.Achievement
	Next  string
}

// ListAchievements lists the caller's achievements matching f, newest first
// (scope read). Filters that cannot name anything are invalid, not empty.
func (s *Service) ListAchievements(ctx context.Context, f AchievementFilter, limit int, cursor string) (AchievementList, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return AchievementList{}, err
	}
	if err := checkFilter(f); err != nil {
		return AchievementList{}, err
	}
	if limit < 1 || limit > MaxLimit {
		return AchievementList{}, presage.Invalid("limit", -1, "limit must be between 1 and %d", MaxLimit)
	}
	after, err := presage.DecodeCursor(cursor)
	if err != nil {
		return AchievementList{}, err
	}
	if after != nil && !strings.Contains(after.ID, "/") {
		return AchievementList{}, presage.Invalid("cursor", -1, "cursor is malformed")
	}
	items, more, err := s.store.ListAchievements(ctx, orgID, f, presage.Page{Limit: limit, After: after})
	if err != nil {
		return AchievementList{}, fmt.Errorf("list achievements: %w", err)
	}
	l := AchievementList{Items: items}
	if l.Items == nil {
		l.Items = []presage.Achievement{}
	}
	if more && len(items) > 0 {
		last := items[len(items)-1]
		l.Next = presage.Cursor{T: last.AchievedAt, ID: last.SessionID + "/" + last.OutcomeID}.Encode()
	}
	return l, nil
}

func checkFilter(f AchievementFilter) error {
	switch {
	case f.OutcomeID != "" && !validOutcomeID(f.OutcomeID):
		return presage.Invalid("outcomeId", -1, "outcomeId must be an outcome id (out_…)")
	case f.SessionID != "" && !presage.ValidClientID(f.SessionID):
		return presage.Invalid("sessionId", -1, "sessionId must be a session id: 8 to 64 characters of [A-Za-z0-9_-]")
	case f.VisitorID != "" && !presage.ValidClientID(f.VisitorID):
		return presage.Invalid("visitorId", -1, "visitorId must be a visitor id: 8 to 64 characters of [A-Za-z0-9_-]")
	case f.CustomerID != "" && !(strings.HasPrefix(f.CustomerID, "cus_") && presage.ValidClientID(f.CustomerID)):
		return presage.Invalid("customerId", -1, "customerId must be a customer id (cus_…)")
	}
	return nil
}

// get reads one outcome of orgID; ids that cannot be an outcome's are not
// found without asking the store.
func (s *Service) get(ctx context.Context, orgID, id string) (presage.Outcome, error) {
	if !validOutcomeID(id) {
		return presage.Outcome{}, presage.ErrNotFound
	}
	o, err := s.store.GetOutcome(ctx, orgID, id)
	if err != nil {
		return presage.Outcome{}, fmt.Errorf("get outcome: %w", err)
	}
	return o, nil
}

func validOutcomeID(id string) bool {
	return strings.HasPrefix(id, "out_") && presage.ValidClientID(id)
}

// define returns o with the definition d.
func define(o presage.Outcome, d Definition) presage.Outcome {
	o.Name, o.Description, o.Direction, o.Condition, o.ValueField = d.Name, d.Description, d.Direction, d.Condition, d.ValueField
	return o
}

func nameFree(existing []presage.Outcome, name, self string) error {
	for _, o := range existing {
		if o.Name == name && o.ID != self {
			return &presage.Error{Code: presage.CodeConflict, Message: fmt.Sprintf("an outcome named %q already exists", name),
				Violations: []presage.Violation{{Field: "/name", Index: -1, Detail: "the name is taken by outcome " + o.ID}}}
		}
	}
	return nil
}

func limitReached() error {
	return presage.Errorf(presage.CodeConflict, "an organization defines at most %d outcomes: delete one first", presage.MaxOutcomesPerOrg)
}
