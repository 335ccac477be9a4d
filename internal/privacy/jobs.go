package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// The steps of a job, in order; Progress.Step names the last one done, so a
// job resumed after a crash skips what is already durable. Every step is
// idempotent: a step interrupted half-way is simply done again.
const (
	stepReceived   = "received"
	stepSearched   = "searched"   // the subject is resolved and counted
	stepTombstoned = "tombstoned" // erase: the collector drops the subject's late events
	stepShredded   = "shredded"   // erase: the data keys are destroyed
	stepErased     = "erased"     // erase: every holder removed its rows
	stepScrubbed   = "scrubbed"   // erase: requests about the subject no longer name it
)

// maxAttempts bounds the retries of a failing job before it is marked
// error; the backoff doubles from 2 s up to 10 minutes.
const maxAttempts = 8

// Work serves at most one pending request (of any organization) and
// reports whether it found one. A failing step is retried later with
// backoff; Work returns an error only when the job queue itself failed.
func (s *Service) Work(ctx context.Context) (bool, error) {
	r, ok, err := s.opt.Store.ClaimRequest(ctx, s.opt.Node, s.now(), s.opt.LeaseTTL)
	if err != nil {
		return false, fmt.Errorf("claim request: %w", err)
	}
	if !ok {
		return false, nil
	}
	j := &job{s: s, r: r}
	stop := j.heartbeat(ctx)
	runErr := j.run(ctx)
	stop()
	if runErr != nil {
		if errors.Is(runErr, errLeaseLost) {
			return true, nil // another node took over; it continues the job
		}
		if err := j.fail(ctx, runErr); err != nil {
			return true, err
		}
	}
	return true, nil
}

var errLeaseLost = errors.New("the request's lease is held by another node")

// job is one claimed request being served. Its state is saved under mu,
// by the steps and by the heartbeat that renews the lease.
type job struct {
	s  *Service
	mu sync.Mutex
	r  Request
}

// save writes the request (after change mutated it) with a renewed lease.
func (j *job) save(ctx context.Context, change func(r *Request)) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	next := j.r
	if change != nil {
		change(&next)
	}
	now := j.s.now()
	next.UpdatedAt = now
	if !next.Status.Terminal() {
		next.LeaseHolder, next.LeaseUntil = j.s.opt.Node, now.Add(j.s.opt.LeaseTTL)
	}
	if err := j.s.opt.Store.SaveRequest(context.WithoutCancel(ctx), next, j.s.opt.Node); err != nil {
		var pe *presage.Error
		if errors.As(err, &pe) && pe.Code == presage.CodeConflict {
			return errLeaseLost
		}
		return fmt.Errorf("save request: %w", err)
	}
	j.r = next
	return nil
}

// heartbeat renews the lease every third of its life until stop is called.
func (j *job) heartbeat(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(j.s.opt.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := j.save(ctx, nil); err != nil {
					j.s.opt.Logger.Warn("gdpr request: renewing the lease failed", "request", j.r.ID, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (j *job) request() Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.r
}

// run does the request's remaining steps.
func (j *job) run(ctx context.Context) error {
	r := j.request()
	if r.Progress.Step == stepReceived {
		if err := j.search(ctx); err != nil {
			return err
		}
		r = j.request()
	}
	sub := Subject{OrgID: r.OrgID, CustomerIDs: r.Progress.CustomerIDs, VisitorIDs: r.Progress.VisitorIDs}
	if sub.Empty() {
		return j.complete(ctx, Result{NothingHeld: true, Counts: Counts{}})
	}
	switch r.Type {
	case RequestExport:
		return j.export(ctx, sub)
	case RequestRectify:
		return j.rectify(ctx, sub)
	case RequestErase:
		return j.erase(ctx, sub)
	default:
		return fmt.Errorf("unknown request type %q", r.Type)
	}
}

// search resolves the subject and counts what is held about it.
func (j *job) search(ctx context.Context) error {
	if err := j.status(ctx, StatusSearching); err != nil {
		return err
	}
	r := j.request()
	sub, err := j.s.resolve(ctx, r.OrgID, r.Terms)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	counts, err := j.s.count(ctx, sub)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return j.save(ctx, func(r *Request) {
		r.Progress = Progress{Step: stepSearched, CustomerIDs: sub.CustomerIDs, VisitorIDs: sub.VisitorIDs,
			Counts: counts, Done: Counts{}, Percent: 10}
	})
}

// status moves the request to st (audited) unless it is there already.
func (j *job) status(ctx context.Context, st Status) error {
	r := j.request()
	if r.Status == st {
		return nil
	}
	if err := j.save(ctx, func(r *Request) { r.Status = st }); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"status": st, "attempt": r.Attempts + 1})
	return j.s.audit(ctx, r.OrgID, "system", "gdpr.request."+string(st), r.ID, detail)
}

// step records a completed step.
func (j *job) step(ctx context.Context, name string, percent int, done Counts) error {
	return j.save(ctx, func(r *Request) {
		r.Progress.Step, r.Progress.Percent = name, percent
		if done != nil {
			if r.Progress.Done == nil {
				r.Progress.Done = Counts{}
			}
			r.Progress.Done.Add(done)
		}
	})
}

// complete finishes the request with res. The completion is audited
// before the status changes, so whoever sees the request completed sees its
// whole trail; a crash between the two leaves the entry, which the retry
// finds instead of writing a second one.
func (j *job) complete(ctx context.Context, res Result) error {
	if err := j.status(ctx, StatusFinalizing); err != nil {
		return err
	}
	r := j.request()
	audited, err := j.s.audited(ctx, r.OrgID, r.ID, "gdpr.request.completed")
	if err != nil {
		return err
	}
	if !audited {
		detail, _ := json.Marshal(map[string]any{"status": StatusCompleted, "nothingHeld": res.NothingHeld, "counts": res.Counts,
			"late": j.s.now().After(r.DueAt)})
		if err := j.s.audit(ctx, r.OrgID, "system", "gdpr.request.completed", r.ID, detail); err != nil {
			return err
		}
	}
	err = j.save(ctx, func(r *Request) {
		r.Status, r.Result, r.Error = StatusCompleted, &res, ""
		r.CompletedAt = j.s.now()
		r.Progress.Percent = 100
		r.LeaseHolder, r.LeaseUntil = "", time.Time{}
		if r.Type == RequestErase {
			// The erasure is done: this request keeps proving it was served,
			// no longer whom it was about.
			r.Terms, r.Progress.CustomerIDs, r.Progress.VisitorIDs, r.Scrubbed = nil, nil, nil, true
		}
	})
	if err != nil {
		return err
	}
	j.s.opt.Metrics.completed(r.Type, StatusCompleted)
	return nil
}

// fail records a failed attempt: retried later with backoff, or marked
// error after maxAttempts.
func (j *job) fail(ctx context.Context, cause error) error {
	r := j.request()
	j.s.opt.Logger.Error("gdpr request failed", "request", r.ID, "org", r.OrgID, "attempt", r.Attempts+1, "err", cause)
	final := r.Attempts+1 >= maxAttempts
	err := j.save(ctx, func(r *Request) {
		r.Attempts++
		r.Error = cause.Error()
		backoff := min(2*time.Second<<min(r.Attempts-1, 10), 10*time.Minute)
		r.NextRunAt = j.s.now().Add(backoff)
		if final {
			r.Status = StatusError
		}
		r.LeaseHolder, r.LeaseUntil = "", time.Time{}
	})
	if err != nil {
		return fmt.Errorf("record failure of %s: %w", r.ID, err)
	}
	if final {
		j.s.opt.Metrics.completed(r.Type, StatusError)
		detail, _ := json.Marshal(map[string]any{"status": StatusError, "attempts": r.Attempts + 1})
		return j.s.audit(ctx, r.OrgID, "system", "gdpr.request.error", r.ID, detail)
	}
	return nil
}

// Run serves requests and enforces retention until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	poll := time.NewTicker(s.opt.PollInterval)
	defer poll.Stop()
	purge := time.NewTicker(s.opt.PurgeInterval)
	defer purge.Stop()
	s.purgeAll(ctx)
	for {
		for {
			found, err := s.Work(ctx)
			if err != nil && ctx.Err() == nil {
				s.opt.Logger.Error("gdpr job queue", "err", err)
			}
			if !found || err != nil || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		case <-s.wake:
		case <-purge.C:
			s.purgeAll(ctx)
		}
	}
}
