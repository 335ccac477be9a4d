package sqlite_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// Migration 0010 gives stored sessions their end by the server's clock and
// moves each model's cursor from the order of last events to the order of
// ends, past every session it had learned.
func TestMigrateSessionEnds(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlite.MigrateTo(ctx, db, 9); err != nil {
		t.Fatal(err)
	}
	org := presage.Organization{ID: "org_m", Name: "Migrated", SiteKey: "pk_migrated0000000", IdentitySecret: []byte("x"), CreatedAt: time.Now()}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Sessions by last event: a (1 s), b (2 s), c (3 s); their latest
	// batches were received at 5, 3 and 4 s. The model learned a and b.
	for _, s := range []struct {
		id             string
		last, received int64
	}{{"a", 1000, 5000}, {"b", 2000, 3000}, {"c", 3000, 4000}} {
		exec(`INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count) VALUES (?, ?, 'v', 0, ?, 1)`, org.ID, s.id, s.last)
		exec(`INSERT INTO events (org_id, id, session_id, visitor_id, type, occurred_at, received_at) VALUES (?, ?, ?, 'v', 'pageview', ?, ?)`,
			org.ID, "e-"+s.id, s.id, s.last, s.received)
	}
	exec(`INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count) VALUES (?, 'd', 'v', 0, 6000, 0)`, org.ID)
	model := `INSERT INTO models (org_id, outcome_id, version, model, monitor, reference, cursor_at, cursor_id, examples, sessions, positives, updated_at)
		VALUES (?, ?, 1, x'', x'', x'', ?, ?, 0, 0, 0, 0)`
	exec(model, org.ID, "out_learned", 2000, "b")
	exec(model, org.ID, "out_fresh", 500, "z")
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const timeout = int64(30 * time.Minute / time.Millisecond)
	wantEnds := map[string]int64{"a": 5000 + timeout, "b": 3000 + timeout, "c": 4000 + timeout, "d": 6000 + timeout}
	for id, want := range wantEnds {
		var ends int64
		if err := raw.QueryRowContext(ctx, `SELECT ends_at FROM sessions WHERE org_id = ? AND id = ?`, org.ID, id).Scan(&ends); err != nil || ends != want {
			t.Errorf("session %s ends at %d (%v), want %d", id, ends, err, want)
		}
	}
	cursor := func(outcome string) (int64, string) {
		t.Helper()
		var at int64
		var id string
		if err := raw.QueryRowContext(ctx, `SELECT cursor_at, cursor_id FROM models WHERE org_id = ? AND outcome_id = ?`, org.ID, outcome).Scan(&at, &id); err != nil {
			t.Fatal(err)
		}
		return at, id
	}
	if at, id := cursor("out_learned"); at != wantEnds["a"] || id != "a" {
		t.Errorf("cursor of the model that learned a and b: (%d, %q), want (%d, \"a\")", at, id, wantEnds["a"])
	}
	if at, id := cursor("out_fresh"); at != 0 || id != "" {
		t.Errorf("cursor of the model that learned nothing: (%d, %q), want the start", at, id)
	}
}
