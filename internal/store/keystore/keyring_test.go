package keystore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/presage-dev/presage/internal/keys"
)

// The Keyring over each real store: values sealed on one node open on
// another, nodes racing for a new subject agree on its key, and a shredded
// subject's values are gone for every node.
func TestKeyringOverStore(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			target := e.target(t)
			master := newMaster(t)
			nodeA := keys.NewKeyring(openTarget(t, target), master)
			nodeB := keys.NewKeyring(openTarget(t, target), master)

			// Both nodes seal for the same new subjects at once.
			subjects := []string{"visitor-1", "visitor-2", "request:r1"}
			var sealers [2]map[string]*keys.Sealer
			var errs [2]error
			var wg sync.WaitGroup
			for i, node := range []*keys.Keyring{nodeA, nodeB} {
				wg.Go(func() { sealers[i], errs[i] = node.Sealers(ctx, "org_a", subjects) })
			}
			wg.Wait()
			for i := range errs {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
			}
			for _, s := range subjects {
				if sealers[0][s].KeyID() != sealers[1][s].KeyID() {
					t.Fatalf("nodes hold different keys for %s", s)
				}
			}

			victim := sealers[0]["visitor-1"].Seal("ada@example.com")
			bystander := sealers[1]["visitor-2"].Seal("bob@example.com")
			fresh := keys.NewKeyring(openTarget(t, target), master) // a node that just started
			if err := fresh.Prefetch(ctx, "org_a", []string{victim, bystander}); err != nil {
				t.Fatal(err)
			}
			for v, want := range map[string]string{victim: "ada@example.com", bystander: "bob@example.com"} {
				got, err := fresh.Open(ctx, "org_a", v)
				if err != nil || got != want {
					t.Fatalf("open = %q, %v; want %q", got, err, want)
				}
			}
			if _, err := fresh.Open(ctx, "org_b", victim); err == nil {
				t.Fatal("a value opened as another organization's")
			}

			if n, err := nodeA.Shred(ctx, "org_a", []string{"visitor-1"}); err != nil || n != 1 {
				t.Fatalf("shred = %d, %v; want 1", n, err)
			}
			// nodeA evicted its cache; a node that never held the key reads
			// the store.
			later := keys.NewKeyring(openTarget(t, target), master)
			for name, k := range map[string]*keys.Keyring{"shredding node": nodeA, "new node": later} {
				if _, err := k.Open(ctx, "org_a", victim); !errors.Is(err, keys.ErrShredded) {
					t.Fatalf("%s: open shredded value: %v, want ErrShredded", name, err)
				}
				if got, err := k.Open(ctx, "org_a", bystander); err != nil || got != "bob@example.com" {
					t.Fatalf("%s: open bystander = %q, %v", name, got, err)
				}
			}
		})
	}
}

// After a shred on SQLite the destroyed key's bytes are in none of the key
// store's files: not in freed space of the database (secure_delete), not in
// old WAL frames (the TRUNCATE checkpoint).
func TestShredLeavesNoBytesInSQLiteFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	store := openTarget(t, "sqlite:"+path)
	ring := keys.NewKeyring(store, newMaster(t))
	if _, err := ring.Sealers(ctx, "org_a", []string{"victim", "bystander"}); err != nil {
		t.Fatal(err)
	}
	dks, err := store.DataKeysOf(ctx, "org_a", []string{"victim", "bystander"})
	if err != nil || len(dks) != 2 {
		t.Fatalf("read keys: %v, %v", dks, err)
	}
	wrapped := map[string][]byte{}
	for _, dk := range dks {
		wrapped[dk.Subject] = dk.Wrapped
	}
	files := func() []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	if before := files(); !bytes.Contains(before, wrapped["victim"]) || !bytes.Contains(before, wrapped["bystander"]) {
		t.Fatal("the wrapped keys are not found in the files before the shred: the search cannot tell anything")
	}
	if _, err := ring.Shred(ctx, "org_a", []string{"victim"}); err != nil {
		t.Fatal(err)
	}
	after := files()
	if bytes.Contains(after, wrapped["victim"]) {
		t.Fatal("the destroyed key's bytes are still in the key store's files")
	}
	if !bytes.Contains(after, wrapped["bystander"]) {
		t.Fatal("the bystander's key is gone from the files")
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key store file mode: %v, %v; want 0600", info.Mode().Perm(), err)
	}
}
