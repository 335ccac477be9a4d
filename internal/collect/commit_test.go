package collect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

// gate blocks the first store call until it is opened.
type gate struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

func (g *gate) commit(ctx context.Context, _ []Write) error {
	first := false
	g.once.Do(func() { first = true; close(g.entered) })
	if first {
		<-g.open
	}
	return nil
}

func write(id string, events int) Write {
	w := Write{OrgID: "org_test", Visitor: presage.Visitor{ID: "visitor-" + id}}
	for i := range events {
		w.Events = append(w.Events, presage.Event{ID: fmt.Sprintf("%s-%d", id, i)})
	}
	return w
}

// queued reports how many writes wait in c's queue.
func queued(c *Committer) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, testwait.Timeout, what, cond)
}

// waitEntered waits until the gate's first store call has begun.
func (g *gate) waitEntered(t *testing.T) {
	t.Helper()
	testwait.Closed(t, g.entered, testwait.Timeout, "the first store call")
}

func closeCommitter(t *testing.T, c *Committer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestCommitterGroupsWritesWhileOneIsInFlight(t *testing.T) {
	g := newGate()
	store := &fakeStore{commit: g.commit}
	c := NewCommitter(store, CommitterOptions{})
	defer closeCommitter(t, c)

	var wg sync.WaitGroup
	results := make(chan error, 51)
	submit := func(id string) {
		defer wg.Done()
		out, err := c.Submit(context.Background(), write(id, 2))
		if err == nil && out != (CommitResult{Stored: 2}) {
			err = fmt.Errorf("outcome %+v", out)
		}
		results <- err
	}
	wg.Add(1)
	go submit("first")
	g.waitEntered(t)
	for i := range 50 {
		wg.Add(1)
		go submit(fmt.Sprint("w", i))
	}
	waitFor(t, "50 queued writes", func() bool { return queued(c) == 50 })
	close(g.open)
	testwait.Wait(t, &wg, testwait.Timeout, "the 51 writes")
	close(results)
	for err := range results {
		if err != nil {
			t.Fatal(err)
		}
	}
	calls := store.snapshot()
	if len(calls) != 2 || len(calls[0]) != 1 || len(calls[1]) != 50 {
		t.Fatalf("store calls = %d (sizes %v), want 2 transactions of 1 and 50 writes", len(calls), sizes(calls))
	}
}

func sizes(calls [][]Write) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = len(c)
	}
	return out
}

func TestCommitterCapsEventsPerTransaction(t *testing.T) {
	g := newGate()
	store := &fakeStore{commit: g.commit}
	c := NewCommitter(store, CommitterOptions{MaxEvents: 10})
	defer closeCommitter(t, c)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.Submit(context.Background(), write("first", 1)) }()
	g.waitEntered(t)
	for i := range 7 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Submit(context.Background(), write(fmt.Sprint("w", i), 3)) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); c.Submit(context.Background(), write("huge", 25)) }()
	waitFor(t, "8 queued writes", func() bool { return queued(c) == 8 })
	close(g.open)
	testwait.Wait(t, &wg, testwait.Timeout, "the 9 writes")
	total := 0
	for _, call := range store.snapshot()[1:] {
		events := 0
		for _, w := range call {
			events += len(w.Events)
		}
		if events > 10 && len(call) > 1 {
			t.Errorf("transaction of %d writes holds %d events, over the cap", len(call), events)
		}
		total += len(call)
	}
	if total != 8 {
		t.Errorf("%d writes committed after the first, want 8", total)
	}
}

func TestCommitterPropagatesStoreErrors(t *testing.T) {
	boom := errors.New("disk full")
	g := newGate()
	var calls atomic.Int32
	store := &fakeStore{commit: func(ctx context.Context, w []Write) error {
		g.commit(ctx, w)
		if calls.Add(1) == 2 {
			return boom
		}
		return nil
	}}
	c := NewCommitter(store, CommitterOptions{})
	defer closeCommitter(t, c)
	go c.Submit(context.Background(), write("first", 1))
	g.waitEntered(t)
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { _, err := c.Submit(context.Background(), write(fmt.Sprint("w", i), 1)); errs <- err }()
	}
	waitFor(t, "3 queued writes", func() bool { return queued(c) == 3 })
	close(g.open)
	for range 3 {
		err := testwait.Recv(t, errs, testwait.Timeout, "a failed write's error")
		if !errors.Is(err, boom) || presage.ErrorCode(err) != presage.CodeInternal || presage.ErrorMessage(err) == boom.Error() {
			t.Errorf("err = %v, want the store error wrapped as internal with a safe message", err)
		}
	}
	// The committer keeps working after a failed transaction.
	if out, err := c.Submit(context.Background(), write("after", 1)); err != nil || out.Stored != 1 {
		t.Errorf("after a failure: %+v %v", out, err)
	}
}

func TestCommitterRejectsResultMismatch(t *testing.T) {
	c := NewCommitter(badStore{}, CommitterOptions{})
	defer closeCommitter(t, c)
	if _, err := c.Submit(context.Background(), write("a", 1)); presage.ErrorCode(err) != presage.CodeInternal {
		t.Errorf("err = %v", err)
	}
}

type badStore struct{}

func (badStore) CommitWrites(context.Context, []Write) ([]CommitResult, error) { return nil, nil }

func TestCommitterCancelledWriteIsNotCommitted(t *testing.T) {
	g := newGate()
	store := &fakeStore{commit: g.commit}
	c := NewCommitter(store, CommitterOptions{})
	defer closeCommitter(t, c)
	go c.Submit(context.Background(), write("first", 1))
	g.waitEntered(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := c.Submit(ctx, write("cancelled", 1)); done <- err }()
	waitFor(t, "queued write", func() bool { return queued(c) == 1 })
	cancel()
	if err := testwait.Recv(t, done, testwait.Timeout, "the cancelled write's error"); !errors.Is(err, context.Canceled) || presage.ErrorCode(err) != presage.CodeUnavailable {
		t.Errorf("err = %v, want unavailable wrapping context.Canceled", err)
	}
	close(g.open)
	if _, err := c.Submit(context.Background(), write("later", 1)); err != nil {
		t.Fatal(err)
	}
	for _, call := range store.snapshot() {
		for _, w := range call {
			if w.Visitor.ID == "visitor-cancelled" {
				t.Error("a write whose context ended before pickup was committed")
			}
		}
	}
	// An already-ended context never queues.
	if _, err := c.Submit(ctx, write("dead", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("ended ctx: %v", err)
	}
}

func TestCommitterCloseDrainsThenRefuses(t *testing.T) {
	g := newGate()
	store := &fakeStore{commit: g.commit}
	c := NewCommitter(store, CommitterOptions{})
	var wg sync.WaitGroup
	var committed atomic.Int32
	submit := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := c.Submit(context.Background(), write(fmt.Sprint("w", i), 1)); err == nil && out.Stored == 1 {
				committed.Add(1)
			}
		}()
	}
	submit(0)
	g.waitEntered(t)
	for i := 1; i < 5; i++ {
		submit(i)
	}
	waitFor(t, "4 queued writes", func() bool { return queued(c) == 4 })
	closed := make(chan error)
	go func() { closed <- c.Close(context.Background()) }()
	waitFor(t, "close to begin", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.closed })
	if _, err := c.Submit(context.Background(), write("late", 1)); presage.ErrorCode(err) != presage.CodeUnavailable {
		t.Errorf("Submit after Close: %v, want unavailable", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before draining", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(g.open)
	if err := testwait.Recv(t, closed, testwait.Timeout, "Close to drain"); err != nil {
		t.Fatal(err)
	}
	testwait.Wait(t, &wg, testwait.Timeout, "the drained writes")
	if committed.Load() != 5 {
		t.Errorf("%d of 5 writes committed by Close", committed.Load())
	}
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCommitterCloseGivesUpWithItsContext(t *testing.T) {
	entered := make(chan struct{})
	store := &fakeStore{commit: func(ctx context.Context, _ []Write) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}}
	c := NewCommitter(store, CommitterOptions{})
	errc := make(chan error)
	go func() { _, err := c.Submit(context.Background(), write("stuck", 1)); errc <- err }()
	testwait.Closed(t, entered, testwait.Timeout, "the store call")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want the deadline", err)
	}
	if err := testwait.Recv(t, errc, testwait.Timeout, "the stuck write's error"); err == nil {
		t.Error("a write whose transaction was cancelled was acknowledged")
	}
}

func TestCommitterConcurrentWorkers(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	store := &fakeStore{commit: func(context.Context, []Write) error {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		// A transaction that takes a while, so that several overlap and the
		// workers' bound is actually tested.
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		return nil
	}}
	metrics := NewMetrics(nil)
	c := NewCommitter(store, CommitterOptions{Workers: 4, Metrics: metrics})
	var wg sync.WaitGroup
	var stored atomic.Int32
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Submit(context.Background(), write(fmt.Sprint("w", i%300), 2))
			if err != nil {
				t.Error(err)
			}
			stored.Add(int32(out.Stored))
		}()
	}
	testwait.Wait(t, &wg, testwait.Timeout, "the 400 writes")
	closeCommitter(t, c)
	if stored.Load() != 600 {
		t.Errorf("stored %d events, want 600 (300 distinct writes of 2)", stored.Load())
	}
	if calls := len(store.snapshot()); calls >= 400 {
		t.Errorf("%d transactions for 400 concurrent writes: no grouping", calls)
	}
	if maxInFlight.Load() > 4 {
		t.Errorf("%d transactions at once with 4 workers", maxInFlight.Load())
	}
}
