package identity

import (
	"encoding/json"
	"strings"
)

// TraitKeys names, per kind, the customer traits that hold a value of that
// kind. Identify hashes them into lookups and rectification rewrites them,
// so both read this one table.
var TraitKeys = map[string][]string{
	KindExternalID: {"customerId"},
	KindEmail:      {"email"},
	KindPhone:      {"phone"},
	KindName:       {"name", "firstName", "lastName", "givenName", "familyName"},
	KindAddress:    {"address"},
}

// AddressParts are the string fields of an address object, in the order
// they are joined: the same address always gives the same lookup whatever
// the order of its keys.
var AddressParts = []string{"street", "line1", "line2", "postalCode", "city", "region", "country"}

// FromTraits returns the value of kind a customer's traits (a JSON object)
// hold, "" when none: for a name the trait "name", else "firstName" and
// "lastName" (or "givenName" and "familyName") joined by a space; for an
// address the trait "address" as a string or as an object of AddressParts.
// A typed value ({"dataType": "string", "value": …}) counts as its value.
func FromTraits(traits json.RawMessage, kind string) string {
	var m map[string]json.RawMessage
	if len(traits) == 0 || json.Unmarshal(traits, &m) != nil {
		return ""
	}
	switch kind {
	case KindName:
		if v := TraitText(m["name"]); strings.TrimSpace(v) != "" {
			return v
		}
		for _, pair := range [][2]string{{"firstName", "lastName"}, {"givenName", "familyName"}} {
			if v := join(TraitText(m[pair[0]]), TraitText(m[pair[1]])); v != "" {
				return v
			}
		}
		return ""
	case KindAddress:
		if v := TraitText(m["address"]); v != "" {
			return v
		}
		var parts map[string]json.RawMessage
		if json.Unmarshal(m["address"], &parts) != nil {
			return ""
		}
		var vs []string
		for _, k := range AddressParts {
			vs = append(vs, TraitText(parts[k]))
		}
		return join(vs...)
	default:
		keys := TraitKeys[kind]
		if len(keys) == 0 {
			return ""
		}
		return TraitText(m[keys[0]])
	}
}

// TraitText returns one trait's text: a JSON string, a typed value's string
// or a number's literal (customer ids may be numbers); "" for anything else.
func TraitText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var typed struct {
		DataType string          `json:"dataType"`
		Value    json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &typed) == nil && typed.DataType == "string" {
		_ = json.Unmarshal(typed.Value, &s)
		return s
	}
	return ""
}

// join joins the non-blank values with a space.
func join(vs ...string) string {
	var out []string
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, " ")
}
