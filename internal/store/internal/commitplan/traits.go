package commitplan

import (
	"encoding/json"
	"fmt"
)

// MergeTraits returns old with the top-level keys of patch overwriting its own.
// Empty input reads as {}; the result is a JSON object with sorted keys.
func MergeTraits(old, patch []byte) ([]byte, error) {
	merged := map[string]json.RawMessage{}
	if len(old) > 0 {
		if err := json.Unmarshal(old, &merged); err != nil {
			return nil, fmt.Errorf("decode stored traits: %w", err)
		}
	}
	if len(patch) > 0 {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(patch, &p); err != nil {
			return nil, fmt.Errorf("decode traits: %w", err)
		}
		for k, v := range p {
			merged[k] = v
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("encode traits: %w", err)
	}
	return b, nil
}
