package tenant

import (
	"errors"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func TestSiteCacheExpiresAndCachesOnlyNotFound(t *testing.T) {
	now := time.Unix(0, 0)
	c := newSiteCache(time.Second, func() time.Time { return now })
	loads := 0
	load := func(org presage.Organization, err error) func() (presage.Organization, error) {
		return func() (presage.Organization, error) { loads++; return org, err }
	}
	org := presage.Organization{ID: "org_a"}
	if got, _ := c.get("pk_a", load(org, nil)); got.ID != "org_a" || loads != 1 {
		t.Fatalf("first get: %v loads=%d", got, loads)
	}
	c.get("pk_a", load(org, nil))
	if loads != 1 {
		t.Fatalf("cached entry reloaded: loads=%d", loads)
	}
	now = now.Add(1100 * time.Millisecond)
	c.get("pk_a", load(org, nil))
	if loads != 2 {
		t.Fatalf("expired entry not reloaded: loads=%d", loads)
	}
	if _, err := c.get("pk_missing", load(presage.Organization{}, presage.ErrNotFound)); !presage.IsNotFound(err) {
		t.Fatalf("not found: %v", err)
	}
	c.get("pk_missing", load(presage.Organization{}, presage.ErrNotFound))
	if loads != 3 {
		t.Fatalf("not-found result not cached: loads=%d", loads)
	}
	boom := errors.New("db down")
	c.get("pk_err", load(presage.Organization{}, boom))
	c.get("pk_err", load(presage.Organization{}, boom))
	if loads != 5 {
		t.Fatalf("transient errors must not be cached: loads=%d", loads)
	}
}
