package presage

import (
	"context"
	"slices"
)

// Scope is a right granted to a secret API key.
type Scope string

const (
	ScopeRead  Scope = "read"  // read journeys
	ScopeWrite Scope = "write" // send server-side events
	ScopeAdmin Scope = "admin" // manage the organization and its keys
	ScopeGDPR  Scope = "gdpr"  // serve data subject requests
)

// AllScopes lists every scope in a stable order.
var AllScopes = []Scope{ScopeRead, ScopeWrite, ScopeAdmin, ScopeGDPR}

// ValidScope reports whether s names a known scope.
func ValidScope(s Scope) bool { return slices.Contains(AllScopes, s) }

// Principal is the authenticated caller of a server API: always exactly one
// organization, and the scopes of the key it used.
type Principal struct {
	OrgID  string
	KeyID  string
	Scopes []Scope
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller carried by ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authorize returns the caller's organization if the caller holds scope.
// Domain services call it first, so no transport can forget authorization.
func Authorize(ctx context.Context, scope Scope) (orgID string, err error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.OrgID == "" {
		return "", Errorf(CodeUnauthorized, "authentication required")
	}
	if !slices.Contains(p.Scopes, scope) {
		return "", Errorf(CodeForbidden, "this key lacks the %q scope", scope)
	}
	return p.OrgID, nil
}
