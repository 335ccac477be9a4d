package keystore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/keys"
)

// defaultPostgresURL is the server postgresURL uses when
// PRESAGE_TEST_POSTGRES_URL is unset, as in storetest.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresURL creates a fresh database presage_keys_test_<random>, dropped
// when the test ends, and returns its URL. It follows storetest.PostgresURL
// (skip when the server is unreachable, fail under CI) without importing the
// journey store: the key store is tested on its own.
func postgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("PRESAGE_TEST_POSTGRES_URL")
	if admin == "" {
		admin = defaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		msg := "PostgreSQL is unreachable at PRESAGE_TEST_POSTGRES_URL (default " + defaultPostgresURL + "): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 8)
	rand.Read(b)
	name := "presage_keys_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse PRESAGE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// engine makes fresh, empty key stores of one kind.
type engine struct {
	name string
	// target returns the target of a fresh, empty key store.
	target func(t *testing.T) string
}

var engines = []engine{
	{name: "sqlite", target: func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), FileName) }},
	{name: "postgres", target: func(t *testing.T) string { return postgresURL(t) }},
}

func openTarget(t *testing.T, target string) keys.Store {
	t.Helper()
	s, err := Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newMaster(t *testing.T) *keys.MasterKey {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	m, err := keys.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dataKey returns a key for subject as the Keyring would make one, with
// random stand-in wrapped bytes.
func dataKey(orgID, subject string) keys.DataKey {
	id, wrapped := make([]byte, 12), make([]byte, 60)
	rand.Read(id)
	rand.Read(wrapped)
	return keys.DataKey{OrgID: orgID, Subject: subject, ID: "dk_" + hex.EncodeToString(id), MasterID: "m1",
		Wrapped: wrapped, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
}
