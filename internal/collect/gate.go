package collect

import (
	"context"

	"github.com/presage-dev/presage/internal/presage"
)

// Gate decides whether a subject's events may be processed at all. It runs
// after the organization is known and before anything is stored, so a
// forged or misbehaving client stores nothing without a lawful basis.
type Gate interface {
	// Admit returns nil when orgID may process visitorID's events, a
	// presage.CodeConsentRequired error when it may not, or another error.
	// It may record the signals (once per visitor) for admitted visitors.
	Admit(ctx context.Context, org presage.Organization, visitorID string, sig presage.PrivacySignals, ipPrefix, userAgent string) error
}

// IdentityGate is a Gate that also knows erased people: an identify whose
// identifiers belong to an erased subject must not link the visitor to a
// customer again (the tombstones of an erasure).
type IdentityGate interface {
	Gate
	// ErasedIdentity reports whether any of ids (blind indexes) belongs to
	// a subject erased at their request.
	ErasedIdentity(ctx context.Context, org presage.Organization, ids []presage.Identifier) (bool, error)
}
