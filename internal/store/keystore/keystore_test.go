package keystore

import (
	"context"
	"github.com/presage-dev/presage/internal/store/storetest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/keys"
)

func TestDefaultTarget(t *testing.T) {
	tests := []struct {
		dataDir, databaseURL, want string
	}{
		{"/var/lib/presage", "", "sqlite:" + filepath.Join("/var/lib/presage", FileName)},
		{"/var/lib/presage", "sqlite:/srv/db/presage.db", "sqlite:" + filepath.Join("/srv/db", FileName)},
		{"/var/lib/presage", "/srv/db/presage.db", "sqlite:" + filepath.Join("/srv/db", FileName)},
		{"/var/lib/presage", "postgres://db.internal/presage", "postgres://db.internal/presage"},
		{"/var/lib/presage", "postgresql://db.internal/presage?sslmode=verify-full", "postgresql://db.internal/presage?sslmode=verify-full"},
	}
	for _, tt := range tests {
		if got := DefaultTarget(tt.dataDir, tt.databaseURL); got != tt.want {
			t.Errorf("DefaultTarget(%q, %q) = %q, want %q", tt.dataDir, tt.databaseURL, got, tt.want)
		}
	}
}

func TestOpenTargets(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		target  string
		wantErr string
	}{
		{target: "", wantErr: "empty target"},
		{target: "sqlite:", wantErr: "empty path"},
		{target: "sqlite:" + filepath.Join(dir, "a", FileName)},
		{target: "file:" + filepath.Join(dir, "b", FileName) + "?mode=rwc"},
		{target: filepath.Join(dir, "c", FileName)},
	}
	for _, tt := range tests {
		s, err := Open(context.Background(), tt.target)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open(%q) err = %v, want %q", tt.target, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tt.target, err)
			continue
		}
		s.Close()
	}
}

// Nodes starting together all migrate the same empty key store; the keys a
// node stored survive a restart.
func TestOpenConcurrentlyAndReopen(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			target := e.target(t)
			const nodes = 6
			errs := make([]error, nodes)
			var wg sync.WaitGroup
			for i := range nodes {
				wg.Go(func() {
					s, err := Open(ctx, target)
					if err == nil {
						err = s.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("node %d: %v", i, err)
				}
			}
			s, err := Open(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			want := dataKey("org_a", "v1")
			if _, err := s.CreateDataKeys(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateDataKeys(ctx, []keys.DataKey{want}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = openTarget(t, target)
			got, err := s.DataKeysByID(ctx, "org_a", []string{want.ID})
			if err != nil || len(got) != 1 {
				t.Fatalf("after reopening: %v, %v", got, err)
			}
			sameKey(t, got[0], want)
		})
	}
}

// On PostgreSQL every key store table lives in the schema presage_keys, so
// pg_dump --exclude-schema=presage_keys leaves all of it out of journey
// backups; and a key store newer than the binary is refused.
func TestPostgresSchema(t *testing.T) {
	ctx := context.Background()
	target := storetest.PostgresURL(t)
	openTarget(t, target)
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var outside int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', $1)`,
		Schema).Scan(&outside); err != nil {
		t.Fatal(err)
	}
	if outside != 0 {
		t.Fatalf("%d key store tables outside schema %s", outside, Schema)
	}
	var inside int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'data_keys'`,
		Schema).Scan(&inside); err != nil || inside != 1 {
		t.Fatalf("data_keys in %s: %d, %v", Schema, inside, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO `+Schema+`.schema_migrations (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, target); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open of a newer key store: %v", err)
	}
}
