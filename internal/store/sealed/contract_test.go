package sealed_test

import (
	"context"
	"testing"

	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/sealed"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// TestContract runs the engines' contract suite through the decorator: what
// it seals must read back as the engine alone would return it.
func TestContract(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Engine {
				e, _ := b.open(t)
				return rawExecEngine{sealed.Wrap(e, newKeyring(t)), e.(storetest.RawExecer)}
			})
		})
	}
}

// rawExecEngine lends the decorator the engine's ExecRaw, which the consent
// tamper test needs: tampering bypasses every layer by design.
type rawExecEngine struct {
	decorated
	raw storetest.RawExecer
}

// decorated names the embedded engine so that its Engine method is not
// hidden by a field named Engine.
type decorated = store.Engine

func (r rawExecEngine) ExecRaw(ctx context.Context, query string, args ...any) error {
	return r.raw.ExecRaw(ctx, query, args...)
}
