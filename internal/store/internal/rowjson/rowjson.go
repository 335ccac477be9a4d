// Package rowjson converts the JSON columns both storage engines keep as text
// (organizations' origins, attributes, traits, consent decisions) — one
// encoding, so the engines store the same bytes.
package rowjson

import (
	"encoding/json"
	"fmt"
)

// Encode returns v as JSON text.
func Encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// Raw returns a stored JSON text as is; "" (absent) is nil.
func Raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// NonNil returns s, or an empty slice for nil, so a list encodes as [] not null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
