// Package loadgen posts realistic tracker batches (docs/collector-protocol.md)
// to one Presage server and measures how fast they are acknowledged. It
// simulates browsers: visitors with a User-Agent, a time zone and a screen,
// sessions that land from a search engine, a social network, a newsletter or
// nowhere, and then browse, search, add products to the cart, fill in forms and
// sometimes identify themselves.
//
// It owns nothing but the traffic: it never reads from the server and only
// ever sends to Config.URL. Point it at servers you run; the tests use
// loopback only.
package loadgen

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Config says what load to send where.
type Config struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:8080; batches go to
	// URL + "/v1/events". Required.
	URL string
	// SiteKey is the organization's site key ("pk_…"). Required.
	SiteKey string
	// Origin is sent as the Origin header and is the origin of every page URL.
	// Default: the origin of URL.
	Origin string
	// Concurrency is the number of simulated browser tabs sending at once
	// (default 1). Each has at most one batch in flight, like the tracker.
	Concurrency int
	// BatchSize is the number of events per request, 1–100 (default 20).
	BatchSize int
	// Duration bounds the time during which new batches are started. A batch
	// being retried when it ends is still retried until acknowledged or ctx
	// ends, as a tracker would.
	Duration time.Duration
	// MaxRequests bounds the number of batches started (retries are not
	// counted); 0 means unbounded within Duration. At least one of Duration
	// and MaxRequests must be set.
	MaxRequests int
	// Retry makes a batch that got a network error, 408, 429 or 5xx be sent
	// again with the same event ids until it is acknowledged or ctx ends, with
	// exponential backoff from Backoff to MaxBackoff plus jitter. Without
	// Retry such a batch is dropped.
	Retry bool
	// Backoff is the first retry delay (default 1 s, as the tracker); it
	// doubles at each failed attempt up to MaxBackoff (default 60 s).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Visitors is the number of distinct simulated visitors (default
	// max(100, 4×Concurrency)). A visitor is used by one tab at a time, so
	// fewer visitors than Concurrency lowers the effective concurrency.
	Visitors int
	// Client sends the requests. Default: a client with a 30 s timeout, no
	// proxy and enough idle connections for Concurrency.
	Client *http.Client
	// OnAck, if set, is called once per acknowledged batch with the ids of its
	// events (a fresh slice the callee may keep). It is called from several
	// goroutines at once and should be quick.
	OnAck func(eventIDs []string)

	// now is the clock latencies and Elapsed are measured with; tests set it.
	now func() time.Time
}

const (
	defaultBatchSize  = 20
	defaultBackoff    = time.Second
	defaultMaxBackoff = 60 * time.Second
	maxBatchSize      = 100
)

// normalize validates c and fills in defaults.
func (c Config) normalize() (Config, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("loadgen: URL %q is not an absolute http(s) URL", c.URL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("loadgen: URL %q must be a base URL without query or fragment", c.URL)
	}
	if c.SiteKey == "" {
		return c, errors.New("loadgen: SiteKey is required")
	}
	if c.Origin == "" {
		c.Origin = u.Scheme + "://" + u.Host
	}
	o, err := url.Parse(c.Origin)
	if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" || (o.Path != "" && o.Path != "/") {
		return c, fmt.Errorf("loadgen: Origin %q is not a web origin like https://shop.example", c.Origin)
	}
	c.Origin = o.Scheme + "://" + o.Host
	if c.Duration < 0 || c.MaxRequests < 0 {
		return c, errors.New("loadgen: Duration and MaxRequests must not be negative")
	}
	if c.Duration == 0 && c.MaxRequests == 0 {
		return c, errors.New("loadgen: set Duration or MaxRequests, or both")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.BatchSize == 0 {
		c.BatchSize = defaultBatchSize
	}
	if c.BatchSize < 1 || c.BatchSize > maxBatchSize {
		return c, fmt.Errorf("loadgen: BatchSize %d is outside 1–%d", c.BatchSize, maxBatchSize)
	}
	if c.Visitors <= 0 {
		c.Visitors = max(100, 4*c.Concurrency)
	}
	if c.Backoff <= 0 {
		c.Backoff = defaultBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = defaultMaxBackoff
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = c.Backoff
	}
	return c, nil
}
