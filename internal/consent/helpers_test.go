package consent

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

const (
	testOrg      = "org_test"
	visitorA     = "visitor-aaaa"
	visitorB     = "visitor-bbbb"
	visitorKnown = "visitor-known"
	customerX    = "cus_xxxxxxxx"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	svc   *Service
	store *fakeStore
	clock *clock
	org   presage.Organization
}

// newEnv returns a service over a fake store with the defaults of testOrg.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{store: newFakeStore(), clock: &clock{t: t0},
		org: presage.Organization{ID: testOrg, Name: "Shop Example SA"}}
	var n atomic.Int64
	e.svc = NewService(e.store, fakeVisitors{visitorKnown: customerX}, Options{
		Now:   e.clock.Now,
		NewID: func(prefix string) string { return prefix + "_" + strconv.FormatInt(n.Add(1), 10) },
	})
	if err := e.svc.EnsureDefaults(context.Background(), testOrg); err != nil {
		t.Fatal(err)
	}
	return e
}

// as returns a context of a caller of testOrg holding scopes.
func as(scopes ...presage.Scope) context.Context {
	return presage.WithPrincipal(context.Background(), presage.Principal{OrgID: testOrg, KeyID: "key_test", Scopes: scopes})
}

var bg = context.Background()

// decide calls Decide and fails the test on error.
func (e *env) decide(t *testing.T, in DecisionInput) (Record, []State) {
	t.Helper()
	r, st, err := e.svc.Decide(e.site(), in)
	if err != nil {
		t.Fatalf("Decide(%+v): %v", in, err)
	}
	return r, st
}

func (e *env) states(t *testing.T, visitor string) map[string]Decision {
	t.Helper()
	sts, err := e.store.States(bg, testOrg, visitor)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Decision{}
	for _, st := range sts {
		out[st.Purpose] = st.Decision
	}
	return out
}

// field returns the field of the first violation of an invalid error, or
// the error's code when it is not an invalid error.
func field(err error) string {
	var pe *presage.Error
	if !errors.As(err, &pe) {
		if err == nil {
			return "<nil>"
		}
		return "not a presage.Error: " + err.Error()
	}
	if pe.Code != presage.CodeInvalid || len(pe.Violations) == 0 {
		return "code " + string(pe.Code)
	}
	return pe.Violations[0].Field
}

func grantAll(visitor string) DecisionInput {
	return DecisionInput{VisitorID: visitor, Action: ActionGrant, NoticeVersion: 1,
		Purposes: []string{PurposeAnalytics, PurposeSupport, PurposeSales, PurposeMarketing}}
}

// site returns a context carrying the authenticated site of testOrg.
func (e *env) site() context.Context { return presage.WithSite(bg, e.org) }

// latest returns the newest notice version of testOrg.
func (e *env) latest(t *testing.T) int {
	t.Helper()
	v, err := e.svc.latestNotice(bg, testOrg)
	if err != nil || v == 0 {
		t.Fatalf("latest notice: %d, %v", v, err)
	}
	return v
}

// setBasis moves purpose to basis, publishing with it the newest notice
// with a text for purpose written for that basis.
func (e *env) setBasis(t *testing.T, purpose string, basis Basis) {
	t.Helper()
	n, err := e.store.GetNotice(bg, testOrg, e.latest(t))
	if err != nil {
		t.Fatal(err)
	}
	texts := maps.Clone(n.Texts)
	texts[purpose] = "We process this on " + string(basis) + "."
	in := PurposesInput{Purposes: []PurposeInput{{Name: purpose, Basis: basis, Description: "x"}},
		Notices: []NoticeInput{{Language: n.Language, Title: n.Title, Texts: texts}}}
	if _, err := e.svc.SetPurposes(as(presage.ScopeAdmin), in); err != nil {
		t.Fatal(err)
	}
}
