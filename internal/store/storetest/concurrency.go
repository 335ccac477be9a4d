package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

func testConcurrency(t *testing.T, open Opener) {
	t.Run("commits", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		const workers, calls, sessions = 6, 5, 4
		var wg sync.WaitGroup
		var mu sync.Mutex
		stored := 0
		errs := make(chan error, workers*calls)
		for g := range workers {
			wg.Go(func() {
				for c := range calls {
					var writes []collect.Write
					for s := range sessions {
						// Every worker sends the same sessions and, half the time, the same events.
						var evs []presage.Event
						for i := range 5 {
							id := fmt.Sprintf("event-%d-%d-%d-%d", g%2, c, s, i)
							evs = append(evs, ev(id, base.Add(time.Duration(c*10+i)*time.Second)))
						}
						writes = append(writes, write(org, fmt.Sprintf("visitor-%d", s%2), fmt.Sprintf("session-%d", s), evs...))
					}
					out, err := f.e.CommitWrites(f.ctx, writes)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, o := range out {
						stored += o.Stored
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent commit: %v", err)
		}
		const unique = 2 * calls * sessions * 5
		if stored != unique {
			t.Fatalf("stored %d events, want %d distinct", stored, unique)
		}
		total := 0
		for s := range sessions {
			sess := f.session(org, fmt.Sprintf("session-%d", s))
			if n := len(f.events(org, sess.ID)); n != sess.EventCount {
				t.Fatalf("session %s counts %d events, holds %d", sess.ID, sess.EventCount, n)
			}
			total += sess.EventCount
		}
		if total != unique {
			t.Fatalf("sessions count %d events, want %d", total, unique)
		}
		for v := range 2 {
			if got := f.visitor(org, fmt.Sprintf("visitor-%d", v)).SessionCount; got != sessions/2 {
				t.Fatalf("visitor-%d has %d sessions, want %d", v, got, sessions/2)
			}
		}
	})

	t.Run("identify one person from many nodes", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		const workers = 8
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for g := range workers {
			wg.Go(func() {
				visitor := fmt.Sprintf("visitor-%d", g)
				w := write(org, visitor, "session-"+visitor, ev("event-"+visitor, base))
				w.Identifications = []collect.Identification{identification(visitor, base,
					fmt.Sprintf(`{"email":"ada@example.com","device%d":true}`, g), extID("C-42"), email("ada"))}
				if _, err := f.e.CommitWrites(f.ctx, []collect.Write{w}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent identify: %v", err)
		}
		cs, _, err := f.e.ListCustomers(f.ctx, org, presage.Page{Limit: 100})
		if err != nil || len(cs) != 1 {
			t.Fatalf("%d customers (%v), want exactly one", len(cs), err)
		}
		vs, _, err := f.e.ListVisitors(f.ctx, org, journey.VisitorFilter{CustomerID: cs[0].ID}, presage.Page{Limit: 100})
		if err != nil || len(vs) != workers {
			t.Fatalf("customer has %d visitors (%v), want %d", len(vs), err, workers)
		}
		for g := range workers {
			jsonHasKey(t, cs[0].Traits, fmt.Sprintf("device%d", g))
		}
	})
}
