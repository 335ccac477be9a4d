package outcome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 123456789, time.UTC)

type harness struct {
	store   *fakeStore
	svc     *Service
	clock   time.Time
	ids     int
	changed []string // organizations OnChange was told of
}

func newHarness() *harness {
	h := &harness{store: &fakeStore{}, clock: t0}
	h.svc = NewService(h.store, Options{
		OnChange: func(orgID string) { h.changed = append(h.changed, orgID) },
		Now:      func() time.Time { return h.clock },
		NewID: func(prefix string) string {
			h.ids++
			return fmt.Sprintf("%s_%026d", prefix, h.ids)
		},
	})
	return h
}

func as(orgID string, scopes ...presage.Scope) context.Context {
	return presage.WithPrincipal(context.Background(), presage.Principal{OrgID: orgID, KeyID: "key_test", Scopes: scopes})
}

var (
	admin  = as("org_a", presage.ScopeRead, presage.ScopeAdmin)
	reader = as("org_a", presage.ScopeRead)
	other  = as("org_b", presage.ScopeRead, presage.ScopeAdmin)
)

func purchase() Definition {
	return Definition{Name: "Purchase", Direction: presage.Maximize, ValueField: "total",
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "purchase",
			Attributes: []presage.AttrCondition{{Name: "total", Op: presage.OpGte, Value: json.RawMessage("50")}}}}
}

func page(name, pattern string) Definition {
	return Definition{Name: name, Direction: presage.Minimize,
		Condition: presage.Condition{Kind: presage.ConditionPage, URLPattern: pattern}}
}

func wantCode(t *testing.T, err error, code presage.Code) *presage.Error {
	t.Helper()
	var pe *presage.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	return pe
}

func TestCreateStoresANormalizedOutcome(t *testing.T) {
	h := newHarness()
	d := purchase()
	d.Name = "  Purchase  "
	d.Description = " Any order of 50 or more. "
	d.Condition.Attributes[0].Value = json.RawMessage(" 50 ")
	o, err := h.svc.Create(admin, d)
	if err != nil {
		t.Fatal(err)
	}
	want := t0.Truncate(time.Millisecond)
	if o.ID != "out_00000000000000000000000001" || o.OrgID != "org_a" || o.Name != "Purchase" ||
		o.Description != "Any order of 50 or more." || !o.CreatedAt.Equal(want) || !o.UpdatedAt.Equal(want) ||
		string(o.Condition.Attributes[0].Value) != "50" || o.ValueField != "total" {
		t.Fatalf("created %+v", o)
	}
	got, err := h.svc.Get(reader, o.ID)
	if err != nil || got.Name != "Purchase" || got.Condition.EventName != "purchase" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := Compile(got); err != nil {
		t.Fatalf("stored outcome does not compile: %v", err)
	}
}

func TestScopes(t *testing.T) {
	h := newHarness()
	o, err := h.svc.Create(admin, purchase())
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func(ctx context.Context) error{
		"create": func(ctx context.Context) error { _, err := h.svc.Create(ctx, page("Help", "/help")); return err },
		"update": func(ctx context.Context) error { _, err := h.svc.Update(ctx, o.ID, purchase()); return err },
		"delete": func(ctx context.Context) error { return h.svc.Delete(ctx, o.ID) },
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, call(reader), presage.CodeForbidden)
			wantCode(t, call(context.Background()), presage.CodeUnauthorized)
		})
	}
	for name, call := range map[string]func(ctx context.Context) error{
		"get":  func(ctx context.Context) error { _, err := h.svc.Get(ctx, o.ID); return err },
		"list": func(ctx context.Context) error { _, err := h.svc.List(ctx); return err },
		"achievements": func(ctx context.Context) error {
			_, err := h.svc.ListAchievements(ctx, AchievementFilter{}, 10, "")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := call(reader); err != nil {
				t.Errorf("with read scope: %v", err)
			}
			wantCode(t, call(as("org_a", presage.ScopeAdmin)), presage.CodeForbidden)
		})
	}
}

func TestCreateRefusesInvalidDefinitions(t *testing.T) {
	h := newHarness()
	d := purchase()
	d.Name = ""
	d.Direction = "up"
	pe := wantCode(t, func() error { _, err := h.svc.Create(admin, d); return err }(), presage.CodeInvalid)
	if len(pe.Violations) != 2 || pe.Violations[0].Field != "/name" || pe.Violations[1].Field != "/direction" ||
		pe.Message != "name is required (and 1 more)" {
		t.Fatalf("violations %+v, message %q", pe.Violations, pe.Message)
	}
	if len(h.store.outcomes) != 0 {
		t.Fatal("an invalid outcome was stored")
	}
}

func TestNameIsUniquePerOrganization(t *testing.T) {
	h := newHarness()
	if _, err := h.svc.Create(admin, purchase()); err != nil {
		t.Fatal(err)
	}
	pe := wantCode(t, func() error { _, err := h.svc.Create(admin, purchase()); return err }(), presage.CodeConflict)
	if len(pe.Violations) != 1 || pe.Violations[0].Field != "/name" || !strings.Contains(pe.Message, `"Purchase" already exists`) {
		t.Fatalf("conflict %+v", pe)
	}
	if _, err := h.svc.Create(other, purchase()); err != nil {
		t.Fatalf("another organization cannot use the same name: %v", err)
	}
}

func TestLimitPerOrganization(t *testing.T) {
	h := newHarness()
	for i := range presage.MaxOutcomesPerOrg {
		if _, err := h.svc.Create(admin, page(fmt.Sprintf("Page %d", i), fmt.Sprintf("/p/%d", i))); err != nil {
			t.Fatalf("outcome %d: %v", i, err)
		}
	}
	pe := wantCode(t, func() error { _, err := h.svc.Create(admin, page("One too many", "/x")); return err }(), presage.CodeConflict)
	if !strings.Contains(pe.Message, "at most 100 outcomes") {
		t.Fatalf("message %q", pe.Message)
	}
	if _, err := h.svc.Create(other, page("Elsewhere", "/x")); err != nil {
		t.Fatalf("the limit is per organization: %v", err)
	}
}

func TestStoreErrorsKeepTheirCode(t *testing.T) {
	h := newHarness()
	// The store decides races the service's pre-check cannot see.
	h.store.err = conflict("too many outcomes")
	wantCode(t, func() error { _, err := h.svc.Create(admin, purchase()); return err }(), presage.CodeConflict)
	h.store.err = errors.New("disk on fire")
	err := func() error { _, err := h.svc.List(reader); return err }()
	if presage.ErrorCode(err) != presage.CodeInternal || presage.ErrorMessage(err) != "internal error" {
		t.Fatalf("internal error surfaced as %v", err)
	}
}

func TestUpdateReplacesTheDefinition(t *testing.T) {
	h := newHarness()
	o, err := h.svc.Create(admin, purchase())
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.svc.Create(admin, page("Help", "/help/**"))
	if err != nil {
		t.Fatal(err)
	}
	h.clock = t0.Add(time.Hour)
	u, err := h.svc.Update(admin, o.ID, page("Thanks", "/checkout/thank-you"))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != o.ID || !u.CreatedAt.Equal(o.CreatedAt) || !u.UpdatedAt.Equal(h.clock.Truncate(time.Millisecond)) ||
		u.Name != "Thanks" || u.Direction != presage.Minimize || u.ValueField != "" || u.Condition.EventName != "" ||
		u.Condition.Attributes != nil || u.Condition.URLPattern != "/checkout/thank-you" {
		t.Fatalf("updated %+v", u)
	}
	if got, _ := h.svc.Get(reader, o.ID); got.Name != "Thanks" {
		t.Fatalf("stored %+v", got)
	}
	if _, err := h.svc.Update(admin, o.ID, page("Thanks", "/thanks")); err != nil {
		t.Fatalf("keeping the own name: %v", err)
	}
	wantCode(t, func() error { _, err := h.svc.Update(admin, o.ID, page("Help", "/x")); return err }(), presage.CodeConflict)
	wantCode(t, func() error { _, err := h.svc.Update(admin, second.ID, Definition{}); return err }(), presage.CodeInvalid)
	wantCode(t, func() error { _, err := h.svc.Update(admin, "out_00000000000000000000000099", purchase()); return err }(), presage.CodeNotFound)
	wantCode(t, func() error { _, err := h.svc.Update(other, o.ID, purchase()); return err }(), presage.CodeNotFound)
}

func TestTenantIsolationAndDelete(t *testing.T) {
	h := newHarness()
	o, err := h.svc.Create(admin, purchase())
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := h.svc.Get(other, o.ID); return err }(), presage.CodeNotFound)
	wantCode(t, h.svc.Delete(other, o.ID), presage.CodeNotFound)
	if l, err := h.svc.List(other); err != nil || len(l) != 0 {
		t.Fatalf("other organization lists %v, %v", l, err)
	}
	for _, id := range []string{"", "nope", "out_", "org_a", "out_" + strings.Repeat("x", 100), "out_../../etc"} {
		wantCode(t, func() error { _, err := h.svc.Get(reader, id); return err }(), presage.CodeNotFound)
	}
	if err := h.svc.Delete(admin, o.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, h.svc.Delete(admin, o.ID), presage.CodeNotFound)
	if l, err := h.svc.List(reader); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("after delete: %v, %v", l, err)
	}
}

func TestOnChangeFollowsEverySuccessfulChange(t *testing.T) {
	h := newHarness()
	o, err := h.svc.Create(admin, purchase())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = h.svc.Create(admin, purchase()) // conflict: no change
	_, _ = h.svc.Get(reader, o.ID)
	if _, err := h.svc.Update(admin, o.ID, page("Thanks", "/thanks")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Create(other, purchase()); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Delete(admin, o.ID); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.changed, ","); got != "org_a,org_a,org_b,org_a" {
		t.Fatalf("OnChange calls: %s", got)
	}
}

func TestListIsOldestFirst(t *testing.T) {
	h := newHarness()
	for i, name := range []string{"B", "A", "C"} {
		h.clock = t0.Add(time.Duration(i) * time.Second)
		if _, err := h.svc.Create(admin, page(name, "/"+name)); err != nil {
			t.Fatal(err)
		}
	}
	l, err := h.svc.List(reader)
	if err != nil || len(l) != 3 || l[0].Name != "B" || l[1].Name != "A" || l[2].Name != "C" {
		t.Fatalf("List = %v, %v", l, err)
	}
}

func TestListAchievementsPages(t *testing.T) {
	h := newHarness()
	v := 12.5
	for i := range 5 {
		h.store.achievements = append(h.store.achievements, presage.Achievement{OrgID: "org_a",
			OutcomeID: "out_00000000000000000000000001", SessionID: fmt.Sprintf("session-%d", i), VisitorID: "visitor-1",
			CustomerID: "cus_abcdefgh", EventID: fmt.Sprintf("event-%04d", i), AchievedAt: t0.Add(time.Duration(i%3) * time.Minute), Value: &v})
	}
	h.store.achievements = append(h.store.achievements, presage.Achievement{OrgID: "org_b", OutcomeID: "out_x", SessionID: "session-9",
		AchievedAt: t0})
	var seen []string
	cursor := ""
	for range 10 {
		l, err := h.svc.ListAchievements(reader, AchievementFilter{VisitorID: "visitor-1"}, 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range l.Items {
			seen = append(seen, a.SessionID)
		}
		if l.Next == "" {
			break
		}
		cursor = l.Next
	}
	if got := strings.Join(seen, ","); got != "session-2,session-4,session-1,session-3,session-0" {
		t.Fatalf("pages read %s", got)
	}
	l, err := h.svc.ListAchievements(other, AchievementFilter{}, 10, "")
	if err != nil || len(l.Items) != 1 || l.Next != "" {
		t.Fatalf("org_b reads %+v, %v", l, err)
	}
	l, err = h.svc.ListAchievements(reader, AchievementFilter{SessionID: "session-none"}, 10, "")
	if err != nil || l.Items == nil || len(l.Items) != 0 {
		t.Fatalf("no match: %+v, %v", l, err)
	}
}

func TestListAchievementsRefusesBadParameters(t *testing.T) {
	h := newHarness()
	for _, tc := range []struct {
		f      AchievementFilter
		limit  int
		cursor string
		field  string
	}{
		{AchievementFilter{OutcomeID: "nope"}, 10, "", "outcomeId"},
		{AchievementFilter{SessionID: "short"}, 10, "", "sessionId"},
		{AchievementFilter{VisitorID: "has space in it"}, 10, "", "visitorId"},
		{AchievementFilter{CustomerID: "visitor-1"}, 10, "", "customerId"},
		{AchievementFilter{}, 0, "", "limit"},
		{AchievementFilter{}, MaxLimit + 1, "", "limit"},
		{AchievementFilter{}, 10, "!!", "cursor"},
		{AchievementFilter{}, 10, presage.Cursor{T: t0, ID: "no-slash"}.Encode(), "cursor"},
	} {
		_, err := h.svc.ListAchievements(reader, tc.f, tc.limit, tc.cursor)
		pe := wantCode(t, err, presage.CodeInvalid)
		if len(pe.Violations) != 1 || pe.Violations[0].Field != tc.field {
			t.Errorf("%+v: violations %+v", tc, pe.Violations)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		c    presage.Condition
		want string
	}{
		{purchase().Condition, `custom event "purchase" where total >= 50`},
		{presage.Condition{Kind: presage.ConditionEvent, EventName: "signup", Attributes: []presage.AttrCondition{
			{Name: "plan", Op: presage.OpEq, Value: json.RawMessage(`"pro"`)}, {Name: "coupon", Op: presage.OpExists}}},
			`custom event "signup" where plan = "pro" and coupon exists`},
		{presage.Condition{Kind: presage.ConditionPage, URLPattern: "/checkout/**"}, "page view of /checkout/**"},
		{presage.Condition{Kind: presage.ConditionForm}, "any form submitted"},
		{presage.Condition{Kind: presage.ConditionForm, FormName: "contact"}, `form "contact" submitted`},
	} {
		if got := Describe(tc.c); got != tc.want {
			t.Errorf("Describe = %q, want %q", got, tc.want)
		}
	}
}
