package e2e

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/loadgen"
	"github.com/presage-dev/presage/internal/testwait"
)

// TestCrashLosesNoAcknowledgedEvent kills the server with SIGKILL in the middle
// of a load of retrying tracker clients, restarts it on the same port and
// data, and checks through the read API that every acknowledged event is
// stored exactly once and that the retrying clients lost nothing.
func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testCrash(t, sqliteStorage(t)) })
	t.Run("postgres", func(t *testing.T) { testCrash(t, postgresStorage(t)) })
}

const (
	crashOrigin = "http://shop.e2e.test"
	// crashAfterEvents acknowledged events are awaited before the kill.
	crashAfterEvents = 1000
	// crashDowntime is how long the server stays dead: long enough for
	// every client to hit the dead port at least once.
	crashDowntime = 500 * time.Millisecond
)

func testCrash(t *testing.T, st Storage) {
	org := createOrg(t, st, "crash", crashOrigin)
	reader := createKey(t, st, org.ID, "verifier", "read")
	srv := startServer(t, "server", st)

	var (
		mu        sync.Mutex
		acked     = map[string]int{} // event id → OnAck calls that named it
		ackEvents atomic.Int64
	)
	cfg := loadgen.Config{
		URL:         srv.URL,
		SiteKey:     org.SiteKey,
		Origin:      crashOrigin,
		Concurrency: 8,
		BatchSize:   25,
		Duration:    10 * time.Second,
		Visitors:    64,
		Retry:       true,
		Backoff:     100 * time.Millisecond,
		MaxBackoff:  time.Second,
		OnAck: func(ids []string) {
			mu.Lock()
			for _, id := range ids {
				acked[id]++
			}
			mu.Unlock()
			ackEvents.Add(int64(len(ids)))
		},
	}
	// The load must end by itself (Duration, then retries acknowledged by the
	// restarted server); the timeout only bounds a broken server.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	type result struct {
		rep loadgen.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := loadgen.Run(ctx, cfg)
		done <- result{rep, err}
	}()

	if !testwait.Poll(20*time.Second, func() bool { return ackEvents.Load() >= crashAfterEvents }) {
		cancel()
		r := testwait.Recv(t, done, time.Minute, "the cancelled load to end")
		t.Fatalf("only %d events acknowledged after 20s (want %d before the kill); loadgen: %v\n%s",
			ackEvents.Load(), crashAfterEvents, r.err, r.rep)
	}
	srv.Kill()
	ackedAtKill := ackEvents.Load()
	killedAt := time.Now()
	time.Sleep(crashDowntime) // the outage under test, not a wait for a condition
	srv.Start()
	t.Logf("killed after %d acknowledged events; back after %s", ackedAtKill, time.Since(killedAt).Round(time.Millisecond))

	// The load's context ends after 90 s; the bound only covers a loadgen
	// that would not return then.
	r := testwait.Recv(t, done, 2*time.Minute, "the load to end")
	rep := r.rep
	t.Logf("loadgen:\n%s", rep)
	if r.err != nil {
		t.Fatalf("loadgen: %v", r.err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the load did not finish within 90s: its retries were never all acknowledged")
	}
	if rep.Errors == 0 {
		t.Fatalf("no request failed: the kill did not interrupt the load, so this run proves nothing")
	}
	if ackEvents.Load() <= ackedAtKill {
		t.Fatalf("no event acknowledged after the restart")
	}

	// The clients' side: nothing generated was given up, nothing acknowledged
	// twice.
	if rep.Dropped != 0 || rep.Events != rep.Generated {
		t.Errorf("%d of %d generated events were never acknowledged", rep.Generated-rep.Events, rep.Generated)
	}
	mu.Lock()
	ackedIDs := maps.Clone(acked)
	mu.Unlock()
	if int64(len(ackedIDs)) != rep.Events {
		t.Errorf("%d distinct acknowledged ids, report says %d events", len(ackedIDs), rep.Events)
	}
	for id, n := range ackedIDs {
		if n != 1 {
			t.Errorf("event %s acknowledged %d times", id, n)
		}
	}

	// The server's side, through the read API.
	reads := newAPI(t, srv, reader.Key)
	stored := map[string]int{}
	sessions := listAll[apiSession](reads, "/api/v1/sessions")
	for _, s := range sessions {
		events := listAll[apiEvent](reads, "/api/v1/sessions/"+s.ID+"/events")
		for _, e := range events {
			stored[e.ID]++
			if e.SessionID != s.ID || e.VisitorID != s.VisitorID {
				t.Errorf("event %s of session %s/visitor %s listed under session %s/visitor %s",
					e.ID, e.SessionID, e.VisitorID, s.ID, s.VisitorID)
			}
		}
		if s.EventCount != len(events) {
			t.Errorf("session %s: eventCount %d, but %d events listed", s.ID, s.EventCount, len(events))
		}
	}
	t.Logf("%d sessions, %d distinct events stored", len(sessions), len(stored))
	var twice, missing, unacked []string
	for id, n := range stored {
		if n > 1 {
			twice = append(twice, id)
		}
		if ackedIDs[id] == 0 {
			unacked = append(unacked, id)
		}
	}
	for id := range ackedIDs {
		if stored[id] == 0 {
			missing = append(missing, id)
		}
	}
	for name, ids := range map[string][]string{
		"stored more than once":                       twice,
		"acknowledged but not stored (lost)":          missing,
		"stored but never acknowledged to the client": unacked,
	} {
		if len(ids) > 0 {
			slices.Sort(ids)
			t.Errorf("%d events %s, e.g. %v", len(ids), name, ids[:min(5, len(ids))])
		}
	}
}
