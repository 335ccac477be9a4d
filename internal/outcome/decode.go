package outcome

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// DecodeDefinition parses a definition document of the API (docs/api.md):
//
//	{"name", "description"?, "direction", "condition": {"kind", "eventName"?,
//	 "attributes"?: [{"name", "op", "value"?}], "urlPattern"?, "formName"?},
//	 "valueField"?}
//
// strictly: unknown, read-only and duplicate keys and values of the wrong
// JSON type are violations naming their JSON Pointer; null reads as absent.
// It checks the document's shape only; Validate checks the values.
func DecodeDefinition(data []byte) (Definition, error) {
	var d Definition
	var v violations
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return d, presage.Invalid("", -1, "the body is empty")
	case !utf8.Valid(data):
		return d, presage.Invalid("", -1, "the body must be UTF-8")
	}
	if !json.Valid(data) {
		var syntax *json.SyntaxError
		if err := json.Unmarshal(data, new(any)); errors.As(err, &syntax) {
			return d, presage.Invalid("", -1, "malformed JSON at byte %d", syntax.Offset)
		}
		return d, presage.Invalid("", -1, "malformed JSON")
	}
	ok := object(&v, "", "the body", data, func(key string, val json.RawMessage, at string) bool {
		switch key {
		case "name":
			d.Name = str(&v, at, "name", val)
		case "description":
			d.Description = str(&v, at, "description", val)
		case "direction":
			d.Direction = presage.Direction(str(&v, at, "direction", val))
		case "valueField":
			d.ValueField = str(&v, at, "valueField", val)
		case "condition":
			d.Condition = condition(&v, at, val)
		case "id", "createdAt", "updatedAt":
			v.add(at, "%s is read-only: leave it out", key)
		default:
			return false
		}
		return true
	})
	if !ok {
		v.add("", "the body must be a JSON object")
	}
	return d, v.err()
}

func condition(v *violations, at string, raw json.RawMessage) presage.Condition {
	var c presage.Condition
	if kindOf(raw) == 'n' {
		return c
	}
	ok := object(v, at, "condition", raw, func(key string, val json.RawMessage, ptr string) bool {
		label := "condition." + key
		switch key {
		case "kind":
			c.Kind = presage.ConditionKind(str(v, ptr, label, val))
		case "eventName":
			c.EventName = str(v, ptr, label, val)
		case "urlPattern":
			c.URLPattern = str(v, ptr, label, val)
		case "formName":
			c.FormName = str(v, ptr, label, val)
		case "attributes":
			c.Attributes = attributes(v, ptr, val)
		default:
			return false
		}
		return true
	})
	if !ok {
		v.add(at, "condition must be an object")
	}
	return c
}

func attributes(v *violations, at string, raw json.RawMessage) []presage.AttrCondition {
	switch kindOf(raw) {
	case 'n':
		return nil
	case '[':
	default:
		v.add(at, "condition.attributes must be an array")
		return nil
	}
	var items []json.RawMessage
	_ = json.Unmarshal(raw, &items) // the whole document is valid JSON
	out := make([]presage.AttrCondition, 0, len(items))
	for i, item := range items {
		if i == MaxAttributeConditions {
			v.add(at, "condition.attributes holds at most %d conditions", MaxAttributeConditions)
			break
		}
		ptr := at + "/" + strconv.Itoa(i)
		label := "condition.attributes[" + strconv.Itoa(i) + "]"
		var a presage.AttrCondition
		ok := object(v, ptr, label, item, func(key string, val json.RawMessage, p string) bool {
			switch key {
			case "name":
				a.Name = str(v, p, label+".name", val)
			case "op":
				a.Op = presage.AttrOp(str(v, p, label+".op", val))
			case "value":
				if kindOf(val) != 'n' {
					a.Value = val
				}
			default:
				return false
			}
			return true
		})
		if !ok {
			v.add(ptr, "%s must be an object", label)
		}
		out = append(out, a)
	}
	return out
}

// object calls member for each member of the JSON object raw (at pointer
// at); member returns false for an unknown key. Duplicate keys are
// violations. object returns false when raw is not an object.
func object(v *violations, at, label string, raw json.RawMessage, member func(key string, val json.RawMessage, ptr string) bool) bool {
	if kindOf(raw) != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return true
		}
		ptr := at + "/" + escapePointer(key)
		switch {
		case seen[key]:
			v.add(ptr, "%s holds %q twice", label, key)
		case !member(key, val, ptr):
			v.add(ptr, "%s has no field %q", label, key)
		}
		seen[key] = true
	}
	return true
}

// str reads a JSON string; null reads as "".
func str(v *violations, at, label string, raw json.RawMessage) string {
	switch kindOf(raw) {
	case 'n':
		return ""
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	v.add(at, "%s must be a string", label)
	return ""
}

// kindOf returns the first byte of a JSON value, with 'n' for null and '0'
// for a number.
func kindOf(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; {
	case c == '-' || c >= '0' && c <= '9':
		return '0'
	default:
		return c
	}
}

// escapePointer escapes one JSON Pointer reference token (RFC 6901).
func escapePointer(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}
