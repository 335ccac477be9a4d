package keystore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// engine makes fresh, empty key stores of one kind.
type engine struct {
	name string
	// target returns the target of a fresh, empty key store.
	target func(t testing.TB) string
}

var engines = []engine{
	{name: "sqlite", target: func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), FileName) }},
	{name: "postgres", target: func(t testing.TB) string { return storetest.PostgresURL(t) }},
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

func newMaster(t testing.TB) *keys.MasterKey {
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
