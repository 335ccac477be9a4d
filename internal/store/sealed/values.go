package sealed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/presage-dev/presage/internal/keys"
)

// sealedMark starts every sealed value that is stored as a JSON string (an
// event's attributes, each value of a customer's traits).
const sealedMark = `"ps1:`

// sealJSON seals a JSON column, or a bundle stored in one, as a JSON string
// holding the sealed text of raw, so that the column keeps holding valid
// JSON in both engines. Sealed text is the prefix, a key id and base64url:
// it never needs escaping. Absent stays absent.
func sealJSON(s *keys.Sealer, raw []byte) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	b := make([]byte, 0, s.SealedLen(len(raw))+2)
	b = append(b, '"')
	b = s.AppendSeal(b, raw)
	return append(b, '"')
}

// quote returns the JSON string of a sealed value. Sealed text is the prefix,
// a key id and base64url: it never needs escaping.
func quote(sealed string) json.RawMessage {
	b := make([]byte, 0, len(sealed)+2)
	b = append(b, '"')
	b = append(b, sealed...)
	return append(b, '"')
}

// unquote returns the sealed text a JSON string value holds, and false for
// any other JSON value (a value stored in clear).
func unquote(raw []byte) (string, bool) {
	if len(raw) < len(sealedMark)+1 || raw[len(raw)-1] != '"' || !bytes.HasPrefix(raw, []byte(sealedMark)) {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.ContainsAny(inner, `"\`) {
		return "", false
	}
	return string(inner), true
}

// sealTraits seals each value of a traits object and keeps its keys in
// clear: the engines merge traits by top-level key (commitplan.MergeTraits),
// which must keep working on sealed values.
func sealTraits(s *keys.Sealer, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode traits: %w", err)
	}
	if m == nil {
		return raw, nil
	}
	for k, v := range m {
		m[k] = quote(s.Seal(string(v)))
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode sealed traits: %w", err)
	}
	return out, nil
}

// sealedIn returns the sealed values a JSON text holds as strings, without
// decoding it: Prefetch needs only their key ids. A clear string that looks
// sealed adds one unknown key id to the prefetch, which is harmless.
func sealedIn(raw []byte, out []string) []string {
	for {
		i := bytes.Index(raw, []byte(sealedMark))
		if i < 0 {
			return out
		}
		raw = raw[i+1:]
		end := bytes.IndexByte(raw, '"')
		if end < 0 {
			return out
		}
		out = append(out, string(raw[:end]))
		raw = raw[end+1:]
	}
}

// keyID returns the id of the data key a sealed value names
// ("ps1:<key id>:<body>").
func keyID(sealed string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(sealed, sealedMark[1:]), ":")
	return id
}
