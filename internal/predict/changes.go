package predict

import (
	"sync"
	"sync/atomic"
	"time"
)

// Change is a session's new probability of one outcome, published once the
// events that caused it are stored: what engagement rules react to.
type Change struct {
	OrgID          string
	SessionID      string
	VisitorID      string
	OutcomeID      string
	Probability    float64
	Previous       float64 // before this change; -1 for the session's first score
	MaxProbability float64
	Percentile     float64
	ModelVersion   int64
	Achieved       bool // the session just achieved the outcome; Probability is the last one before
	At             time.Time
}

// Publisher receives changes. Publish must not block.
type Publisher interface {
	Publish(changes []Change)
}

// Broker fans changes out to in-process subscribers. A subscriber that
// does not keep up loses changes (counted) rather than slowing the
// collector down.
type Broker struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription receives changes on C until Close.
type Subscription struct {
	C       <-chan Change
	c       chan Change
	broker  *Broker
	dropped atomic.Int64
}

// NewBroker returns a broker without subscribers.
func NewBroker() *Broker { return &Broker{subs: map[*Subscription]struct{}{}} }

// Subscribe returns a subscription buffering up to buffer changes.
func (b *Broker) Subscribe(buffer int) *Subscription {
	c := make(chan Change, buffer)
	s := &Subscription{C: c, c: c, broker: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close stops the subscription and closes C.
func (s *Subscription) Close() {
	s.broker.mu.Lock()
	defer s.broker.mu.Unlock()
	if _, ok := s.broker.subs[s]; ok {
		delete(s.broker.subs, s)
		close(s.c)
	}
}

// Dropped counts the changes this subscriber lost because its buffer was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Publish delivers changes to every subscriber without blocking.
func (b *Broker) Publish(changes []Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		for _, c := range changes {
			select {
			case s.c <- c:
			default:
				s.dropped.Add(1)
			}
		}
	}
}
