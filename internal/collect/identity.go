package collect

import (
	"encoding/json"

	"github.com/presage-dev/presage/internal/identity"
	"github.com/presage-dev/presage/internal/presage"
)

// Identifier kinds, in priority order.
const (
	KindExternalID = identity.KindExternalID
	KindEmail      = identity.KindEmail
	KindPhone      = identity.KindPhone
)

// lookupKinds are the kinds of value an identify records as lookups, so a
// subject search finds the customer by them.
var lookupKinds = []string{identity.KindEmail, identity.KindPhone, identity.KindName, identity.KindAddress}

// Identifiers turns the identifying traits of an identify event into keyed
// hashes in priority order: external id (trait customerId), email, phone.
// Values are normalized by package identity (phones with region, the
// organization's default, when they have no country code); a value with
// several candidate forms gives one identifier per form, so a customer whose
// hash was stored under an older normalization is still recognized. Empty
// values are skipped.
func Identifiers(secret []byte, region string, id IdentityTraits) []presage.Identifier {
	out := make([]presage.Identifier, 0, 3)
	for _, t := range [...]struct{ kind, value string }{
		{KindExternalID, id.CustomerID}, {KindEmail, id.Email}, {KindPhone, id.Phone},
	} {
		out = appendHashes(out, secret, t.kind, t.value, region)
	}
	return out
}

// Lookups returns the blind indexes of the values an identify names the
// customer by: email, phone, name and address (identity.FromTraits reads
// them from traits). Unlike identifiers they are not unique: two customers
// may share a name.
func Lookups(secret []byte, region string, traits json.RawMessage) []presage.Identifier {
	var out []presage.Identifier
	for _, kind := range lookupKinds {
		out = appendHashes(out, secret, kind, identity.FromTraits(traits, kind), region)
	}
	return out
}

func appendHashes(out []presage.Identifier, secret []byte, kind, value, region string) []presage.Identifier {
	for _, h := range identity.Hashes(secret, kind, value, region) {
		out = append(out, presage.Identifier{Kind: kind, Hash: h})
	}
	return out
}

// countDigits returns how many ASCII digits s holds.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}
