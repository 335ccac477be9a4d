package sealed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/keys"
)

// opener opens the sealed values of one page of one organization. It
// remembers the keys it found destroyed, so a page of a shredded subject
// asks the key store about each key once, not once per value.
type opener struct {
	ctx   context.Context
	keys  *keys.Keyring
	orgID string
	gone  map[string]bool
}

func (e *engine) opener(ctx context.Context, orgID string) *opener {
	return &opener{ctx: ctx, keys: e.keys, orgID: orgID}
}

// prefetch loads the data keys of values in one key-store read.
func (o *opener) prefetch(values []string) error {
	if len(values) == 0 {
		return nil
	}
	if err := o.keys.Prefetch(o.ctx, o.orgID, values); err != nil {
		return fmt.Errorf("prefetch data keys: %w", err)
	}
	return nil
}

// open returns the plaintext of v, v itself if it is not sealed, and gone
// when its data key was destroyed: the value no longer exists, which is not
// an error (it is counted in ShreddedReads).
func (o *opener) open(v string) (plain string, gone bool, err error) {
	if !keys.IsSealed(v) {
		return v, false, nil
	}
	id := keyID(v)
	if o.gone[id] {
		ShreddedReads.Add(1)
		return "", true, nil
	}
	plain, err = o.keys.Open(o.ctx, o.orgID, v)
	if errors.Is(err, keys.ErrShredded) {
		if o.gone == nil {
			o.gone = map[string]bool{}
		}
		o.gone[id] = true
		ShreddedReads.Add(1)
		return "", true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("open sealed value: %w", err)
	}
	return plain, false, nil
}

// text opens a text column: a destroyed value reads as "".
func (o *opener) text(v string) (string, error) {
	plain, _, err := o.open(v)
	return plain, err
}

// traits opens each sealed value of a traits object; a trait whose key was
// destroyed is dropped, a trait in clear is kept as it is.
func (o *opener) traits(raw json.RawMessage) (json.RawMessage, error) {
	if !bytes.Contains(raw, []byte(sealedMark)) {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode traits: %w", err)
	}
	for k, v := range m {
		sealed, ok := unquote(v)
		if !ok {
			continue
		}
		plain, gone, err := o.open(sealed)
		if err != nil {
			return nil, fmt.Errorf("trait %q: %w", k, err)
		}
		if gone {
			delete(m, k)
			continue
		}
		m[k] = json.RawMessage(plain)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode opened traits: %w", err)
	}
	return out, nil
}
