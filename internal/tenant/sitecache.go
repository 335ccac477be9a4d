package tenant

import (
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// siteCache remembers site-key lookups for a short TTL: the collector resolves
// a key on every request, and a TTL (not invalidation) keeps nodes that share
// a database in agreement without talking to each other.
type siteCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.RWMutex
	m   map[string]siteEntry
}

type siteEntry struct {
	org     presage.Organization
	err     error // only presage.ErrNotFound is cached, so floods of bad keys stay cheap
	expires time.Time
}

const siteCacheMax = 10000

func newSiteCache(ttl time.Duration, now func() time.Time) *siteCache {
	return &siteCache{ttl: ttl, now: now, m: map[string]siteEntry{}}
}

func (c *siteCache) get(key string, load func() (presage.Organization, error)) (presage.Organization, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.org, e.err
	}
	org, err := load()
	if err != nil && !presage.IsNotFound(err) {
		return org, err
	}
	c.mu.Lock()
	if len(c.m) >= siteCacheMax {
		clear(c.m)
	}
	c.m[key] = siteEntry{org: org, err: err, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return org, err
}
