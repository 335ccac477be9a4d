package keys

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingStore counts the key-store writes that create keys.
type countingStore struct {
	Store
	creates atomic.Int64
}

func (c *countingStore) CreateDataKeys(ctx context.Context, keys []DataKey) ([]DataKey, error) {
	c.creates.Add(1)
	return c.Store.CreateDataKeys(ctx, keys)
}

func (c *countingStore) InsertDataKeys(ctx context.Context, keys []DataKey) error {
	c.creates.Add(1)
	return c.Store.InsertDataKeys(ctx, keys)
}

// storedKeys counts the keys of orgID in the store.
func storedKeys(t *testing.T, s Store) int {
	t.Helper()
	all, err := s.ListDataKeys(context.Background(), "", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// waitFilled waits until no refill of orgID's pool runs.
func waitFilled(t *testing.T, k *Keyring, orgID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		k.pools.mu.Lock()
		filling := k.pools.of(orgID).filling
		k.pools.mu.Unlock()
		if filling == nil {
			return
		}
		<-filling
	}
	t.Fatal("the pool refill did not end")
}

func TestWriteSealersHandOutPooledKeys(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: NewMemStore()}
	k := NewKeyring(store, newTestMaster(t))

	first, err := k.WriteSealers(ctx, "org_a", []string{"v1", "v2", "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first["v1"] == first["v2"] || first["v1"].KeyID() == first["v2"].KeyID() {
		t.Fatalf("sealers %v: want one key for each of two subjects", first)
	}
	if store.creates.Load() != 1 || storedKeys(t, store) != poolMinBatch {
		t.Fatalf("%d create calls, %d keys stored: want the pool made in one durable write", store.creates.Load(), storedKeys(t, store))
	}
	for s, sl := range first {
		if sl.Assigned() {
			t.Errorf("%s: a pooled key reads as assigned before its record is committed", s)
		}
	}
	// Visitors new to the node take pooled keys: no key-store write.
	for i := range poolMinBatch/2 - 2 {
		if _, err := k.WriteSealers(ctx, "org_a", []string{fmt.Sprintf("new-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.creates.Load(); n != 1 {
		t.Fatalf("%d create calls while the pool lasted, want 1", n)
	}
	// Below half a batch a refill runs in the background, twice as large
	// (the pool empties fast).
	if _, err := k.WriteSealers(ctx, "org_a", []string{"low"}); err != nil {
		t.Fatal(err)
	}
	waitFilled(t, k, "org_a")
	if n, stored := store.creates.Load(), storedKeys(t, store); n != 2 || stored != 3*poolMinBatch {
		t.Fatalf("%d create calls and %d keys after the pool ran low, want 2 and %d", n, stored, 3*poolMinBatch)
	}
	// The same subject again: its cached key.
	again, err := k.WriteSealers(ctx, "org_a", []string{"v1"})
	if err != nil || again["v1"] != first["v1"] {
		t.Fatalf("v1 again: %v, %v", again, err)
	}
}

func TestPooledKeyOpensOnAnotherNodeAndShreds(t *testing.T) {
	ctx := context.Background()
	store := NewMemStore()
	master := newTestMaster(t)
	a, b := NewKeyring(store, master), NewKeyring(store, master)
	sealers, err := a.WriteSealers(ctx, "org_a", []string{"v1"})
	if err != nil {
		t.Fatal(err)
	}
	sl := sealers["v1"]
	v := sl.Seal("https://shop.example/orders/8841")
	if got, err := b.Open(ctx, "org_a", v); err != nil || got != "https://shop.example/orders/8841" {
		t.Fatalf("open on another node: %q, %v", got, err)
	}
	// The key store knows the key by its own id only.
	if dks, _ := store.DataKeysOf(ctx, "org_a", []string{"v1"}); len(dks) != 0 {
		t.Fatalf("the key store names the visitor: %+v", dks)
	}
	n, err := a.Shred(ctx, "org_a", []string{"v1", PoolSubject(sl.KeyID())})
	if err != nil || n != 1 {
		t.Fatalf("shred: %d, %v", n, err)
	}
	for name, k := range map[string]*Keyring{"this node": a, "a fresh node": NewKeyring(store, master)} {
		if _, err := k.Open(ctx, "org_a", v); !errors.Is(err, ErrShredded) {
			t.Errorf("%s opens a shredded value: %v", name, err)
		}
	}
	// b cached the key when it opened the value; shredding by the pooled
	// key's subject evicts it there too.
	if _, err := b.Shred(ctx, "org_a", []string{PoolSubject(sl.KeyID())}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(ctx, "org_a", v); !errors.Is(err, ErrShredded) {
		t.Errorf("the node that read the value still opens it: %v", err)
	}
}

func TestSealersSkipUnassignedPooledKeys(t *testing.T) {
	ctx := context.Background()
	k := NewKeyring(NewMemStore(), newTestMaster(t))
	pooled, err := k.WriteSealers(ctx, "org_a", []string{"v1"})
	if err != nil {
		t.Fatal(err)
	}
	durable, err := k.Sealers(ctx, "org_a", []string{"v1"})
	if err != nil {
		t.Fatal(err)
	}
	if durable["v1"] == pooled["v1"] || !durable["v1"].Assigned() {
		t.Fatal("Sealers handed out a pooled key whose assignment is not durable")
	}
	k.MarkAssigned("org_a", "v1", pooled["v1"].KeyID())
	k2 := NewKeyring(NewMemStore(), newTestMaster(t))
	p2, _ := k2.WriteSealers(ctx, "org_a", []string{"v2"})
	k2.MarkAssigned("org_a", "v2", p2["v2"].KeyID())
	if d2, err := k2.Sealers(ctx, "org_a", []string{"v2"}); err != nil || d2["v2"] != p2["v2"] {
		t.Fatalf("an assigned pooled key is not reused: %v", err)
	}
}

func TestConcurrentWriteSealersAgree(t *testing.T) {
	ctx := context.Background()
	k := NewKeyring(NewMemStore(), newTestMaster(t))
	var wg sync.WaitGroup
	got := make([]*Sealer, 8)
	for i := range got {
		wg.Go(func() {
			s, err := k.WriteSealers(ctx, "org_a", []string{"same"})
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = s["same"]
		})
	}
	wg.Wait()
	for _, s := range got[1:] {
		if s != got[0] {
			t.Fatal("one node handed two keys to one subject at once")
		}
	}
}

func TestReleasePoolDestroysUnusedKeys(t *testing.T) {
	ctx := context.Background()
	store := NewMemStore()
	k := NewKeyring(store, newTestMaster(t))
	used, err := k.WriteSealers(ctx, "org_a", []string{"v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.WriteSealers(ctx, "org_b", []string{"v1"}); err != nil {
		t.Fatal(err)
	}
	if err := k.ReleasePool(ctx); err != nil {
		t.Fatal(err)
	}
	waitFilled(t, k, "org_a")
	waitFilled(t, k, "org_b")
	if err := k.ReleasePool(ctx); err != nil {
		t.Fatal(err)
	}
	if n := storedKeys(t, store); n != 2 {
		t.Fatalf("%d keys left after release, want the 2 handed out", n)
	}
	if dks, _ := store.DataKeysByID(ctx, "org_a", []string{used["v1"].KeyID()}); len(dks) != 1 {
		t.Fatal("release destroyed a key that was handed out")
	}
}
