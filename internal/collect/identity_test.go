package collect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func hmacHex(secret []byte, s string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func TestIdentifiers(t *testing.T) {
	secret := []byte("org-secret")
	hash := func(s string) string { return hmacHex(secret, s) }
	tests := []struct {
		name   string
		region string
		in     IdentityTraits
		want   []presage.Identifier
	}{
		{"priority order, stored hashes unchanged", "", IdentityTraits{Email: " Ada@Example.com", Phone: "+33 6 12 34 56 78", CustomerID: "C-42"},
			[]presage.Identifier{{Kind: "external_id", Hash: hash("external_id:C-42")},
				{Kind: "email", Hash: hash("email:ada@example.com")}, {Kind: "phone", Hash: hash("phone:+33612345678")}}},
		{"only what is present", "", IdentityTraits{Email: "ada@example.com"},
			[]presage.Identifier{{Kind: "email", Hash: hash("email:ada@example.com")}}},
		{"national phone: E.164 with the region, then the old form", "FR", IdentityTraits{Phone: "06 12 34 56 78"},
			[]presage.Identifier{{Kind: "phone", Hash: hash("phone:+33612345678")}, {Kind: "phone", Hash: hash("phone:0612345678")}}},
		{"national phone without a region: the old form", "", IdentityTraits{Phone: "06 12 34 56 78"},
			[]presage.Identifier{{Kind: "phone", Hash: hash("phone:0612345678")}}},
	}
	for _, tt := range tests {
		got := Identifiers(secret, tt.region, tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Identifiers = %+v, want %+v", tt.name, got, tt.want)
			continue
		}
		for i := range tt.want {
			if got[i] != tt.want[i] {
				t.Errorf("%s: identifier %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	if other := Identifiers([]byte("other"), "", IdentityTraits{Email: "ada@example.com"}); other[0].Hash == hash("email:ada@example.com") {
		t.Error("hash does not depend on the secret")
	}
}

func TestLookups(t *testing.T) {
	secret := []byte("org-secret")
	hash := func(s string) string { return hmacHex(secret, s) }
	tests := []struct {
		name, traits string
		want         []presage.Identifier
	}{
		{"email, phone, name, address", `{"email":"Ada@Example.com","phone":"+44 20 7946 0018","name":"Ada  LOVELACE","address":"1, Main St."}`,
			[]presage.Identifier{{Kind: "email", Hash: hash("email:ada@example.com")}, {Kind: "phone", Hash: hash("phone:+442079460018")},
				{Kind: "name", Hash: hash("name:ada lovelace")}, {Kind: "address", Hash: hash("address:1 main st")}}},
		{"first and last name", `{"customerId":"C-1","firstName":"José","lastName":"García"}`,
			[]presage.Identifier{{Kind: "name", Hash: hash("name:jose garcia")}}},
		{"address object", `{"address":{"city":"London","street":"1 Main St"}}`,
			[]presage.Identifier{{Kind: "address", Hash: hash("address:1 main st london")}}},
		{"nothing to look up", `{"customerId":"C-1","plan":"pro"}`, nil},
	}
	for _, tt := range tests {
		got := Lookups(secret, "", json.RawMessage(tt.traits))
		if len(got) != len(tt.want) {
			t.Errorf("%s: Lookups = %+v, want %+v", tt.name, got, tt.want)
			continue
		}
		for i := range tt.want {
			if got[i] != tt.want[i] {
				t.Errorf("%s: lookup %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}
