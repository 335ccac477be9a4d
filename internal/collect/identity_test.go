package collect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func TestNormalizeIdentifier(t *testing.T) {
	tests := []struct{ kind, in, want string }{
		{KindEmail, " Ada@Example.COM ", "ada@example.com"},
		{KindPhone, "+33 (0)6 12-34.56 78", "+330612345678"},
		{KindPhone, "06 12 34 56 78", "0612345678"},
		{KindPhone, " +1 555 0100", "+15550100"},
		{KindPhone, "n/a", ""},
		{KindExternalID, " C-42 ", "C-42"},
	}
	for _, tt := range tests {
		if got := NormalizeIdentifier(tt.kind, tt.in); got != tt.want {
			t.Errorf("NormalizeIdentifier(%s, %q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	secret := []byte("org-secret")
	hash := func(s string) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(s))
		return hex.EncodeToString(m.Sum(nil))
	}
	got := Identifiers(secret, IdentityTraits{Email: " Ada@Example.com", Phone: "+33 6 12 34 56 78", CustomerID: "C-42"})
	want := []presage.Identifier{
		{Kind: "external_id", Hash: hash("external_id:C-42")},
		{Kind: "email", Hash: hash("email:ada@example.com")},
		{Kind: "phone", Hash: hash("phone:+33612345678")},
	}
	if len(got) != len(want) {
		t.Fatalf("Identifiers = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("identifier %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Only what is present, still in priority order; another secret, other hashes.
	only := Identifiers(secret, IdentityTraits{Email: "ada@example.com"})
	if len(only) != 1 || only[0] != want[1] {
		t.Errorf("email only = %+v", only)
	}
	if other := Identifiers([]byte("other"), IdentityTraits{Email: "ada@example.com"}); other[0].Hash == want[1].Hash {
		t.Error("hash does not depend on the secret")
	}
}
