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

// Principal is the authenticated caller of a service: exactly one
// organization and the scopes it holds there. An API request becomes one from
// its secret key (tenant.Service.Authenticate); the operator is the other kind
// (see Operator).
type Principal struct {
	OrgID  string
	KeyID  string
	Scopes []Scope
	// Operator marks the operator principal; see Operator.
	Operator bool
}

// OperatorKeyID is the KeyID of the operator principal, so that whatever
// records who acted (audit, request history) names the operator.
const OperatorKeyID = "operator"

// Operator returns the principal of the server's operator: whoever runs the
// presage binary with the database's credentials (the CLI commands, and
// start-up preparing the demo). It holds every scope on orgID, and with an
// empty orgID it may only do what concerns no single organization (create
// and list organizations). No network request can become the operator:
// transports build principals only from secret keys, which never carry
// Operator.
func Operator(orgID string) Principal {
	return Principal{OrgID: orgID, KeyID: OperatorKeyID, Scopes: AllScopes, Operator: true}
}

// AsOperator returns ctx carrying the operator principal for orgID.
func AsOperator(ctx context.Context, orgID string) context.Context {
	return WithPrincipal(ctx, Operator(orgID))
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

// AuthorizeOperator admits only the operator principal: for what concerns
// every organization at once (creating and listing organizations).
func AuthorizeOperator(ctx context.Context) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Errorf(CodeUnauthorized, "authentication required")
	}
	if !p.Operator {
		return Errorf(CodeForbidden, "only the server's operator may do this")
	}
	return nil
}
