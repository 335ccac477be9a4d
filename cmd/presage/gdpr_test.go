package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/app"
	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

// trackAda stores a journey in which visitor-ada-1 identifies as
// ada@example.com, through the collector of an app over dir.
func trackAda(t *testing.T, dir, orgID string) {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	now := time.Now().Add(-time.Minute)
	body, _ := json.Marshal(map[string]any{"visitorId": "visitor-ada-1", "sessionId": "session-ada-1", "sentAt": now.UnixMilli(),
		"events": []map[string]any{
			{"id": "evt-ada-1", "type": "pageview", "ts": now.UnixMilli(), "url": "https://shop.example/"},
			{"id": "evt-ada-2", "type": "identify", "ts": now.Add(time.Millisecond).UnixMilli(),
				"traits": map[string]any{"email": "ada@example.com"}},
		}})
	if _, err := a.Collector.CollectFromServer(presage.AsOperator(ctx, orgID), collect.ServerInput{Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestGDPRCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "org", "create", "--name", "Shop", "--json", "--data-dir", dir)
	var org orgJSON
	if err := json.Unmarshal([]byte(out), &org); code != 0 || err != nil {
		t.Fatalf("org create: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "purpose", "set", "--org", "Shop", "--name", "analytics", "--basis", "legitimate_interest",
		"--data-dir", dir); code != 0 {
		t.Fatalf("purpose set: %d %s", code, errOut)
	}
	trackAda(t, dir, org.ID)

	var matches []matchJSON
	code, out, errOut = runCLI(t, "gdpr", "search", "--org", "Shop", "--type", "email", "--value", "ada@example.com", "--json", "--data-dir", dir)
	if err := json.Unmarshal([]byte(out), &matches); code != 0 || err != nil || len(matches) != 1 ||
		len(matches[0].VisitorIDs) != 1 || matches[0].VisitorIDs[0] != "visitor-ada-1" {
		t.Fatalf("search: %d %q %s", code, out, errOut)
	}

	bundle := filepath.Join(dir, "ada.json")
	code, out, errOut = runCLI(t, "gdpr", "export", "--org", "Shop", "--email", "ada@example.com", "--out", bundle, "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "completed") || !strings.Contains(out, "Bundle written to") {
		t.Fatalf("export: %d %q %s", code, out, errOut)
	}
	b, err := os.ReadFile(bundle)
	if err != nil || !json.Valid(b) || !strings.Contains(string(b), "visitor-ada-1") {
		t.Fatalf("bundle: %v %.200s", err, b)
	}
	if st, err := os.Stat(bundle); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode: %v %v", st, err)
	}

	var nobody requestJSON
	code, out, errOut = runCLI(t, "gdpr", "export", "--org", "Shop", "--phone", "+33612345678", "--json", "--data-dir", dir)
	if err := json.Unmarshal([]byte(out), &nobody); code != 0 || err != nil || nobody.Result == nil || !nobody.Result.NothingHeld {
		t.Fatalf("nothing-held export: %d %q %s", code, out, errOut)
	}

	if code, out, errOut := runCLI(t, "gdpr", "rectify", "--org", "Shop", "--email", "ada@example.com",
		"--replace", "email=ada@example.com=>ada@new.example", "--data-dir", dir); code != 0 || !strings.Contains(out, "completed") {
		t.Fatalf("rectify: %d %q %s", code, out, errOut)
	}
	if _, out, _ := runCLI(t, "gdpr", "search", "--org", "Shop", "--type", "email", "--value", "ada@new.example", "--data-dir", dir); !strings.Contains(out, "visitor-ada-1") {
		t.Errorf("search the rectified email: %q", out)
	}

	// Refusals name the flags.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"erase", "--email", "ada@new.example"}, "--confirm"},
		{[]string{"export"}, "the subject"},
		{[]string{"rectify", "--email", "ada@new.example", "--replace", "email ada"}, "TYPE=EXISTING=>UPDATED"},
		{[]string{"rectify", "--email", "ada@new.example", "--replace", "twitter=a=>b"}, "--replace #1"},
		{[]string{"search", "--type", "twitter", "--value", "x"}, "unknown type"},
		{[]string{"status", "--id", "dsr_missing"}, "not"},
	} {
		args := append([]string{"gdpr", tc.args[0], "--org", "Shop", "--data-dir", dir}, tc.args[1:]...)
		if code, _, errOut := runCLI(t, args...); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, errOut, tc.want)
		}
	}

	code, out, errOut = runCLI(t, "gdpr", "erase", "--org", "Shop", "--email", "ada@new.example", "--confirm", "--json", "--data-dir", dir)
	var erased requestJSON
	if err := json.Unmarshal([]byte(out), &erased); code != 0 || err != nil || erased.Status != "completed" || erased.Result == nil ||
		erased.Result.NothingHeld {
		t.Fatalf("erase: %d %q %s", code, out, errOut)
	}
	if _, out, _ := runCLI(t, "gdpr", "search", "--org", "Shop", "--type", "visitor_id", "--value", "visitor-ada-1", "--data-dir", dir); !strings.Contains(out, "holds nothing") {
		t.Errorf("search after the erasure: %q", out)
	}

	var listed struct {
		Requests []requestJSON `json:"requests"`
		Total    int           `json:"total"`
	}
	code, out, _ = runCLI(t, "gdpr", "list", "--org", "Shop", "--json", "--data-dir", dir)
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || listed.Total != 4 || listed.Requests[0].ID != erased.ID {
		t.Errorf("list: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "gdpr", "list", "--org", "Shop", "--page-size", "3", "--page", "2", "--data-dir", dir); code != 0 ||
		!strings.Contains(out, "Page 2: 1 of 4 requests") {
		t.Errorf("list page 2: %d %q", code, out)
	}
	var status requestJSON
	code, out, _ = runCLI(t, "gdpr", "status", "--org", "Shop", "--id", erased.ID, "--json", "--data-dir", dir)
	if err := json.Unmarshal([]byte(out), &status); code != 0 || err != nil || len(status.Audit) < 2 || status.Audit[0].Actor != presage.OperatorKeyID {
		t.Errorf("status: %d %q", code, out)
	}
	// A completed request has nothing left to extend.
	if code, _, errOut := runCLI(t, "gdpr", "extend", "--org", "Shop", "--id", erased.ID, "--until", "2099-01-01",
		"--reason", "complex", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "nothing left to extend") {
		t.Errorf("extend a completed request: %d %q", code, errOut)
	}
}
