package collect

import (
	"context"

	"github.com/presage-dev/presage/internal/presage"
)

// Signals are the privacy signals a browser sent with a request.
type Signals struct {
	GPC bool // Sec-GPC: 1
	DNT bool // DNT: 1
}

// Gate decides whether a subject's events may be processed at all. It runs
// after the organization is known and before anything is stored, so a
// forged or misbehaving client stores nothing without a lawful basis.
type Gate interface {
	// Admit returns nil when orgID may process visitorID's events, a
	// presage.CodeConsentRequired error when it may not, or another error.
	// It may record the signals (once per visitor) for admitted visitors.
	Admit(ctx context.Context, org presage.Organization, visitorID string, sig Signals, ipPrefix, userAgent string) error
}
