package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestBlindIndex(t *testing.T) {
	secret := []byte("org-secret")
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("email:ada@example.com"))
	want := hex.EncodeToString(mac.Sum(nil))
	tests := []struct {
		name   string
		secret []byte
		kind   string
		value  string
		equal  bool
	}{
		{"kind:value under the secret", secret, KindEmail, "ada@example.com", true},
		{"another secret", []byte("other"), KindEmail, "ada@example.com", false},
		{"another kind", secret, KindExternalID, "ada@example.com", false},
		{"another value", secret, KindEmail, "bob@example.com", false},
	}
	for _, tt := range tests {
		if got := BlindIndex(tt.secret, tt.kind, tt.value); (got == want) != tt.equal {
			t.Errorf("%s: BlindIndex = %s, want equal=%v to %s", tt.name, got, tt.equal, want)
		}
	}
}

func TestHashes(t *testing.T) {
	secret := []byte("s")
	got := Hashes(secret, KindPhone, "06 12 34 56 78", "FR")
	want := []string{BlindIndex(secret, KindPhone, "+33612345678"), BlindIndex(secret, KindPhone, "0612345678")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Hashes = %q, want %q", got, want)
	}
	if got := Hashes(secret, KindName, "  ", ""); got != nil {
		t.Errorf("Hashes of a blank name = %q, want nil", got)
	}
}

func TestRegion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true}, {"FR", "FR", true}, {" gb ", "GB", true}, {"ZZ", "ZZ", false}, {"France", "FRANCE", false},
	}
	for _, tt := range tests {
		if got, ok := Region(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("Region(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
