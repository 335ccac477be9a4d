package outcome

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// Matcher decides whether one event achieves one outcome. It is compiled
// once per definition and used for every event, so matching does not parse.
type Matcher struct {
	outcome presage.Outcome
	kind    presage.ConditionKind
	name    string // event or form name
	pattern []segment
	attrs   []attrTest
	value   string
}

type attrTest struct {
	name string
	op   presage.AttrOp
	num  float64
	str  string
	b    bool
	kind byte // 'n' number, 's' string, 'b' bool, 0 none
}

// Compile prepares a matcher for o, whose definition must be valid.
func Compile(o presage.Outcome) (*Matcher, error) {
	m := &Matcher{outcome: o, kind: o.Condition.Kind, value: o.ValueField}
	switch o.Condition.Kind {
	case presage.ConditionEvent:
		m.name = o.Condition.EventName
		for i, a := range o.Condition.Attributes {
			t, err := compileAttr(a)
			if err != nil {
				return nil, fmt.Errorf("compile outcome %s: attribute %d: %w", o.ID, i, err)
			}
			m.attrs = append(m.attrs, t)
		}
	case presage.ConditionPage:
		m.pattern = compilePattern(o.Condition.URLPattern)
	case presage.ConditionForm:
		m.name = o.Condition.FormName
	default:
		return nil, fmt.Errorf("compile outcome %s: unknown condition kind %q", o.ID, o.Condition.Kind)
	}
	return m, nil
}

// Outcome returns the definition the matcher was compiled from.
func (m *Matcher) Outcome() presage.Outcome { return m.outcome }

func compileAttr(a presage.AttrCondition) (attrTest, error) {
	t := attrTest{name: a.Name, op: a.Op}
	v := bytes.TrimSpace(a.Value)
	if a.Op == presage.OpExists || len(v) == 0 {
		if a.Op != presage.OpExists {
			return t, fmt.Errorf("operator %q needs a value", a.Op)
		}
		return t, nil
	}
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return t, fmt.Errorf("value: %w", err)
	}
	switch x := x.(type) {
	case float64:
		t.kind, t.num = 'n', x
	case string:
		t.kind, t.str = 's', x
	case bool:
		t.kind, t.b = 'b', x
	default:
		return t, fmt.Errorf("value must be a string, number or boolean")
	}
	return t, nil
}

// NeedsAttributes reports whether Match reads the attributes of an event of
// this type and name, so a caller may skip decoding them when no matcher does.
func (m *Matcher) NeedsAttributes(typ presage.EventType, name string) bool {
	if len(m.attrs) == 0 && m.value == "" {
		return false
	}
	switch m.kind {
	case presage.ConditionEvent:
		return typ == presage.EventCustom && name == m.name
	case presage.ConditionPage:
		return typ == presage.EventPageview
	case presage.ConditionForm:
		return typ == presage.EventFormSubmit && (m.name == "" || name == m.name)
	}
	return false
}

// Match reports whether an event achieves the outcome and, when the outcome
// has a value field the event carries as a number, the achievement's value.
// path is the URL path; attrs are the event's decoded attributes.
func (m *Matcher) Match(typ presage.EventType, name, path string, attrs map[string]any) (bool, *float64) {
	switch m.kind {
	case presage.ConditionEvent:
		if typ != presage.EventCustom || name != m.name {
			return false, nil
		}
		for i := range m.attrs {
			if !m.attrs[i].holds(attrs) {
				return false, nil
			}
		}
	case presage.ConditionPage:
		if typ != presage.EventPageview || !matchPath(m.pattern, path) {
			return false, nil
		}
	case presage.ConditionForm:
		if typ != presage.EventFormSubmit || (m.name != "" && name != m.name) {
			return false, nil
		}
	default:
		return false, nil
	}
	if m.value == "" {
		return true, nil
	}
	if f, ok := number(attrs[m.value]); ok {
		return true, &f
	}
	return true, nil
}

func (t *attrTest) holds(attrs map[string]any) bool {
	v, ok := attrs[t.name]
	if inner, isTyped := v.(map[string]any); isTyped { // {"dataType": …, "value": …}
		v, ok = inner["value"]
	}
	if !ok || v == nil {
		return false
	}
	if t.op == presage.OpExists {
		return true
	}
	switch t.kind {
	case 'n':
		f, isNum := number(v)
		if !isNum {
			return t.op == presage.OpNe
		}
		switch t.op {
		case presage.OpEq:
			return f == t.num
		case presage.OpNe:
			return f != t.num
		case presage.OpGt:
			return f > t.num
		case presage.OpGte:
			return f >= t.num
		case presage.OpLt:
			return f < t.num
		case presage.OpLte:
			return f <= t.num
		}
	case 's':
		s, isStr := v.(string)
		if !isStr {
			s = fmt.Sprint(v)
		}
		switch t.op {
		case presage.OpEq:
			return s == t.str
		case presage.OpNe:
			return s != t.str
		case presage.OpContains:
			return strings.Contains(strings.ToLower(s), strings.ToLower(t.str))
		}
	case 'b':
		b, isBool := v.(bool)
		switch t.op {
		case presage.OpEq:
			return isBool && b == t.b
		case presage.OpNe:
			return !isBool || b != t.b
		}
	}
	return false
}

// number reads a JSON number, or a string holding one.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	case map[string]any:
		return number(x["value"])
	}
	return 0, false
}

// segment is one compiled segment of a URL pattern: "**" (any run of
// segments) or the literal parts between its "*" wildcards.
type segment struct {
	any   bool
	parts []string // len 1: a literal segment
}

func compilePattern(p string) []segment {
	raw := strings.Split(strings.Trim(strings.ToLower(p), "/"), "/")
	out := make([]segment, 0, len(raw))
	for _, r := range raw {
		if r == "**" {
			if len(out) > 0 && out[len(out)-1].any {
				continue // "**/**" matches what "**" matches
			}
			out = append(out, segment{any: true})
			continue
		}
		out = append(out, segment{parts: strings.Split(r, "*")})
	}
	return out
}

// matchPath matches a URL path against a compiled pattern: "*" inside a
// segment matches any run of characters of that segment, a "**" segment any
// number of segments.
func matchPath(pattern []segment, path string) bool {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.Trim(strings.ToLower(path), "/"), "/")
	return matchSegs(pattern, segs)
}

// matchSegs is the classic wildcard match over segments: on a mismatch it
// backtracks only to the latest "**", letting it absorb one more segment.
// Forgetting earlier "**"s loses no match, so the time is at most
// len(pattern) × len(segs) segment tests, whatever the pattern.
func matchSegs(pattern []segment, segs []string) bool {
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(segs) {
		switch {
		case p < len(pattern) && pattern[p].any:
			star, mark = p, s
			p++
		case p < len(pattern) && globSegment(pattern[p].parts, segs[s]):
			p++
			s++
		case star >= 0:
			mark++
			p, s = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p].any {
		p++
	}
	return p == len(pattern)
}

// globSegment matches one segment against the parts of its pattern between
// "*" wildcards, each of which matches any run of characters.
func globSegment(parts []string, s string) bool {
	if len(parts) == 1 {
		return parts[0] == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
