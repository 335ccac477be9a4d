package keys

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func randomKeyText(t *testing.T, enc *base64.Encoding) (string, *MasterKey) {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	m, err := NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeToString(raw), m
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is masked by umask
		t.Fatal(err)
	}
	return path
}

func TestLoadMaster(t *testing.T) {
	std, stdKey := randomKeyText(t, base64.StdEncoding)
	url, urlKey := randomKeyText(t, base64.RawURLEncoding)
	prev1, prev1Key := randomKeyText(t, base64.StdEncoding)
	prev2, prev2Key := randomKeyText(t, base64.URLEncoding)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))

	tests := []struct {
		name string
		// setup returns the environment and the data directory.
		setup        func(t *testing.T, dir string) map[string]string
		wantID       string
		wantPrevious []string
		generated    bool
		wantErr      string   // substring of the error; "" for success
		secrets      []string // must not appear in the error
	}{
		{name: "env standard base64", wantID: stdKey.ID,
			setup: func(t *testing.T, dir string) map[string]string { return map[string]string{EnvMasterKey: std} }},
		{name: "env url base64 with spaces", wantID: urlKey.ID,
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: " " + url + "\n"}
			}},
		{name: "env wins over file", wantID: stdKey.ID,
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: std, EnvMasterKeyFile: writeFile(t, filepath.Join(dir, "k"), url, 0o600)}
			}},
		{name: "env too short", wantErr: "decodes to 16 bytes", secrets: []string{short},
			setup: func(t *testing.T, dir string) map[string]string { return map[string]string{EnvMasterKey: short} }},
		{name: "env not base64", wantErr: "PRESAGE_MASTER_KEY is not base64", secrets: []string{"not*base64*" + std[:20]},
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: "not*base64*" + std[:20]}
			}},
		{name: "key file", wantID: urlKey.ID,
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKeyFile: writeFile(t, filepath.Join(dir, "secret"), "\n"+url+"\n\n", 0o400)}
			}},
		{name: "key file readable by group", wantErr: "readable by group or others", secrets: []string{std},
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKeyFile: writeFile(t, filepath.Join(dir, "secret"), std, 0o640)}
			}},
		{name: "key file missing", wantErr: "no such file",
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKeyFile: filepath.Join(dir, "absent")}
			}},
		{name: "key file malformed", wantErr: "decodes to 16 bytes", secrets: []string{short},
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKeyFile: writeFile(t, filepath.Join(dir, "secret"), short, 0o600)}
			}},
		{name: "data dir key", wantID: stdKey.ID,
			setup: func(t *testing.T, dir string) map[string]string {
				writeFile(t, filepath.Join(dir, MasterKeyFile), std+"\n", 0o600)
				return nil
			}},
		{name: "data dir key readable by others", wantErr: MasterKeyFile + " is readable by group or others",
			setup: func(t *testing.T, dir string) map[string]string {
				writeFile(t, filepath.Join(dir, MasterKeyFile), std, 0o604)
				return nil
			}},
		{name: "generated", generated: true,
			setup: func(t *testing.T, dir string) map[string]string { return nil }},
		{name: "previous keys from env list and file", wantID: stdKey.ID, wantPrevious: []string{prev1Key.ID, prev2Key.ID, urlKey.ID},
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: std,
					EnvMasterKeyPrevious:     prev1 + ", " + prev2 + "," + std, // the current key and repeats are skipped
					EnvMasterKeyPreviousFile: writeFile(t, filepath.Join(dir, "old"), url+"\n"+prev1+"\n", 0o600)}
			}},
		{name: "previous key malformed", wantErr: "PRESAGE_MASTER_KEY_PREVIOUS (entry 2) decodes to 16 bytes", secrets: []string{short},
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: std, EnvMasterKeyPrevious: prev1 + "," + short}
			}},
		{name: "previous key empty entry", wantErr: "(entry 2) is empty",
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: std, EnvMasterKeyPrevious: prev1 + ",,"}
			}},
		{name: "previous key file readable by others", wantErr: "readable by group or others",
			setup: func(t *testing.T, dir string) map[string]string {
				return map[string]string{EnvMasterKey: std, EnvMasterKeyPreviousFile: writeFile(t, filepath.Join(dir, "old"), prev1, 0o644)}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := tt.setup(t, dir)
			getenv := func(k string) string { return env[k] }
			cur, prev, generated, err := LoadMaster(MasterConfig{DataDir: dir, Getenv: getenv})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				for _, s := range tt.secrets {
					if strings.Contains(err.Error(), s) {
						t.Fatalf("error %q reveals the key", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if generated != tt.generated {
				t.Errorf("generated = %v, want %v", generated, tt.generated)
			}
			if tt.wantID != "" && cur.ID != tt.wantID {
				t.Errorf("current = %s, want %s", cur.ID, tt.wantID)
			}
			var ids []string
			for _, p := range prev {
				ids = append(ids, p.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantPrevious, ",") {
				t.Errorf("previous = %v, want %v", ids, tt.wantPrevious)
			}
		})
	}
}

func TestLoadMasterGeneratesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	cfg := MasterConfig{DataDir: dir, Getenv: func(string) string { return "" }}
	first, _, generated, err := LoadMaster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !generated {
		t.Fatal("first start did not report a generated key")
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, MasterKeyFile): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s mode = %04o, want %04o", path, info.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only %s (temporary file left behind?)", len(entries), MasterKeyFile)
	}
	again, _, generated, err := LoadMaster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if generated || again.ID != first.ID {
		t.Fatalf("second start: generated=%v id=%s, want false and %s", generated, again.ID, first.ID)
	}
}

// Nodes sharing a data directory that start at once must agree on one key.
func TestLoadMasterGeneratesConcurrently(t *testing.T) {
	dir := t.TempDir()
	cfg := MasterConfig{DataDir: dir, Getenv: func(string) string { return "" }}
	const n = 16
	ids := make([]string, n)
	gens := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var m *MasterKey
			m, _, gens[i], errs[i] = LoadMaster(cfg)
			if m != nil {
				ids[i] = m.ID
			}
		})
	}
	wg.Wait()
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("node %d got key %s, node 0 got %s", i, ids[i], ids[0])
		}
		if gens[i] {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d nodes report generating the key, want 1", won)
	}
}

func TestLoadMasterNeedsASource(t *testing.T) {
	_, _, _, err := LoadMaster(MasterConfig{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), EnvMasterKeyFile) {
		t.Fatalf("err = %v, want one naming %s", err, EnvMasterKeyFile)
	}
}

func TestKeyIDsSortByCreation(t *testing.T) {
	start := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 2000 {
		id, err := newKeyID(start.Add(time.Duration(i) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 18 || strings.Contains(id, ":") {
			t.Fatalf("id %q: want 18 characters without ':' (sealed values end the id at ':')", id)
		}
		if id <= prev {
			t.Fatalf("id %q made after %q sorts before it", id, prev)
		}
		prev = id
	}
}
