package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Run sends load as cfg says and reports what the server acknowledged. It
// starts new batches until cfg.Duration has passed or cfg.MaxRequests batches
// have been started, then waits for the batches in flight (and, with
// cfg.Retry, for their retries). Cancelling ctx ends the run early; the report
// then covers what was done and Run still returns a nil error.
//
// Run returns an error for an invalid cfg, and when the server answers 401 or
// 403 (unknown site key, origin not allowed): like the tracker it stops
// sending, and the report says what was done until then.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return Report{}, err
	}
	client := cfg.Client
	if client == nil {
		tr := &http.Transport{
			Proxy:               nil, // only ever talk to cfg.URL
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * cfg.Concurrency,
			MaxIdleConnsPerHost: 2 * cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
		}
		defer tr.CloseIdleConnections()
		client = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &runner{
		cfg:      cfg,
		client:   client,
		endpoint: strings.TrimSuffix(cfg.URL, "/") + "/v1/events",
		visitors: make(chan *visitor, cfg.Visitors),
		fatal:    cancel,
	}
	g := newGenerator(cfg.Origin, cfg.SiteKey)
	for range cfg.Visitors {
		r.visitors <- g.newVisitor(cfg.Visitors)
	}

	// start is read before the duration timer starts, so that Elapsed is never
	// shorter than cfg.Duration: the timer cannot fire before start+Duration.
	start := cfg.now()
	// starting ends when no new batch may start; in-flight batches keep ctx.
	starting, stopStarting := context.WithCancel(ctx)
	defer stopStarting()
	if cfg.Duration > 0 {
		var cancelTimer context.CancelFunc
		starting, cancelTimer = context.WithTimeout(starting, cfg.Duration)
		defer cancelTimer()
	}
	workers := make([]*worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{runner: r, gen: newGenerator(cfg.Origin, cfg.SiteKey)}
		workers[i] = w
		wg.Go(func() { w.loop(ctx, starting) })
	}
	wg.Wait()
	elapsed := cfg.now().Sub(start)

	stats := make([]*workerStats, len(workers))
	for i, w := range workers {
		stats[i] = &w.stats
	}
	rep := buildReport(stats, elapsed)
	if cause := context.Cause(ctx); cause != nil && errors.Is(cause, errRefused) {
		return rep, cause
	}
	return rep, nil
}

// errRefused marks a 401 or 403 answer, after which the run stops.
var errRefused = errors.New("loadgen: the server refused the batches")

type runner struct {
	cfg      Config
	client   *http.Client
	endpoint string
	visitors chan *visitor // idle visitors; a tab takes one per batch
	started  atomic.Int64  // batches started, for MaxRequests
	fatal    context.CancelCauseFunc
}

// workerStats is what one worker counted; workers share nothing while
// running, and the report merges their stats at the end.
type workerStats struct {
	requests, events, errors, retries int64
	generated, dropped                int64
	stored, duplicates                int64
	firstError                        string
	latencies                         []time.Duration
}

func (s *workerStats) fail(msg string) {
	s.errors++
	if s.firstError == "" {
		s.firstError = msg
	}
}

type worker struct {
	*runner
	gen   *generator
	stats workerStats
}

// loop sends one batch after another until starting ends.
func (w *worker) loop(ctx, starting context.Context) {
	// starting is a child of ctx, but a child learns of its parent's end a
	// moment after the parent: check both.
	for ctx.Err() == nil && starting.Err() == nil {
		if max := w.cfg.MaxRequests; max > 0 && w.started.Add(1) > int64(max) {
			return
		}
		var v *visitor
		select {
		case v = <-w.visitors:
		case <-starting.Done():
			return
		}
		b := w.gen.batch(v, w.cfg.BatchSize, time.Now())
		w.stats.generated += int64(len(b.wire.Events))
		w.send(ctx, b)
		w.visitors <- v
	}
}

// outcome of one attempt.
type outcome int

const (
	acked outcome = iota
	retryable
	dropped
	refused
)

// send posts b until it is acknowledged, refused or given up.
func (w *worker) send(ctx context.Context, b *batch) {
	first := w.cfg.now()
	backoff := w.cfg.Backoff
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			w.stats.retries++
		}
		out, wait := w.attempt(ctx, b)
		switch {
		case out == acked:
			w.stats.requests++
			w.stats.events += int64(len(b.wire.Events))
			w.stats.latencies = append(w.stats.latencies, w.cfg.now().Sub(first))
			if w.cfg.OnAck != nil {
				w.cfg.OnAck(b.ids())
			}
			return
		case out == refused:
			w.stats.dropped += int64(len(b.wire.Events))
			w.fatal(fmt.Errorf("%w: %s", errRefused, w.stats.firstError))
			return
		case out == dropped || !w.cfg.Retry || ctx.Err() != nil:
			w.stats.dropped += int64(len(b.wire.Events))
			return
		}
		d := backoff + time.Duration(w.gen.rnd.Int64N(int64(backoff)/4+1))
		d = min(max(d, wait), w.cfg.MaxBackoff)
		backoff = min(2*backoff, w.cfg.MaxBackoff)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			w.stats.dropped += int64(len(b.wire.Events))
			return
		}
	}
}

// attempt posts b once. wait is the server's Retry-After, if any.
func (w *worker) attempt(ctx context.Context, b *batch) (out outcome, wait time.Duration) {
	body, err := b.encode(time.Now())
	if err != nil {
		w.stats.fail("encode: " + err.Error())
		return dropped, 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint, bytes.NewReader(body))
	if err != nil {
		w.stats.fail(err.Error())
		return dropped, 0
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("Origin", w.cfg.Origin)
	req.Header.Set("User-Agent", b.userAgent)
	req.Header.Set("Accept-Language", b.wire.Context.Lang)
	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return dropped, 0 // the run was cancelled, not a server failure
		}
		w.stats.fail(err.Error())
		return retryable, 0
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		if code == http.StatusOK {
			var ack struct{ Stored, Duplicates int64 }
			if json.Unmarshal(answer, &ack) == nil {
				w.stats.stored += ack.Stored
				w.stats.duplicates += ack.Duplicates
			}
		}
		return acked, 0
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		w.stats.fail(describe(resp, answer))
		return retryable, retryAfter(resp)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		w.stats.fail(describe(resp, answer))
		return refused, 0
	default: // 400, 413, …: retrying cannot help
		w.stats.fail(describe(resp, answer))
		return dropped, 0
	}
}

// describe summarizes a failed answer: its status and problem detail.
func describe(resp *http.Response, body []byte) string {
	var p struct{ Title, Detail string }
	msg := resp.Status
	if json.Unmarshal(body, &p) == nil {
		if p.Detail != "" {
			msg += ": " + p.Detail
		} else if p.Title != "" {
			msg += ": " + p.Title
		}
	}
	return msg
}

// retryAfter returns the delay of a Retry-After header in seconds, or 0.
func retryAfter(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}
