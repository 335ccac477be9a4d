package app

import (
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/store/keystore"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// backupSubject is one person written through the collector, with the
// plaintext values that must never be readable once they are erased.
type backupSubject struct {
	visitor, email, name, query string
}

// write sends the subject's visit: an identify and a search whose URL,
// title and attributes carry personal text.
func (s backupSubject) write(t *testing.T, n *node, tf tenantFixture) {
	t.Helper()
	identify(t, n, tf, s.visitor, map[string]any{"email": s.email, "name": s.name})
	at := time.Now().Add(-30 * time.Second)
	b := map[string]any{"siteKey": tf.Org.SiteKey, "visitorId": s.visitor, "sessionId": "session-" + s.visitor,
		"sentAt": at.Add(time.Second).UnixMilli(), "events": []map[string]any{{
			"id": "evt-" + s.visitor + "-search", "type": "search", "ts": at.UnixMilli(),
			"url":        "https://shop.example/search?q=" + strings.ReplaceAll(s.query, " ", "+"),
			"title":      "Results for " + s.query + " | " + s.name,
			"attributes": map[string]any{"query": s.query, "note": "for " + s.email},
		}}}
	if code, out := send(t, n, tf, b, chromeUA); code != 200 {
		t.Fatalf("search of %s: %d %v", s.visitor, code, out)
	}
}

// secrets are the personal values a raw scan looks for: the email, the
// surname and the longest search word (short words such as "Ada" would match
// ciphertext by chance).
func (s backupSubject) secrets() []string {
	name := strings.Fields(s.name)
	longest := ""
	for _, w := range strings.Fields(s.query) {
		if len(w) > len(longest) {
			longest = w
		}
	}
	return []string{s.email, name[len(name)-1], longest}
}

// backupFiles is a copy of a journey database without its key store.
type backupFiles struct {
	path string
}

// backupJourney copies the journey database of cfg, without the key store,
// the way an operator backs it up.

func backupJourney(t *testing.T, cfg Config) backupFiles {
	t.Helper()
	dir := t.TempDir()
	if cfg.DatabaseURL != "" {
		out := filepath.Join(dir, "presage.sql")
		cmd := exec.Command("pg_dump", "--no-owner", "--exclude-schema="+keystore.Schema, "--file="+out, cfg.DatabaseURL)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, b)
		}
		return backupFiles{out}
	}
	// VACUUM INTO on a connection of its own is a consistent copy of a
	// database in use, WAL included.
	out := filepath.Join(dir, "presage.db")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, "presage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`VACUUM INTO ?`, out); err != nil {
		t.Fatalf("vacuum into: %v", err)
	}
	return backupFiles{out}
}

// restore makes a database from the backup and returns the configuration of
// a node on the restored copy that uses the key store of cfg as it is now.
func (b backupFiles) restore(t *testing.T, cfg Config) Config {
	t.Helper()
	if cfg.DatabaseURL != "" {
		target := storetest.PostgresURL(t)
		cmd := exec.Command("psql", "--quiet", "-v", "ON_ERROR_STOP=1", "--file="+b.path, target)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("psql restore: %v\n%s", err, out)
		}
		// The master key stays in the data directory; the key store stays
		// in the original database.
		return Config{DataDir: cfg.DataDir, DatabaseURL: target, KeystoreURL: cfg.DatabaseURL}
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, b.path, filepath.Join(dir, "presage.db"))
	// The key store and the master key as they are now, after the erasure;
	// the original node is stopped, so its files are closed and checkpointed.
	for _, f := range []string{keystore.FileName, keystore.FileName + "-wal", "master.key"} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, f)); err == nil {
			copyFile(t, filepath.Join(cfg.DataDir, f), filepath.Join(dir, f))
		}
	}
	return Config{DataDir: dir}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestGDPRErasureReachesBackups restores a backup taken before an erasure
// and shows that the erased subject cannot be read from it: its values were
// only ever stored sealed, and erasure destroyed the keys, which a journey
// backup does not hold. A subject who was not erased stays readable.
func TestGDPRErasureReachesBackups(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		start := time.Now()
		cfg.Logger = errorLog(t)
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Backup")
		ada := backupSubject{visitor: "visitor-backup-ada", email: "ada.lovelace@example.com", name: "Ada Lovelace",
			query: "difference analytical engine"}
		grace := backupSubject{visitor: "visitor-backup-grace", email: "grace.hopper@example.com", name: "Grace Hopper",
			query: "compiler cobol flowmatic"}
		ada.write(t, n, shop)
		grace.write(t, n, shop)
		matches := searchSubjects(t, n, shop.Key, "email", ada.email)
		if len(matches) != 1 || matches[0].CustomerID == nil {
			t.Fatalf("search before the erasure: %+v", matches)
		}
		customer := *matches[0].CustomerID
		graceCustomer := *searchSubjects(t, n, shop.Key, "email", grace.email)[0].CustomerID

		backup := backupJourney(t, cfg)
		if r := serveGDPR(t, n, shop.Key, "erase", ada.email, nil); r.Result == nil || r.Result.NothingHeld {
			t.Fatalf("erasure: %+v", r)
		}
		if cfg.DatabaseURL == "" {
			n.stop()
		}
		rcfg := backup.restore(t, cfg)
		r := startNode(t, rcfg)

		// The restored copy still has the subject's rows (the backup is from
		// before the erasure), but none of their personal values.
		var cust struct {
			ID     string         `json:"id"`
			Traits map[string]any `json:"traits"`
		}
		if code := r.call("GET", "/api/v1/customers/"+customer, shop.Key, nil, nil, &cust); code != 200 || cust.ID != customer {
			t.Fatalf("restored customer: %d %+v", code, cust)
		}
		if len(cust.Traits) != 0 {
			t.Errorf("the erased customer's traits read back from the backup: %v", cust.Traits)
		}
		checkJourney := func(s backupSubject, readable bool) {
			t.Helper()
			var sess struct {
				ID         string `json:"id"`
				LandingURL string `json:"landingUrl"`
				Referrer   string `json:"referrer"`
			}
			if code := r.call("GET", "/api/v1/sessions/session-"+s.visitor, shop.Key, nil, nil, &sess); code != 200 {
				t.Fatalf("restored session of %s: %d", s.visitor, code)
			}
			if readable != (sess.LandingURL != "") {
				t.Errorf("session of %s (readable %v): landing URL %q", s.visitor, readable, sess.LandingURL)
			}
			_, events := visitorJourney(t, r, shop.Key, s.visitor)
			if len(events) != 4 { // two pageviews, the identify, the search
				t.Fatalf("restored events of %s: %d, want 4", s.visitor, len(events))
			}
			for _, e := range events {
				raw, _ := json.Marshal(e)
				hasURL := e.URL != ""
				if readable != hasURL {
					t.Errorf("event %s of %s (readable %v): %s", e.ID, s.visitor, readable, raw)
				}
				for _, w := range s.secrets() {
					if !readable && strings.Contains(strings.ToLower(string(raw)), strings.ToLower(w)) {
						t.Errorf("event %s of the erased subject reads %q from the backup: %s", e.ID, w, raw)
					}
				}
				if e.Type == "search" && readable && e.Attributes["query"] != s.query {
					t.Errorf("the kept subject's search reads %v", e.Attributes)
				}
			}
		}
		checkJourney(ada, false)
		checkJourney(grace, true)
		var gc struct {
			Traits map[string]any `json:"traits"`
		}
		if code := r.call("GET", "/api/v1/customers/"+graceCustomer, shop.Key, nil, nil, &gc); code != 200 ||
			gc.Traits["email"] != grace.email || gc.Traits["name"] != grace.name {
			t.Errorf("the kept customer in the restored copy: %d %+v", code, gc)
		}

		// The raw files: no plaintext of either subject, ever.
		if hits := findInDatabase(t, rcfg, append(ada.secrets(), grace.secrets()...)); len(hits) > 0 {
			t.Errorf("plaintext personal values in the restored database:\n  %s", strings.Join(hits, "\n  "))
		}
		t.Logf("backup round trip took %v", time.Since(start))
	})
}
