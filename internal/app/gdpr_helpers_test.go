package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// errorLog logs the node's errors into the test's output: when a request
// answers 500, the cause is in the failing test's log, not discarded.
func errorLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
}

// gdprMatch is one subject the v1 search answers.
type gdprMatch struct {
	CustomerID *string          `json:"customerId"`
	VisitorIDs []string         `json:"visitorIds"`
	Counts     map[string]int64 `json:"counts"`
}

// searchSubjects answers GET /api/v1/gdpr/subjects for one term.
func searchSubjects(t *testing.T, n *node, key, typ, value string) []gdprMatch {
	t.Helper()
	var l listBody[gdprMatch]
	if code := n.call("GET", "/api/v1/gdpr/subjects?type="+url.QueryEscape(typ)+"&value="+url.QueryEscape(value), key, nil, nil, &l); code != 200 {
		t.Fatalf("search %s %q: %d", typ, value, code)
	}
	return l.Data
}

// serveGDPR creates a v1 data subject request about the subject with the
// given email and waits until it completed.
func serveGDPR(t *testing.T, n *node, key, typ, email string, replacements []map[string]any) gdprRequestBody {
	t.Helper()
	body := map[string]any{"type": typ, "subject": map[string]any{"terms": []map[string]any{{"type": "email", "value": email}}}}
	if replacements != nil {
		body["replacementTerms"] = replacements
	}
	path := "/api/v1/gdpr/requests"
	if typ == "erase" {
		path += "?confirm=true"
	}
	var created gdprRequestBody
	var p problemBody
	if code := n.call("POST", path, key, body, nil, &created); code != 202 || created.ID == "" {
		n.call("POST", path, key, body, nil, &p)
		t.Fatalf("create %s request: %d %+v", typ, code, p)
	}
	return waitForRequest(t, n, key, created.ID)
}

// visitorJourney lists, through the journey API, a visitor's sessions and
// every event of them (all pages).
func visitorJourney(t *testing.T, n *node, key, visitor string) (sessions []string, events []journeyEvent) {
	t.Helper()
	var ss listBody[struct{ ID string }]
	if code := n.call("GET", "/api/v1/sessions?visitorId="+url.QueryEscape(visitor)+"&limit=1000", key, nil, nil, &ss); code != 200 {
		t.Fatalf("sessions of %s: %d", visitor, code)
	}
	for _, s := range ss.Data {
		sessions = append(sessions, s.ID)
		cursor := ""
		for {
			var page listBody[journeyEvent]
			if code := n.call("GET", "/api/v1/sessions/"+s.ID+"/events?limit=1000&cursor="+url.QueryEscape(cursor), key, nil, nil, &page); code != 200 {
				t.Fatalf("events of %s: %d", s.ID, code)
			}
			events = append(events, page.Data...)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return sessions, events
}

// findInDatabase scans every column of every table of the journey database
// of cfg (from its own catalogue), cast to text, for each needle
// (case-insensitively), and returns "table.column holds needle" for each hit.
// It is the raw view an attacker with a copy of the database files has.
func findInDatabase(t *testing.T, cfg Config, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	tables := catalogue(t, cfg)
	names := make([]string, 0, len(tables))
	for table := range tables {
		names = append(names, table)
	}
	sort.Strings(names)
	var count func(query, needle string) int64
	if cfg.DatabaseURL != "" {
		conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		count = func(query, needle string) int64 {
			var c int64
			if err := conn.QueryRow(ctx, query, needle).Scan(&c); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return c
		}
	} else {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, "presage.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		count = func(query, needle string) int64 {
			var c int64
			if err := db.QueryRowContext(ctx, strings.ReplaceAll(query, "$1", "?"), needle).Scan(&c); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return c
		}
	}
	var hits []string
	for _, table := range names {
		for _, column := range tables[table] {
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(lower(CAST(%q AS text)), lower($1)) > 0`, table, column)
			if cfg.DatabaseURL == "" {
				q = fmt.Sprintf(`SELECT count(*) FROM %q WHERE instr(lower(CAST(%q AS TEXT)), lower($1)) > 0`, table, column)
			}
			for _, needle := range needles {
				if needle == "" {
					continue
				}
				if c := count(q, needle); c > 0 {
					hits = append(hits, fmt.Sprintf("%s.%s holds %q (%d rows)", table, column, needle, c))
				}
			}
		}
	}
	return hits
}
