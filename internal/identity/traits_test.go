package identity

import (
	"encoding/json"
	"testing"
)

func TestFromTraits(t *testing.T) {
	tests := []struct {
		name, kind, traits, want string
	}{
		{"email", KindEmail, `{"email":"ada@example.com"}`, "ada@example.com"},
		{"numeric customer id", KindExternalID, `{"customerId":42}`, "42"},
		{"name trait wins", KindName, `{"name":"Ada Lovelace","firstName":"X","lastName":"Y"}`, "Ada Lovelace"},
		{"first and last name", KindName, `{"firstName":"Ada","lastName":"Lovelace"}`, "Ada Lovelace"},
		{"last name only", KindName, `{"lastName":"Lovelace"}`, "Lovelace"},
		{"given and family name", KindName, `{"givenName":"Ada","familyName":"Lovelace"}`, "Ada Lovelace"},
		{"typed string value", KindName, `{"firstName":{"dataType":"string","value":"Ada"}}`, "Ada"},
		{"typed number is not a name", KindName, `{"firstName":{"dataType":"integer","value":1}}`, ""},
		{"address string", KindAddress, `{"address":"1 Main St"}`, "1 Main St"},
		{"address object in a stable order", KindAddress,
			`{"address":{"country":"UK","city":"London","street":"1 Main St","postalCode":"N1","zip":"ignored"}}`,
			"1 Main St N1 London UK"},
		{"absent", KindPhone, `{"email":"a@b.c"}`, ""},
		{"not an object", KindEmail, `[1]`, ""},
		{"empty", KindEmail, ``, ""},
	}
	for _, tt := range tests {
		if got := FromTraits(json.RawMessage(tt.traits), tt.kind); got != tt.want {
			t.Errorf("%s: FromTraits(%s, %s) = %q, want %q", tt.name, tt.traits, tt.kind, got, tt.want)
		}
	}
}
