package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/store/storetest"
	"github.com/presage-dev/presage/internal/testwait"
)

// This file is the harness: building the binary, running its CLI, starting
// and killing servers, a small API client and throwaway PostgreSQL databases.
// Every helper takes a testing.TB so that benchmarks can use it too.

// ---- the binary ----

var built struct {
	once sync.Once
	path string
	err  error
}

// moduleRoot returns the directory of go.mod, found from this file's path.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("runtime.Caller failed")
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod above %s", file)
		}
	}
}

// presageBinary returns the path of a presage binary built from this tree,
// building it on first use in the test run. The binary lives in a directory
// of the system temp dir named after the module root, so a run leaves at most
// one binary behind and concurrent runs of different trees do not collide.
func presageBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		if p := os.Getenv("PRESAGE_E2E_BINARY"); p != "" {
			built.path = p
			return
		}
		root, err := moduleRoot()
		if err != nil {
			built.err = err
			return
		}
		sum := sha256.Sum256([]byte(root))
		dir := filepath.Join(os.TempDir(), "presage-e2e-"+hex.EncodeToString(sum[:6]))
		if built.err = os.MkdirAll(dir, 0o755); built.err != nil {
			return
		}
		// Build beside the final name, then rename: a concurrent run of the
		// same tree never executes a half-written file.
		tmp := filepath.Join(dir, fmt.Sprintf("presage.%d.tmp", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", tmp, "./cmd/presage")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			built.err = fmt.Errorf("go build ./cmd/presage: %v\n%s", err, out)
			return
		}
		built.path = filepath.Join(dir, "presage")
		built.err = os.Rename(tmp, built.path)
	})
	if built.err != nil {
		t.Fatalf("presage binary: %v", built.err)
	}
	return built.path
}

// cleanEnv is the environment for child processes: ours without PRESAGE_*
// variables, so a developer's settings never point a test at a real database.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PRESAGE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// ---- storage ----

// Storage selects a server's database: SQLite in DataDir, or PostgreSQL at
// DatabaseURL when it is set.
type Storage struct {
	DataDir     string
	DatabaseURL string
	// MasterKeyFile, when set, is the master key the server reads
	// (PRESAGE_MASTER_KEY_FILE) instead of DataDir/master.key: nodes sharing
	// one database must share one master key.
	MasterKeyFile string
}

// env is what the storage adds to a server's environment.
func (s Storage) env() []string {
	if s.MasterKeyFile == "" {
		return nil
	}
	return []string{"PRESAGE_MASTER_KEY_FILE=" + s.MasterKeyFile}
}

func sqliteStorage(t testing.TB) Storage {
	return Storage{DataDir: filepath.Join(t.TempDir(), "data")}
}

func postgresStorage(t testing.TB) Storage {
	return Storage{DataDir: filepath.Join(t.TempDir(), "data"), DatabaseURL: storetest.PostgresURL(t)}
}

func (s Storage) flags() []string {
	args := []string{"--data-dir", s.DataDir}
	if s.DatabaseURL != "" {
		args = append(args, "--database-url", s.DatabaseURL)
	}
	return args
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- the CLI ----

// runCLI runs presage with args and returns its standard output; any failure
// fails t with the command's standard error.
func runCLI(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, presageBinary(t), args...)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("presage %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// Org is the output of presage org create --json.
type Org struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	SiteKey        string   `json:"siteKey"`
	AllowedOrigins []string `json:"allowedOrigins"`
}

// Key is the output of presage key create --json and of POST /api/v1/keys.
type Key struct {
	ID     string   `json:"id"`
	Key    string   `json:"key"`
	Scopes []string `json:"scopes"`
}

func createOrg(t testing.TB, st Storage, name string, origins ...string) Org {
	t.Helper()
	args := []string{"org", "create", "--name", name, "--json"}
	for _, o := range origins {
		args = append(args, "--origin", o)
	}
	var org Org
	decodeOutput(t, runCLI(t, append(args, st.flags()...)...), &org)
	if org.ID == "" || org.SiteKey == "" {
		t.Fatalf("org create printed no id or site key: %+v", org)
	}
	// These tests are about ingestion, not consent: the load generator's
	// visitors are tracked under legitimate interest, as a controller may
	// choose (consent gating has its own tests in internal/app).
	runCLI(t, append([]string{"purpose", "set", "--org", org.ID, "--name", "analytics", "--basis", "legitimate_interest"}, st.flags()...)...)
	return org
}

func createKey(t testing.TB, st Storage, orgID, name string, scopes ...string) Key {
	t.Helper()
	args := []string{"key", "create", "--org", orgID, "--name", name, "--scopes", strings.Join(scopes, ","), "--json"}
	var key Key
	decodeOutput(t, runCLI(t, append(args, st.flags()...)...), &key)
	if !strings.HasPrefix(key.Key, "psk_") {
		t.Fatalf("key create printed no psk_ key: %+v", key)
	}
	return key
}

func decodeOutput(t testing.TB, out []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(bytes.TrimSpace(out), v); err != nil {
		t.Fatalf("decode CLI output: %v\n%s", err, out)
	}
}

// ---- servers ----

// Server is one presage serve process. Start, Kill and Stop may be called
// repeatedly: a restarted server listens on the same address with the same
// storage.
type Server struct {
	t       testing.TB
	Name    string
	Addr    string // host:port
	URL     string // http://host:port
	Storage Storage
	Extra   []string // more serve flags

	log    *tailBuffer
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// startServer starts presage serve on a free loopback port, waits until it is
// ready, and stops it when t ends (logging its output if t failed).
func startServer(t testing.TB, name string, st Storage, extra ...string) *Server {
	t.Helper()
	addr := freeAddr(t)
	s := &Server{t: t, Name: name, Addr: addr, URL: "http://" + addr, Storage: st, Extra: extra, log: newTailBuffer(256 << 10)}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("--- %s output (tail) ---\n%s", s.Name, s.log.String())
		}
	})
	s.Start()
	return s
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Start starts the process and waits until GET /readyz answers 200.
func (s *Server) Start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatalf("%s: Start while running", s.Name)
	}
	// The port was free when picked (or was ours before a kill); retry
	// briefly if the kernel still holds it.
	for attempt := 1; ; attempt++ {
		s.spawn()
		err := s.waitReady(60 * time.Second)
		if err == nil {
			return
		}
		if attempt < 5 && !s.running() && strings.Contains(s.log.String(), "address already in use") {
			time.Sleep(200 * time.Millisecond) // a pause between attempts to bind, not a wait for a condition
			continue
		}
		s.t.Fatalf("%s did not become ready: %v\n--- output (tail) ---\n%s", s.Name, err, s.log.String())
	}
}

func (s *Server) spawn() {
	s.t.Helper()
	args := append([]string{"serve", "--addr", s.Addr, "--demo=false"}, s.Storage.flags()...)
	args = append(args, s.Extra...)
	cmd := exec.Command(presageBinary(s.t), args...)
	cmd.Env = cleanEnv(s.Storage.env()...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	fmt.Fprintf(s.log, "=== %s: presage %s\n", time.Now().Format(time.TimeOnly+".000"), strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.log, "=== %s: exited: %v\n", time.Now().Format(time.TimeOnly+".000"), err)
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
}

func (s *Server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func (s *Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var exited bool
	var last string
	ready := testwait.Poll(timeout, func() bool {
		select {
		case <-s.exited:
			exited = true
			return true
		default:
		}
		resp, err := client.Get(s.URL + "/readyz")
		last = statusOrErr(resp, err)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	switch {
	case exited:
		return errors.New("the process exited")
	case !ready:
		return fmt.Errorf("not ready after %s (last: %v)", timeout, last)
	}
	return nil
}

func statusOrErr(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// Kill ends the process with SIGKILL, as a crash or an OOM kill would, and
// waits for it to be gone.
func (s *Server) Kill() {
	s.t.Helper()
	if !s.running() {
		return
	}
	fmt.Fprintf(s.log, "=== %s: SIGKILL\n", time.Now().Format(time.TimeOnly+".000"))
	s.cmd.Process.Kill()
	testwait.Closed(s.t, s.exited, testwait.Timeout, s.Name+" to exit after SIGKILL")
}

// Stop asks the process to shut down (SIGTERM) and kills it if it has not
// exited within 30 s.
func (s *Server) Stop() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Errorf("%s did not stop within 30s of SIGTERM; killing it", s.Name)
		s.cmd.Process.Kill()
		testwait.Closed(s.t, s.exited, testwait.Timeout, s.Name+" to exit after SIGKILL")
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// ---- the HTTP API ----

// api calls one server's /api/v1 with a secret key.
type api struct {
	t      testing.TB
	base   string
	key    string
	client *http.Client
}

func newAPI(t testing.TB, s *Server, key string) *api {
	return &api{t: t, base: s.URL, key: key, client: &http.Client{Timeout: 30 * time.Second}}
}

// do sends a request with a JSON body (if body is not nil) and returns the
// status and the answer; transport errors fail t.
func (a *api) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// must sends a request, fails t unless the status is want, and decodes the
// answer into out (if not nil).
func (a *api) must(want int, method, path string, body, out any) {
	a.t.Helper()
	status, answer := a.do(method, path, body)
	if status != want {
		a.t.Fatalf("%s %s%s: status %d, want %d: %s", method, a.base, path, status, want, answer)
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			a.t.Fatalf("%s %s: decode answer: %v\n%s", method, path, err, answer)
		}
	}
}

// listAll reads every page of a list endpoint (path without query or with a
// query of its own).
func listAll[T any](a *api, path string) []T {
	a.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []T
	cursor := ""
	for page := 0; ; page++ {
		if page > 100_000 {
			a.t.Fatalf("GET %s: more than 100000 pages; the cursor does not advance", path)
		}
		var p struct {
			Data       []T    `json:"data"`
			NextCursor string `json:"nextCursor"`
		}
		a.must(http.StatusOK, http.MethodGet, path+sep+"limit=1000&cursor="+url.QueryEscape(cursor), nil, &p)
		all = append(all, p.Data...)
		if p.NextCursor == "" {
			return all
		}
		if p.NextCursor == cursor {
			a.t.Fatalf("GET %s: nextCursor %q repeats", path, cursor)
		}
		cursor = p.NextCursor
	}
}

// Shapes of docs/api.md, reduced to what the tests check.

type apiSession struct {
	ID         string `json:"id"`
	VisitorID  string `json:"visitorId"`
	EventCount int    `json:"eventCount"`
}

type apiEvent struct {
	ID        string `json:"id"`
	SessionID string `json:"sessionId"`
	VisitorID string `json:"visitorId"`
	Seq       int64  `json:"seq"`
	Type      string `json:"type"`
}

type apiCustomer struct {
	ID       string         `json:"id"`
	Traits   map[string]any `json:"traits"`
	Visitors []string       `json:"visitors"`
}

// ---- the collector ----

// trackerBatch is a tracker request (docs/collector-protocol.md).
type trackerBatch struct {
	SiteKey   string         `json:"siteKey"`
	VisitorID string         `json:"visitorId"`
	SessionID string         `json:"sessionId"`
	SentAt    int64          `json:"sentAt"`
	Events    []trackerEvent `json:"events"`
}

type trackerEvent struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Name       string         `json:"name,omitempty"`
	TS         int64          `json:"ts"`
	URL        string         `json:"url,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Traits     map[string]any `json:"traits,omitempty"`
}

// clientID returns a fresh client-generated id (visitor, session, event).
func clientID(prefix string) string { return prefix + randomHex(10) }

// postBatch sends b to POST /v1/events as the tracker does and returns the
// status and the answer; transport errors fail t.
func postBatch(t testing.TB, s *Server, origin string, b trackerBatch) (int, []byte) {
	t.Helper()
	status, body, err := sendBatch(s, origin, b)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// sendBatch is postBatch for goroutines other than the test's.
func sendBatch(s *Server, origin string, b trackerBatch) (int, []byte, error) {
	b.SentAt = time.Now().UnixMilli()
	body, err := json.Marshal(b)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/events", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("Origin", origin)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s/v1/events: %w", s.URL, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}
