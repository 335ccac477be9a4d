package presage

import "context"

// A site is the other caller besides a principal: a page of the
// organization's website running the tracker, on behalf of one visitor. It
// proves only the organization's public site key and an allowed Origin
// (tenant.Service.AuthenticateSite), so it may only do what a visitor may do
// about itself: send its events, read its consent state and notice, decide.

type siteKey struct{}

// WithSite returns a context carrying the authenticated site of org.
func WithSite(ctx context.Context, org Organization) context.Context {
	return context.WithValue(ctx, siteKey{}, org)
}

// AuthorizeSite returns the organization of the site carried by ctx.
// Visitor-facing services call it first, as API services call Authorize.
func AuthorizeSite(ctx context.Context) (Organization, error) {
	org, ok := ctx.Value(siteKey{}).(Organization)
	if !ok || org.ID == "" {
		return Organization{}, Errorf(CodeUnauthorized, "a site key is required")
	}
	return org, nil
}
