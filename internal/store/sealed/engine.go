package sealed

import (
	"sync/atomic"
	"time"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store"
)

// ShreddedReads counts the values read whose data key was destroyed (a row
// restored from a backup taken before its subject was erased, or a row read
// between the erasure's shredding and its deletion). They read as empty; the
// count lets an operator see that such rows exist.
var ShreddedReads atomic.Int64

// base is the decorated engine under a name of its own: embedded as
// store.Engine the field would be named Engine and hide the Engine method.
type base = store.Engine

// engine is a store.Engine that seals personal values on the way in and
// opens them on the way out; every other method is the decorated engine's.
type engine struct {
	base
	keys *keys.Keyring
	now  func() time.Time // stamps the records of pooled keys
}

// Wrap returns an Engine over e that seals personal values with the data
// keys of k and wraps organization secrets with its master key. Rows that e
// holds in clear (written before encryption) read as they are.
func Wrap(e store.Engine, k *keys.Keyring) store.Engine {
	return &engine{base: e, keys: k, now: time.Now}
}

// Unwrap returns the engine e decorates, or e itself if Wrap did not make it.
func Unwrap(e store.Engine) store.Engine {
	if s, ok := e.(*engine); ok {
		return s.base
	}
	return e
}
