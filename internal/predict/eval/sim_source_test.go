package eval

import (
	"testing"

	"github.com/presage-dev/presage/internal/predict/simulate"
)

// simulateSessions generates every session of cfg.
func simulateSessions(t testing.TB, cfg simulate.Config) []simulate.Session {
	t.Helper()
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []simulate.Session
	for {
		s, ok := sim.Next()
		if !ok {
			return out
		}
		out = append(out, s)
	}
}

// simOpen opens a fresh simulator of cfg, as Journeys wants its source.
func simOpen(cfg simulate.Config) func() (JourneySource, error) {
	return func() (JourneySource, error) {
		sim, err := simulate.New(cfg)
		return SimSource{Sim: sim}, err
	}
}
