package collect

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/jsonwire"
)

// dataTypes are the types a typed attribute value may declare.
var dataTypes = []string{"string", "number", "integer", "boolean", "date", "datetime"}

// maxSafeInteger is the largest integer a JavaScript number holds exactly.
const maxSafeInteger = 1<<53 - 1

// minPhoneDigits is how many digits a phone trait needs to identify anyone.
const minPhoneDigits = 5

const valueKinds = `must be a string, number, boolean or {"dataType", "value"} object`

// attributes reads an attributes or traits object at d.loc and returns its
// compact JSON; nil when absent or invalid. For traits it fills id.
func (d *decoder) attributes(traits bool, id *IdentityTraits) json.RawMessage {
	switch d.s.kind() {
	case kindNull:
		d.s.null()
		return nil
	case kindObject:
	default:
		d.wrongType("must be an object")
		return nil
	}
	d.s.pos++
	d.buf = append(d.buf[:0], '{')
	var keys [MaxAttributes]string
	n, bad, tooMany := 0, false, false
	for first := true; !d.stop() && d.s.next('}', &first); {
		d.loc.clearKey()
		key, ok := d.s.key()
		if !ok {
			return nil
		}
		if n == MaxAttributes {
			if !tooMany {
				d.at("has more than " + strconv.Itoa(MaxAttributes) + " keys")
				tooMany = true
			}
			d.s.skip()
			bad = true
			continue
		}
		d.loc.setKey(key)
		switch {
		case !ValidAttributeKey(key):
			d.at("is not a valid key: keys are 1 to 64 characters of [A-Za-z0-9_.:-]")
			d.s.skip()
			bad = true
			continue
		case contains(keys[:n], key):
			d.at("is a duplicate key")
			d.s.skip()
			bad = true
			continue
		}
		keys[n] = key
		n++
		if n > 1 {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, '"')
		d.buf = append(d.buf, key...)
		d.buf = append(d.buf, '"', ':')
		if !d.attributeValue(traits, key, id) {
			bad = true
		}
	}
	if d.stop() {
		return nil
	}
	d.loc.clearKey()
	if bad {
		return nil
	}
	d.buf = append(d.buf, '}')
	return append(json.RawMessage(nil), d.buf...)
}

func contains(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// ValidAttributeKey reports whether k is 1 to 64 characters of [A-Za-z0-9_.:-].
func ValidAttributeKey(k string) bool {
	if len(k) == 0 || len(k) > MaxAttributeKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// identityTrait reports whether a trait key is one the collector interprets:
// it must then be a plain string (customerId may also be a number).
func identityTrait(key string) bool {
	switch key {
	case "email", "phone", "customerId", "givenName", "familyName", "name":
		return true
	}
	return false
}

// attributeValue reads one attribute or trait value and appends its compact
// JSON to d.buf.
func (d *decoder) attributeValue(traits bool, key string, id *IdentityTraits) bool {
	wellKnown := traits && identityTrait(key)
	switch d.s.kind() {
	case kindString:
		v, ok := d.appendString()
		if !ok {
			return false
		}
		if wellKnown {
			return d.identityString(key, v, id)
		}
		return true
	case kindNumber:
		lit, ok := d.s.number()
		if !ok {
			return false
		}
		if !finite(lit) {
			d.at("must be a finite number")
			return false
		}
		if wellKnown && key != "customerId" {
			d.at("must be a string")
			return false
		}
		if wellKnown {
			id.CustomerID = lit
		}
		d.buf = append(d.buf, lit...)
		return true
	case kindBool:
		b, ok := d.s.boolean()
		if !ok {
			return false
		}
		if wellKnown {
			d.at("must be a string")
			return false
		}
		d.buf = strconv.AppendBool(d.buf, b)
		return true
	case kindObject:
		if wellKnown {
			d.wrongType("must be a string")
			return false
		}
		return d.typedValue()
	default:
		d.wrongType(valueKinds)
		return false
	}
}

// appendString reads a string value of at most MaxStringValue characters and
// appends its canonical encoding to d.buf.
func (d *decoder) appendString() (string, bool) {
	start := d.s.pos
	v, escaped, ok := d.s.str()
	if !ok {
		return "", false
	}
	if len(v) > MaxStringValue && utf8.RuneCountInString(v) > MaxStringValue {
		d.at("is longer than " + strconv.Itoa(MaxStringValue) + " characters")
		return "", false
	}
	if escaped {
		d.buf = jsonwire.AppendString(d.buf, v)
	} else {
		d.buf = append(d.buf, d.s.src[start:d.s.pos]...)
	}
	return v, true
}

// identityString checks an identifying trait and records it in id.
func (d *decoder) identityString(key, v string, id *IdentityTraits) bool {
	t := strings.TrimSpace(v)
	switch key {
	case "email":
		if at := strings.IndexByte(t, '@'); at <= 0 || at == len(t)-1 {
			d.at("must be an email address")
			return false
		}
		id.Email = v
	case "phone":
		if countDigits(t) < minPhoneDigits {
			d.at("must be a phone number of at least " + strconv.Itoa(minPhoneDigits) + " digits")
			return false
		}
		id.Phone = v
	case "customerId":
		if t == "" {
			d.at("must not be empty")
			return false
		}
		id.CustomerID = v
	}
	return true
}
