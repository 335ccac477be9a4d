package store_test

import (
	"context"
	"testing"

	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

var (
	_ store.Engine = (*sqlite.DB)(nil)
	_ store.Engine = (*postgres.DB)(nil)
)

func TestOpenPicksEngine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct{ url, want string }{
		{"sqlite:" + dir + "/a/presage.db", "sqlite"},
		{"file:" + dir + "/b.db?mode=rwc", "sqlite"},
		{dir + "/c.db", "sqlite"},
		{storetest.PostgresURL(t), "postgres"},
	}
	for _, c := range cases {
		e, err := store.Open(ctx, c.url)
		if err != nil {
			t.Fatalf("open %s: %v", c.url, err)
		}
		if got := e.Engine(); got != c.want {
			t.Errorf("open %s: engine %s, want %s", c.url, got, c.want)
		}
		if err := e.Ping(ctx); err != nil {
			t.Errorf("ping %s: %v", c.url, err)
		}
		e.Close()
	}
	if _, err := store.Open(ctx, ""); err == nil {
		t.Fatal("empty URL opened")
	}
}
