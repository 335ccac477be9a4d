package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
)

func newTestMaster(t testing.TB) *MasterKey {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	m, err := NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRotateDataKeys(t *testing.T) {
	ctx := context.Background()
	a, b := newTestMaster(t), newTestMaster(t)
	store := NewMemStore()
	// More subjects than one page, so rotation walks several.
	subjects := make([]string, 2*rotatePage+3)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("visitor-%04d", i)
	}
	sealed := map[string]string{} // plaintext by sealed value
	for _, org := range []string{"org_a", "org_b"} {
		sealers, err := NewKeyring(store, a).Sealers(ctx, org, subjects)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subjects {
			plain := org + " " + s + "@example.com"
			sealed[sealers[s].Seal(plain)] = org
		}
	}

	rotating := NewKeyring(store, b, a)
	n, err := rotating.RotateDataKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * len(subjects); n != want {
		t.Fatalf("rewrapped %d keys, want %d", n, want)
	}
	all, _ := store.ListDataKeys(ctx, "", 1<<20)
	for _, dk := range all {
		if dk.MasterID != b.ID {
			t.Fatalf("data key %s is still wrapped by %s", dk.ID, dk.MasterID)
		}
	}
	if n, err := rotating.RotateDataKeys(ctx); err != nil || n != 0 {
		t.Fatalf("second rotation rewrapped %d (err %v), want 0", n, err)
	}

	onlyB := NewKeyring(store, b)
	for v, org := range sealed {
		plain, err := onlyB.Open(ctx, org, v)
		if err != nil {
			t.Fatalf("open after rotation: %v", err)
		}
		if !strings.HasPrefix(plain, org+" visitor-") {
			t.Fatalf("opened %q", plain)
		}
	}
	// The retired key alone no longer opens anything: the keys really moved.
	onlyA := NewKeyring(store, a)
	for v, org := range sealed {
		if _, err := onlyA.Open(ctx, org, v); err == nil || !strings.Contains(err.Error(), "is not configured") {
			t.Fatalf("the retired master key still opens a value (err %v)", err)
		}
	}
}

// A data key wrapped by a master key that is neither current nor previous
// stops the rotation with an error naming it, rather than being skipped.
func TestRotateDataKeysUnknownMaster(t *testing.T) {
	ctx := context.Background()
	a, b := newTestMaster(t), newTestMaster(t)
	store := NewMemStore()
	if _, err := NewKeyring(store, a).Sealers(ctx, "org", []string{"v1"}); err != nil {
		t.Fatal(err)
	}
	_, err := NewKeyring(store, b).RotateDataKeys(ctx)
	if err == nil || !strings.Contains(err.Error(), a.ID) {
		t.Fatalf("err = %v, want one naming master key %s", err, a.ID)
	}
}

func TestRewrap(t *testing.T) {
	a, b := newTestMaster(t), newTestMaster(t)
	secret := []byte("identity secret of org_a")
	label := "identity:org_a"
	byA := NewKeyring(NewMemStore(), a).Wrap(label, secret)
	rotating := NewKeyring(NewMemStore(), b, a)
	byB := rotating.Wrap(label, secret)
	tests := []struct {
		name        string
		in          []byte
		label       string
		wantChanged bool
		wantErr     bool
	}{
		{name: "legacy clear secret", in: secret, label: label, wantChanged: true},
		{name: "wrapped by previous", in: byA, label: label, wantChanged: true},
		{name: "wrapped by current", in: byB, label: label},
		{name: "wrapped by previous under another label", in: byA, label: "identity:org_b", wantErr: true},
	}
	onlyB := NewKeyring(NewMemStore(), b)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := rotating.Rewrap(tt.label, tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if !changed && !bytes.Equal(out, tt.in) {
				t.Error("unchanged secret was rewritten")
			}
			if WrappedBy(out) != b.ID {
				t.Errorf("wrapped by %q, want %s", WrappedBy(out), b.ID)
			}
			got, err := onlyB.Unwrap(label, out)
			if err != nil || !bytes.Equal(got, secret) {
				t.Fatalf("unwrap with only the new key: %q, %v", got, err)
			}
		})
	}
}
