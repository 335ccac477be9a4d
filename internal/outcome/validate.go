package outcome

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

// Limits of a definition. Lengths count Unicode characters. The event-side
// limits are the collector's: a condition longer than any event can carry
// could never match.
const (
	MaxName                = 100
	MaxDescription         = 1000
	MaxEventName           = collect.MaxNameLen      // an event or form name
	MaxAttributeConditions = 10                      // attribute conditions of one event condition
	MaxAttributeKey        = collect.MaxAttributeKey // an attribute name or the value field
	MaxStringValue         = collect.MaxStringValue  // a string compared with an attribute
	MaxURLPattern          = 512
)

// Definition is what an administrator declares of an outcome: everything but
// its identity and times. Update replaces the whole definition.
type Definition struct {
	Name        string
	Description string
	// Direction is required: maximize (the business wants it, e.g. a
	// purchase) or minimize (it wants to avoid it, e.g. a cancellation).
	Direction  presage.Direction
	Condition  presage.Condition
	ValueField string
}

// Ops lists the attribute operators in documentation order.
var Ops = []presage.AttrOp{presage.OpEq, presage.OpNe, presage.OpGt, presage.OpGte, presage.OpLt, presage.OpLte,
	presage.OpExists, presage.OpContains}

// maxViolations caps how many violations one rejected definition reports.
const maxViolations = 20

// violations collects the failures of one definition.
type violations []presage.Violation

func (v *violations) add(field, format string, args ...any) {
	if len(*v) < maxViolations {
		*v = append(*v, presage.Violation{Field: field, Index: -1, Detail: fmt.Sprintf(format, args...)})
	}
}

// err returns the CodeInvalid error for the collected violations, or nil. Its
// message is the first violation's, so a CLI or log line reads the same as
// the API's first error.
func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	msg := v[0].Detail
	switch n := len(v) - 1; {
	case len(v) >= maxViolations:
		msg += " (and more)"
	case n > 0:
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return &presage.Error{Code: presage.CodeInvalid, Message: msg, Violations: v}
}

// Validate checks d and returns it normalized: name and description trimmed,
// attribute values compacted, null values dropped. The error is a
// *presage.Error with CodeInvalid whose violations name each failing field as
// a JSON Pointer into the API's definition document ("/condition/eventName").
// A definition Validate accepts always compiles.
func Validate(d Definition) (Definition, error) {
	var v violations
	d.Name = strings.TrimSpace(d.Name)
	switch n := utf8.RuneCountInString(d.Name); {
	case d.Name == "":
		v.add("/name", "name is required")
	case n > MaxName || !printable(d.Name):
		v.add("/name", "name must be 1 to %d printable characters", MaxName)
	}
	d.Description = strings.TrimSpace(d.Description)
	if utf8.RuneCountInString(d.Description) > MaxDescription || !printableText(d.Description) {
		v.add("/description", "description must be at most %d characters of text", MaxDescription)
	}
	switch d.Direction {
	case presage.Maximize, presage.Minimize:
	case "":
		v.add("/direction", "direction is required: maximize or minimize")
	default:
		v.add("/direction", "direction must be maximize or minimize")
	}
	d.Condition = validateCondition(&v, d.Condition)
	if d.ValueField != "" && !collect.ValidAttributeKey(d.ValueField) {
		v.add("/valueField", "valueField must be an attribute name: 1 to %d characters of [A-Za-z0-9_.:-]", MaxAttributeKey)
	}
	if err := v.err(); err != nil {
		return Definition{}, err
	}
	return d, nil
}

// validateCondition checks c and returns it normalized; fields that do not
// belong to its kind are violations, not silently dropped.
func validateCondition(v *violations, c presage.Condition) presage.Condition {
	const at = "/condition/"
	forbid := func(field string, set bool) {
		if set {
			v.add(at+field, "condition.%s is not allowed when condition.kind is %s", field, c.Kind)
		}
	}
	switch c.Kind {
	case presage.ConditionEvent:
		forbid("urlPattern", c.URLPattern != "")
		forbid("formName", c.FormName != "")
		checkName(v, at+"eventName", "condition.eventName", c.EventName, true)
		if len(c.Attributes) > MaxAttributeConditions {
			v.add(at+"attributes", "condition.attributes holds at most %d conditions", MaxAttributeConditions)
			return c
		}
		attrs := make([]presage.AttrCondition, 0, len(c.Attributes))
		for i, a := range c.Attributes {
			attrs = append(attrs, validateAttr(v, i, a))
		}
		c.Attributes = attrs
		if len(attrs) == 0 {
			c.Attributes = nil
		}
	case presage.ConditionPage:
		forbid("eventName", c.EventName != "")
		forbid("attributes", c.Attributes != nil)
		forbid("formName", c.FormName != "")
		checkPattern(v, c.URLPattern)
	case presage.ConditionForm:
		forbid("eventName", c.EventName != "")
		forbid("attributes", c.Attributes != nil)
		forbid("urlPattern", c.URLPattern != "")
		checkName(v, at+"formName", "condition.formName", c.FormName, false)
	case "":
		v.add(at+"kind", "condition.kind is required: event, page or form")
	default:
		v.add(at+"kind", "condition.kind must be event, page or form")
	}
	return c
}

// checkName checks an event or form name: the exact name the tracker or the
// server sends, so it is not trimmed but refused with surrounding spaces.
func checkName(v *violations, ptr, label, name string, required bool) {
	switch {
	case name == "":
		if required {
			v.add(ptr, "%s is required", label)
		}
	case utf8.RuneCountInString(name) > MaxEventName || !printable(name):
		v.add(ptr, "%s must be 1 to %d printable characters", label, MaxEventName)
	case strings.TrimSpace(name) != name:
		v.add(ptr, "%s must not start or end with white space", label)
	}
}

func validateAttr(v *violations, i int, a presage.AttrCondition) presage.AttrCondition {
	at := "/condition/attributes/" + strconv.Itoa(i) + "/"
	label := "condition.attributes[" + strconv.Itoa(i) + "]."
	if !collect.ValidAttributeKey(a.Name) {
		v.add(at+"name", "%sname must be an attribute name: 1 to %d characters of [A-Za-z0-9_.:-]", label, MaxAttributeKey)
	}
	value := bytes.TrimSpace(a.Value)
	if bytes.Equal(value, []byte("null")) {
		value = nil
	}
	a.Value = nil
	if !slices.Contains(Ops, a.Op) {
		if a.Op == "" {
			v.add(at+"op", "%sop is required: eq, ne, gt, gte, lt, lte, exists or contains", label)
		} else {
			v.add(at+"op", "%sop must be eq, ne, gt, gte, lt, lte, exists or contains", label)
		}
		return a
	}
	if a.Op == presage.OpExists {
		if value != nil {
			v.add(at+"value", "%svalue is not allowed with exists", label)
		}
		return a
	}
	if value == nil {
		v.add(at+"value", "%svalue is required with %s", label, a.Op)
		return a
	}
	var want string
	switch a.Op {
	case presage.OpGt, presage.OpGte, presage.OpLt, presage.OpLte:
		want = "a number"
	case presage.OpContains:
		want = "a non-empty string"
	default:
		want = "a string, number or boolean"
	}
	kind, ok := scalar(value)
	switch {
	case !ok:
		v.add(at+"value", "%svalue must be %s", label, want)
	case kind == 'n' && !finite(value):
		v.add(at+"value", "%svalue must be a finite number", label)
	case kind == 's' && !fitString(value):
		v.add(at+"value", "%svalue must be a string of at most %d characters", label, MaxStringValue)
	case want == "a number" && kind != 'n',
		a.Op == presage.OpContains && (kind != 's' || string(value) == `""`):
		v.add(at+"value", "%svalue must be %s with %s", label, want, a.Op)
	default:
		var buf bytes.Buffer
		_ = json.Compact(&buf, value) // scalar checked it is valid
		a.Value = buf.Bytes()
	}
	return a
}

// scalar reports the kind of a JSON scalar: 'n' number, 's' string, 'b'
// boolean; ok is false for anything else, including malformed JSON.
func scalar(v []byte) (kind byte, ok bool) {
	if len(v) == 0 || !json.Valid(v) {
		return 0, false
	}
	switch c := v[0]; {
	case c == '"':
		return 's', true
	case c == 't' || c == 'f':
		return 'b', true
	case c == '-' || c >= '0' && c <= '9':
		return 'n', true
	}
	return 0, false
}

func finite(number []byte) bool {
	f, err := strconv.ParseFloat(string(number), 64)
	return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

func fitString(raw []byte) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil && utf8.ValidString(s) && utf8.RuneCountInString(s) <= MaxStringValue
}

// checkPattern checks a page condition's URL path pattern.
func checkPattern(v *violations, p string) {
	const at = "/condition/urlPattern"
	switch {
	case p == "":
		v.add(at, "condition.urlPattern is required, e.g. /checkout/thank-you or /product/*")
	case !strings.HasPrefix(p, "/"):
		v.add(at, "condition.urlPattern must be a URL path starting with /")
	case utf8.RuneCountInString(p) > MaxURLPattern || !printable(p) || strings.ContainsFunc(p, unicode.IsSpace):
		v.add(at, "condition.urlPattern must be at most %d printable characters without spaces", MaxURLPattern)
	case strings.ContainsAny(p, "?#"):
		v.add(at, "condition.urlPattern matches the path only: it must not hold ? or #")
	default:
		for _, seg := range strings.Split(p, "/") {
			if seg != "**" && strings.Contains(seg, "**") {
				v.add(at, "condition.urlPattern: ** must be a whole segment (/shop/**/cart); * matches within a segment")
				return
			}
		}
	}
}

// printable reports whether s is valid UTF-8 of printable characters (the
// ASCII space included, other white space and control characters not).
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}

// printableText is printable, also allowing line breaks and tabs.
func printableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsPrint(r) && r != '\n' && r != '\r' && r != '\t'
	})
}
