package outcome_test

import (
	"testing"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/outcome"
)

// TestLimitsFollowTheCollector keeps a condition within what an event can
// carry: a longer name or value could never match.
func TestLimitsFollowTheCollector(t *testing.T) {
	for _, tc := range []struct {
		name           string
		outcome, event int
	}{
		{"event name", outcome.MaxEventName, collect.MaxNameLen},
		{"attribute key", outcome.MaxAttributeKey, collect.MaxAttributeKey},
		{"string value", outcome.MaxStringValue, collect.MaxStringValue},
	} {
		if tc.outcome != tc.event {
			t.Errorf("%s: outcome allows %d characters, the collector %d", tc.name, tc.outcome, tc.event)
		}
	}
}
