package collect

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// CommitterOptions configure a Committer.
type CommitterOptions struct {
	// MaxEvents caps the events of one transaction (default 5000). A single
	// write larger than that still commits, alone.
	MaxEvents int
	// Workers is how many transactions may run at once (default 1: SQLite has
	// one writer; PostgreSQL can use more).
	Workers int
	// Metrics records commit durations and sizes and accepted events; may be nil.
	Metrics *Metrics
}

// Committer accepts writes durably with group commit: while a transaction is
// in flight, arriving writes queue up and together form the next one, so the
// number of transactions adapts to the load without any fixed wait. A write
// is acknowledged only after the store committed the transaction holding it.
type Committer struct {
	store   Store
	opt     CommitterOptions
	base    context.Context // the context of store calls; cancelled when Close gives up
	cancel  context.CancelFunc
	mu      sync.Mutex
	ready   *sync.Cond // signalled when queue grows or the committer closes
	queue   []*pending
	closed  bool
	workers sync.WaitGroup
	drained chan struct{} // closed when every worker returned
}

// pending is one submitted write waiting for its transaction.
type pending struct {
	ctx    context.Context
	write  Write
	state  atomic.Int32 // stateQueued, stateTaken or stateAbandoned
	out    CommitResult
	err    error
	result chan struct{} // closed once out and err are set
}

const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// NewCommitter starts opt.Workers goroutines committing writes to store.
// Close stops them.
func NewCommitter(store Store, opt CommitterOptions) *Committer {
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = 5000
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	base, cancel := context.WithCancel(context.Background())
	c := &Committer{store: store, opt: opt, base: base, cancel: cancel, drained: make(chan struct{})}
	c.ready = sync.NewCond(&c.mu)
	c.workers.Add(opt.Workers)
	for range opt.Workers {
		go c.work()
	}
	go func() {
		c.workers.Wait()
		close(c.drained)
	}()
	return c
}

// Submit queues w and blocks until the transaction holding it is durable, the
// transaction failed (every write in it gets the error; retrying is safe as
// event ids make writes idempotent), or ctx ends. A write whose ctx ended
// before a worker took it is never committed. After Close, Submit returns a
// CodeUnavailable error.
func (c *Committer) Submit(ctx context.Context, w Write) (CommitResult, error) {
	if err := ctx.Err(); err != nil {
		return CommitResult{}, cancelled(err)
	}
	if prep, ok := c.store.(Preparer); ok && !w.Prepared {
		var err error
		if w, err = prep.PrepareWrite(ctx, w); err != nil {
			return CommitResult{}, &presage.Error{Code: presage.CodeUnavailable, Message: "the events could not be stored; retry later",
				Err: fmt.Errorf("prepare write: %w", err)}
		}
	}
	p := &pending{ctx: ctx, write: w, result: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return CommitResult{}, presage.Errorf(presage.CodeUnavailable, "the collector is shutting down; retry later")
	}
	c.queue = append(c.queue, p)
	c.ready.Signal()
	c.mu.Unlock()
	select {
	case <-p.result:
		return p.out, p.err
	case <-ctx.Done():
		// Withdraw the write if no worker took it yet; else its transaction may
		// still commit, but it is not acknowledged (a retry is idempotent).
		p.state.CompareAndSwap(stateQueued, stateAbandoned)
		return CommitResult{}, cancelled(ctx.Err())
	}
}

// Close stops accepting writes and waits until every write submitted before
// it was committed or failed. If ctx ends first, Close cancels the store
// calls in flight and returns ctx's error.
func (c *Committer) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	c.ready.Broadcast()
	c.mu.Unlock()
	select {
	case <-c.drained:
		c.cancel()
		return nil
	case <-ctx.Done():
		c.cancel()
		return fmt.Errorf("drain the committer: %w", ctx.Err())
	}
}

// work commits batches until the committer is closed and its queue empty.
func (c *Committer) work() {
	defer c.workers.Done()
	for {
		batch := c.take()
		if batch == nil {
			return
		}
		c.commit(batch)
	}
}

// take waits for queued writes and removes up to MaxEvents events' worth
// (at least one write). It returns nil once closed and drained.
func (c *Committer) take() []*pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		var batch []*pending
		events, n := 0, 0
		for n < len(c.queue) {
			p := c.queue[n]
			size := len(p.write.Events)
			if len(batch) > 0 && events+size > c.opt.MaxEvents {
				break
			}
			n++
			if p.ctx.Err() != nil {
				p.state.CompareAndSwap(stateQueued, stateAbandoned)
			}
			if !p.state.CompareAndSwap(stateQueued, stateTaken) {
				continue // its submitter gave up: never committed
			}
			batch = append(batch, p)
			events += size
		}
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil // let the backing array go
		}
		if len(batch) > 0 {
			if len(c.queue) > 0 {
				c.ready.Signal() // more than one transaction's worth: wake another worker
			}
			return batch
		}
		if c.closed && len(c.queue) == 0 {
			return nil
		}
		if len(c.queue) == 0 {
			c.ready.Wait()
		}
	}
}

// commit runs one transaction for batch and hands each write its result.
func (c *Committer) commit(batch []*pending) {
	writes := make([]Write, len(batch))
	events := 0
	for i, p := range batch {
		writes[i] = p.write
		events += len(p.write.Events)
	}
	start := time.Now()
	outs, err := c.store.CommitWrites(c.base, writes)
	if err == nil && len(outs) != len(writes) {
		err = fmt.Errorf("store returned %d results for %d writes", len(outs), len(writes))
	}
	c.opt.Metrics.commit(time.Since(start), events)
	if err != nil {
		err = &presage.Error{Code: presage.CodeInternal, Message: "the events could not be stored; retry later",
			Err: fmt.Errorf("commit %d writes: %w", len(writes), err)}
	}
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.out = outs[i]
			c.opt.Metrics.outcome(p.out)
		}
		close(p.result)
	}
}

// cancelled is the error of a write whose request ended before its commit.
func cancelled(err error) error {
	return &presage.Error{Code: presage.CodeUnavailable, Message: "the request ended before its events were stored",
		Err: err}
}
