package keystore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/presage-dev/presage/internal/keys"
)

// contract is the behaviour every engine must show; each case gets a fresh,
// empty key store.
var contract = []struct {
	name string
	run  func(t *testing.T, s keys.Store)
}{
	{"lookups are scoped to the organization", testLookups},
	{"create returns the winners", testCreateWinners},
	{"insert stores all or none", testInsertAllOrNone},
	{"concurrent creates agree", testConcurrentCreate},
	{"delete", testDelete},
	{"list and rewrap in pages", testListRewrap},
}

func TestContract(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, openTarget(t, e.target(t)))
				})
			}
		})
	}
}

func sameKey(t *testing.T, got, want keys.DataKey) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.Subject != want.Subject || got.MasterID != want.MasterID ||
		!bytes.Equal(got.Wrapped, want.Wrapped) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("got key %+v, want %+v", got, want)
	}
}

func ids(dks []keys.DataKey) []string {
	out := make([]string, len(dks))
	for i, dk := range dks {
		out[i] = dk.ID
	}
	slices.Sort(out)
	return out
}

func mustCreate(t *testing.T, s keys.Store, dks ...keys.DataKey) []keys.DataKey {
	t.Helper()
	out, err := s.CreateDataKeys(context.Background(), dks)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testLookups(t *testing.T, s keys.Store) {
	ctx := context.Background()
	a1, a2, b1 := dataKey("org_a", "v1"), dataKey("org_a", "v2"), dataKey("org_b", "v1")
	mustCreate(t, s, a1, a2, b1)
	tests := []struct {
		name   string
		lookup func() ([]keys.DataKey, error)
		want   []keys.DataKey
	}{
		{"by subject", func() ([]keys.DataKey, error) { return s.DataKeysOf(ctx, "org_a", []string{"v1", "v2", "v3"}) }, []keys.DataKey{a1, a2}},
		{"by subject, other org", func() ([]keys.DataKey, error) { return s.DataKeysOf(ctx, "org_b", []string{"v1", "v2"}) }, []keys.DataKey{b1}},
		{"by subject, none", func() ([]keys.DataKey, error) { return s.DataKeysOf(ctx, "org_c", []string{"v1"}) }, nil},
		{"by subject, empty list", func() ([]keys.DataKey, error) { return s.DataKeysOf(ctx, "org_a", nil) }, nil},
		{"by id", func() ([]keys.DataKey, error) { return s.DataKeysByID(ctx, "org_a", []string{a2.ID, "dk_absent"}) }, []keys.DataKey{a2}},
		{"by id of another org", func() ([]keys.DataKey, error) { return s.DataKeysByID(ctx, "org_b", []string{a1.ID, a2.ID, b1.ID}) }, []keys.DataKey{b1}},
		{"by id, none", func() ([]keys.DataKey, error) { return s.DataKeysByID(ctx, "org_c", []string{a1.ID}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.lookup()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d keys %v, want %v", len(got), ids(got), ids(tt.want))
			}
			by := map[string]keys.DataKey{}
			for _, dk := range got {
				by[dk.ID] = dk
			}
			for _, w := range tt.want {
				sameKey(t, by[w.ID], w)
			}
		})
	}
}

func testCreateWinners(t *testing.T, s keys.Store) {
	first := dataKey("org_a", "v1")
	mustCreate(t, s, first)
	loser, fresh, twice := dataKey("org_a", "v1"), dataKey("org_a", "v2"), dataKey("org_a", "v2")
	got := mustCreate(t, s, loser, fresh, twice)
	if len(got) != 2 {
		t.Fatalf("got %d keys, want one for each of 2 subjects", len(got))
	}
	sameKey(t, got[0], first)
	sameKey(t, got[1], fresh)
	stored, err := s.DataKeysOf(context.Background(), "org_a", []string{"v1", "v2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := ids([]keys.DataKey{first, fresh}); !slices.Equal(ids(stored), want) {
		t.Fatalf("stored %v, want %v", ids(stored), want)
	}
}

// A pool refill inserts keys of subjects new by construction: it stores
// them all, readable by id, or, should a subject have a key, none.
func testInsertAllOrNone(t *testing.T, s keys.Store) {
	ctx := context.Background()
	pooled := make([]keys.DataKey, 300) // more than one multi-row statement
	for i := range pooled {
		pooled[i] = dataKey("org_a", "")
		pooled[i].Subject = keys.PoolSubject(pooled[i].ID)
	}
	if err := s.InsertDataKeys(ctx, pooled); err != nil {
		t.Fatal(err)
	}
	got, err := s.DataKeysByID(ctx, "org_a", ids(pooled))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pooled) {
		t.Fatalf("read %d of %d inserted keys", len(got), len(pooled))
	}
	fresh, taken := dataKey("org_a", "v9"), dataKey("org_a", pooled[7].Subject)
	if err := s.InsertDataKeys(ctx, []keys.DataKey{fresh, taken}); err == nil {
		t.Fatal("insert of a subject that has a key succeeded")
	}
	if got, err := s.DataKeysOf(ctx, "org_a", []string{"v9"}); err != nil || len(got) != 0 {
		t.Fatalf("after a failed insert: %d keys of its other subject (err %v), want none", len(got), err)
	}
	if got, err := s.DataKeysOf(ctx, "org_a", []string{pooled[7].Subject}); err != nil || len(got) != 1 || got[0].ID != pooled[7].ID {
		t.Fatalf("after a failed insert the existing key is %v (err %v), want %s kept", ids(got), err, pooled[7].ID)
	}
}

// Nodes that seal for the same new subjects at once must all end up with
// the same key per subject, or values sealed by one would not open on
// another.
func testConcurrentCreate(t *testing.T, s keys.Store) {
	const writers, subjects = 8, 40
	results := make([][]keys.DataKey, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			batch := make([]keys.DataKey, subjects)
			for i := range subjects {
				// Half the writers go in reverse order, so rows are
				// contended from both ends.
				j := i
				if w%2 == 1 {
					j = subjects - 1 - i
				}
				batch[i] = dataKey("org_a", fmt.Sprintf("v%02d", j))
			}
			results[w], errs[w] = s.CreateDataKeys(context.Background(), batch)
		})
	}
	wg.Wait()
	winner := map[string]string{}
	for w := range writers {
		if errs[w] != nil {
			t.Fatalf("writer %d: %v", w, errs[w])
		}
		if len(results[w]) != subjects {
			t.Fatalf("writer %d got %d keys, want %d", w, len(results[w]), subjects)
		}
		for _, dk := range results[w] {
			if have, ok := winner[dk.Subject]; ok && have != dk.ID {
				t.Fatalf("subject %s got keys %s and %s", dk.Subject, have, dk.ID)
			}
			winner[dk.Subject] = dk.ID
		}
	}
	all, err := s.ListDataKeys(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != subjects {
		t.Fatalf("stored %d keys, want %d", len(all), subjects)
	}
}

func testDelete(t *testing.T, s keys.Store) {
	ctx := context.Background()
	a1, a2, b1 := dataKey("org_a", "v1"), dataKey("org_a", "v2"), dataKey("org_b", "v1")
	mustCreate(t, s, a1, a2, b1)
	tests := []struct {
		org      string
		subjects []string
		want     int64
	}{
		{"org_b", []string{"v2"}, 0}, // v2 is org_a's: deletes are scoped
		{"org_a", []string{"v1", "v3"}, 1},
		{"org_a", []string{"v1"}, 0}, // already gone
		{"org_a", nil, 0},
	}
	for _, tt := range tests {
		n, err := s.DeleteDataKeys(ctx, tt.org, tt.subjects)
		if err != nil {
			t.Fatal(err)
		}
		if n != tt.want {
			t.Fatalf("DeleteDataKeys(%s, %v) = %d, want %d", tt.org, tt.subjects, n, tt.want)
		}
	}
	if got, _ := s.DataKeysOf(ctx, "org_a", []string{"v1"}); len(got) != 0 {
		t.Fatal("deleted key still found by subject")
	}
	if got, _ := s.DataKeysByID(ctx, "org_a", []string{a1.ID}); len(got) != 0 {
		t.Fatal("deleted key still found by id")
	}
	left, err := s.ListDataKeys(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := ids([]keys.DataKey{a2, b1}); !slices.Equal(ids(left), want) {
		t.Fatalf("left %v, want %v", ids(left), want)
	}
	// A new key for the erased subject is a new key, not the old one.
	again := mustCreate(t, s, dataKey("org_a", "v1"))
	if again[0].ID == a1.ID {
		t.Fatal("the destroyed key came back")
	}
}

func testListRewrap(t *testing.T, s keys.Store) {
	ctx := context.Background()
	var created []keys.DataKey
	for i := range 25 {
		created = append(created, dataKey(fmt.Sprintf("org_%d", i%2), fmt.Sprintf("v%d", i)))
	}
	mustCreate(t, s, created...)
	var walked []keys.DataKey
	after := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("listing does not end")
		}
		page, err := s.ListDataKeys(ctx, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 10 {
			t.Fatalf("page of %d keys, limit 10", len(page))
		}
		walked = append(walked, page...)
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.IsSortedFunc(walked, func(a, b keys.DataKey) int { return strings.Compare(a.ID, b.ID) }) {
		t.Fatal("keys are not listed in id order")
	}
	if !slices.Equal(ids(walked), ids(created)) {
		t.Fatalf("walked %d keys, want the %d created", len(walked), len(created))
	}

	rewrapped := map[string]keys.DataKey{}
	var batch []keys.DataKey
	for i, dk := range walked {
		if i%2 == 0 {
			dk.MasterID, dk.Wrapped = "m2", append([]byte("rewrapped "), dk.ID...)
			rewrapped[dk.ID] = dk
			batch = append(batch, dk)
		}
	}
	batch = append(batch, keys.DataKey{ID: "dk_shredded_meanwhile", MasterID: "m2", Wrapped: []byte("x")})
	if err := s.RewrapDataKeys(ctx, batch); err != nil {
		t.Fatal(err)
	}
	after2, err := s.ListDataKeys(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(after2) != len(created) {
		t.Fatalf("rewrap changed the number of keys to %d", len(after2))
	}
	byID := map[string]keys.DataKey{}
	for _, dk := range walked {
		byID[dk.ID] = dk
	}
	for _, dk := range after2 {
		want, ok := rewrapped[dk.ID]
		if !ok {
			want = byID[dk.ID]
		}
		sameKey(t, dk, want)
	}
}
