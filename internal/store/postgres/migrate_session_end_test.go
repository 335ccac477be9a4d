package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// Migration 0010 gives stored sessions their end by the server's clock and
// moves each model's cursor from the order of last events to the order of
// ends, past every session it had learned.
func TestMigrateSessionEnds(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := postgres.MigrateTo(ctx, db, 9); err != nil {
		t.Fatal(err)
	}
	org := presage.Organization{ID: "org_m", Name: "Migrated", SiteKey: "pk_migrated0000000", IdentitySecret: []byte("x"), CreatedAt: time.Now()}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	// Sessions by last event: a (1 s), b (2 s), c (3 s); their latest
	// batches were received at 5, 3 and 4 s. The model learned a and b.
	for _, s := range []struct {
		id             string
		last, received int64
	}{{"a", 1000, 5000}, {"b", 2000, 3000}, {"c", 3000, 4000}} {
		exec(`INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count) VALUES ($1, $2, 'v', $3, $4, 1)`,
			org.ID, s.id, at(0), at(s.last))
		exec(`INSERT INTO events (org_id, id, session_id, visitor_id, type, occurred_at, received_at) VALUES ($1, $2, $3, 'v', 'pageview', $4, $5)`,
			org.ID, "e-"+s.id, s.id, at(s.last), at(s.received))
	}
	exec(`INSERT INTO sessions (org_id, id, visitor_id, started_at, last_event_at, event_count) VALUES ($1, 'd', 'v', $2, $3, 0)`, org.ID, at(0), at(6000))
	model := `INSERT INTO models (org_id, outcome_id, version, model, monitor, reference, cursor_at, cursor_id, examples, sessions, positives, updated_at)
		VALUES ($1, $2, 1, '', '', '', $3, $4, 0, 0, 0, now())`
	exec(model, org.ID, "out_learned", at(2000), "b")
	exec(model, org.ID, "out_fresh", at(500), "z")
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	timeout := 30 * time.Minute
	wantEnds := map[string]time.Time{"a": at(5000).Add(timeout), "b": at(3000).Add(timeout), "c": at(4000).Add(timeout), "d": at(6000).Add(timeout)}
	for id, want := range wantEnds {
		var ends time.Time
		if err := raw.QueryRow(ctx, `SELECT ends_at FROM sessions WHERE org_id = $1 AND id = $2`, org.ID, id).Scan(&ends); err != nil || !ends.Equal(want) {
			t.Errorf("session %s ends at %v (%v), want %v", id, ends, err, want)
		}
	}
	cursor := func(outcome string) (time.Time, string) {
		t.Helper()
		var c time.Time
		var id string
		if err := raw.QueryRow(ctx, `SELECT cursor_at, cursor_id FROM models WHERE org_id = $1 AND outcome_id = $2`, org.ID, outcome).Scan(&c, &id); err != nil {
			t.Fatal(err)
		}
		return c, id
	}
	if c, id := cursor("out_learned"); !c.Equal(wantEnds["a"]) || id != "a" {
		t.Errorf("cursor of the model that learned a and b: (%v, %q), want (%v, \"a\")", c, id, wantEnds["a"])
	}
	if c, id := cursor("out_fresh"); c.After(at(0)) || id != "" {
		t.Errorf("cursor of the model that learned nothing: (%v, %q), want the start", c, id)
	}
}
