package eval

import (
	"io"

	"github.com/presage-dev/presage/internal/predict/simulate"
)

// The simulator as a journey source, and its sessions as journey file
// lines: `presage simulate` writes what `presage eval --simulate` reads
// directly, so both evaluate the same sessions.

// AppendSimSession appends the events of a simulated session and, when
// withTruth, its truth record for simulate.PurchaseOutcome.
func AppendSimSession(dst []byte, s simulate.Session, withTruth bool) ([]byte, error) {
	var err error
	for _, e := range s.Events {
		if dst, err = AppendJourneyEvent(dst, e, s.TimeZone); err != nil {
			return dst, err
		}
	}
	if withTruth {
		dst, err = AppendJourneyTruth(dst, JourneyTruth{SessionID: s.ID, Outcome: simulate.PurchaseOutcome().ID, P: s.P})
	}
	return dst, err
}

// SimSource adapts a simulator to a JourneySource.
type SimSource struct{ Sim *simulate.Simulator }

// Len is the number of sessions the simulator generates.
func (s SimSource) Len() int { return s.Sim.Config().Sessions }

// Next returns the next simulated session.
func (s SimSource) Next() (*JourneySession, error) {
	ss, ok := s.Sim.Next()
	if !ok {
		return nil, io.EOF
	}
	return &JourneySession{ID: ss.ID, VisitorID: ss.VisitorID, TimeZone: ss.TimeZone, Events: ss.Events,
		Truth: []JourneyTruth{{SessionID: ss.ID, Outcome: simulate.PurchaseOutcome().ID, P: ss.P}},
		Start: ss.Events[0].OccurredAt, End: ss.Events[len(ss.Events)-1].OccurredAt}, nil
}
