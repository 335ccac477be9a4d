package outcome

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func compile(t *testing.T, c presage.Condition, valueField string) *Matcher {
	t.Helper()
	m, err := Compile(presage.Outcome{ID: "out_test", Name: "Test", Condition: c, ValueField: valueField})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCompileRefusesWhatValidateRefuses(t *testing.T) {
	for _, c := range []presage.Condition{
		{Kind: "click"},
		{},
		event("e", attr("a", presage.OpEq, "")),
		event("e", attr("a", presage.OpGt, `{"x":1}`)),
		event("e", attr("a", presage.OpEq, `[1]`)),
		event("e", attr("a", presage.OpEq, `nope`)),
	} {
		if _, err := Compile(presage.Outcome{ID: "out_x", Condition: c}); err == nil {
			t.Errorf("Compile(%+v) succeeded", c)
		}
	}
	o := presage.Outcome{ID: "out_x", Name: "Kept", Condition: event("e")}
	if m, err := Compile(o); err != nil || m.Outcome().Name != "Kept" || m.Outcome().ID != "out_x" {
		t.Errorf("Outcome() = %+v, %v", m.Outcome(), err)
	}
}

func TestMatchEvent(t *testing.T) {
	m := compile(t, event("purchase"), "")
	for _, tc := range []struct {
		typ  presage.EventType
		name string
		want bool
	}{
		{presage.EventCustom, "purchase", true},
		{presage.EventCustom, "Purchase", false},
		{presage.EventCustom, "purchase ", false},
		{presage.EventCustom, "", false},
		{presage.EventFormSubmit, "purchase", false},
		{presage.EventPageview, "purchase", false},
	} {
		if ok, v := m.Match(tc.typ, tc.name, "/", nil); ok != tc.want || v != nil {
			t.Errorf("Match(%s, %q) = %v, %v", tc.typ, tc.name, ok, v)
		}
	}
}

func typed(dataType string, v any) map[string]any {
	return map[string]any{"dataType": dataType, "value": v}
}

func TestMatchAttributes(t *testing.T) {
	attrs := map[string]any{
		"total":     60.0,
		"text":      "12.5",
		"typed":     typed("number", "42"),
		"typedNum":  typed("integer", 7.0),
		"typedNull": typed("string", nil),
		"plan":      "Pro",
		"gift":      true,
		"nothing":   nil,
		"count":     5.0,
	}
	for _, tc := range []struct {
		a    presage.AttrCondition
		want bool
	}{
		{attr("total", presage.OpEq, "60"), true},
		{attr("total", presage.OpEq, "60.0"), true},
		{attr("total", presage.OpNe, "60"), false},
		{attr("total", presage.OpGt, "59.99"), true},
		{attr("total", presage.OpGt, "60"), false},
		{attr("total", presage.OpGte, "60"), true},
		{attr("total", presage.OpLt, "60"), false},
		{attr("total", presage.OpLt, "1e3"), true},
		{attr("total", presage.OpLte, "60"), true},
		{attr("total", presage.OpLte, "-1"), false},
		{attr("text", presage.OpGt, "12"), true},     // a string holding a number compares as one
		{attr("text", presage.OpEq, "12.5"), true},   // …
		{attr("text", presage.OpEq, `"12.5"`), true}, // and as the string it is
		{attr("typed", presage.OpGte, "42"), true},   // {"dataType", "value"} reads its value
		{attr("typed", presage.OpLt, "42"), false},
		{attr("typedNum", presage.OpEq, "7"), true},
		{attr("typedNull", presage.OpExists, ""), false},
		{attr("typedNull", presage.OpNe, `"x"`), false},
		{attr("plan", presage.OpGt, "1"), false}, // not a number
		{attr("plan", presage.OpNe, "1"), true},  // not a number, so not 1
		{attr("plan", presage.OpEq, `"Pro"`), true},
		{attr("plan", presage.OpEq, `"pro"`), false}, // eq is exact
		{attr("plan", presage.OpNe, `"pro"`), true},
		{attr("plan", presage.OpContains, `"RO"`), true}, // contains ignores case
		{attr("plan", presage.OpContains, `"basic"`), false},
		{attr("count", presage.OpEq, `"5"`), true}, // a number compared with a string reads as its text
		{attr("count", presage.OpContains, `"5"`), true},
		{attr("gift", presage.OpEq, "true"), true},
		{attr("gift", presage.OpEq, "false"), false},
		{attr("gift", presage.OpNe, "false"), true},
		{attr("plan", presage.OpEq, "true"), false},
		{attr("plan", presage.OpNe, "true"), true}, // not a boolean, so not true
		{attr("gift", presage.OpExists, ""), true},
		{attr("nothing", presage.OpExists, ""), false}, // null is absent
		{attr("nothing", presage.OpNe, "1"), false},
		{attr("missing", presage.OpExists, ""), false},
		{attr("missing", presage.OpNe, "1"), false}, // ne needs the attribute
		{attr("missing", presage.OpNe, `"x"`), false},
		{attr("missing", presage.OpNe, "true"), false},
	} {
		m := compile(t, event("e", tc.a), "")
		if ok, _ := m.Match(presage.EventCustom, "e", "", attrs); ok != tc.want {
			t.Errorf("%s %s %s: got %v", tc.a.Name, tc.a.Op, tc.a.Value, ok)
		}
	}
	if ok, _ := compile(t, event("e", attr("total", presage.OpExists, "")), "").Match(presage.EventCustom, "e", "", nil); ok {
		t.Error("nil attributes matched exists")
	}
	all := compile(t, event("e", attr("total", presage.OpGte, "50"), attr("total", presage.OpLt, "100"), attr("gift", presage.OpEq, "true")), "")
	if ok, _ := all.Match(presage.EventCustom, "e", "", attrs); !ok {
		t.Error("every condition holds, no match")
	}
	attrs["total"] = 100.0
	if ok, _ := all.Match(presage.EventCustom, "e", "", attrs); ok {
		t.Error("one condition fails, yet a match")
	}
}

func TestMatchValueField(t *testing.T) {
	for _, tc := range []struct {
		attr any
		want *float64
	}{
		{129.9, ptr(129.9)},
		{"129.90", ptr(129.9)},
		{" 7 ", ptr(7)},
		{typed("number", 3.5), ptr(3.5)},
		{typed("string", "4"), ptr(4)},
		{"NaN", nil},
		{"Inf", nil},
		{"-Infinity", nil},
		{"twelve", nil},
		{true, nil},
		{nil, nil},
	} {
		m := compile(t, event("purchase"), "total")
		ok, v := m.Match(presage.EventCustom, "purchase", "", map[string]any{"total": tc.attr})
		if !ok || (v == nil) != (tc.want == nil) || v != nil && *v != *tc.want {
			t.Errorf("value of %#v = %v, %v", tc.attr, ok, v)
		}
	}
	m := compile(t, event("purchase"), "total")
	if ok, v := m.Match(presage.EventCustom, "purchase", "", nil); !ok || v != nil {
		t.Errorf("no attributes: %v, %v", ok, v)
	}
	if ok, v := m.Match(presage.EventCustom, "other", "", map[string]any{"total": 1.0}); ok || v != nil {
		t.Errorf("no match still has a value: %v, %v", ok, v)
	}
	form := compile(t, presage.Condition{Kind: presage.ConditionForm}, "field.amount")
	if ok, v := form.Match(presage.EventFormSubmit, "checkout", "/", map[string]any{"field.amount": "19"}); !ok || v == nil || *v != 19 {
		t.Errorf("form value: %v, %v", ok, v)
	}
}

func ptr(f float64) *float64 { return &f }

func TestMatchPage(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{"/", []string{"/", ""}, []string{"/a"}},
		{"/checkout/thank-you", []string{"/checkout/thank-you", "/Checkout/Thank-You/", "/checkout/thank-you?order=1", "/checkout/thank-you#top"},
			[]string{"/checkout", "/checkout/thank-you/again", "/x/checkout/thank-you", "/checkout/thank-yo"}},
		{"/Product/*", []string{"/product/shoe", "/PRODUCT/x"}, []string{"/product", "/product/", "/product/shoe/red", "/products/shoe"}},
		{"/product/*-red", []string{"/product/shoe-red", "/product/-red"}, []string{"/product/shoe-blue", "/product/red"}},
		{"/p/a*b*c", []string{"/p/abc", "/p/aXbYc", "/p/abbc", "/p/acbc"}, []string{"/p/ab", "/p/acb", "/p/bac"}},
		{"/p/*a*", []string{"/p/a", "/p/xay"}, []string{"/p/xyz"}},
		{"/p/ab*ba", []string{"/p/abba", "/p/abXba"}, []string{"/p/aba"}},
		{"/shop/**", []string{"/shop", "/shop/", "/shop/a", "/shop/a/b/c"}, []string{"/shopping", "/x/shop"}},
		{"/**/cart", []string{"/cart", "/a/cart", "/a/b/cart"}, []string{"/cart/x", "/a/carts"}},
		{"/**", []string{"/", "/a", "/a/b"}, nil},
		{"/a/**/b/**/c", []string{"/a/b/c", "/a/x/b/y/z/c", "/a/b/b/c", "/a/b/c/b/c"}, []string{"/a/c", "/a/b", "/a/x/c"}},
		{"/**/**/x", []string{"/x", "/a/b/x"}, []string{"/a"}},
		{"/*/**/*", []string{"/a/b", "/a/b/c"}, []string{"/a"}},
		{"/café/*", []string{"/CAFÉ/menu"}, []string{"/cafe/menu"}},
	} {
		m := compile(t, presage.Condition{Kind: presage.ConditionPage, URLPattern: tc.pattern}, "")
		for _, p := range tc.yes {
			if ok, _ := m.Match(presage.EventPageview, "", p, nil); !ok {
				t.Errorf("%s does not match %q", tc.pattern, p)
			}
		}
		for _, p := range tc.no {
			if ok, _ := m.Match(presage.EventPageview, "", p, nil); ok {
				t.Errorf("%s matches %q", tc.pattern, p)
			}
		}
		if ok, _ := m.Match(presage.EventCustom, "", tc.yes[0], nil); ok {
			t.Errorf("%s matches a custom event", tc.pattern)
		}
	}
}

func TestMatchForm(t *testing.T) {
	anyForm := compile(t, presage.Condition{Kind: presage.ConditionForm}, "")
	named := compile(t, presage.Condition{Kind: presage.ConditionForm, FormName: "contact"}, "")
	for _, tc := range []struct {
		typ        presage.EventType
		name       string
		any, named bool
	}{
		{presage.EventFormSubmit, "contact", true, true},
		{presage.EventFormSubmit, "newsletter", true, false},
		{presage.EventFormSubmit, "", true, false},
		{presage.EventFormSubmit, "Contact", true, false},
		{presage.EventFormStart, "contact", false, false},
		{presage.EventFormAbandon, "contact", false, false},
		{presage.EventCustom, "contact", false, false},
	} {
		if ok, _ := anyForm.Match(tc.typ, tc.name, "/", nil); ok != tc.any {
			t.Errorf("any form, %s %q: %v", tc.typ, tc.name, ok)
		}
		if ok, _ := named.Match(tc.typ, tc.name, "/", nil); ok != tc.named {
			t.Errorf("form contact, %s %q: %v", tc.typ, tc.name, ok)
		}
	}
}

// TestMatchPathTimeIsBounded guards against patterns whose "**"s would
// backtrack exponentially: matching runs for every event of every outcome.
func TestMatchPathTimeIsBounded(t *testing.T) {
	longPath := "/" + strings.Repeat("a/", 1000) + "b"
	for _, pattern := range []string{
		"/" + strings.Repeat("**/", 170) + "x",
		"/" + strings.Repeat("**/a/", 100) + "x",
		"/" + strings.Repeat("*a*a*/", 80) + "**/x",
	} {
		m := compile(t, presage.Condition{Kind: presage.ConditionPage, URLPattern: pattern}, "")
		start := time.Now()
		if ok, _ := m.Match(presage.EventPageview, "", longPath, nil); ok {
			t.Errorf("%.20s… matches", pattern)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%.20s… took %v", pattern, d)
		}
	}
}

// naiveMatch is the obvious recursive definition of the pattern language,
// exponential but plainly right, to check matchSegs against.
func naiveMatch(pattern, segs []string) bool {
	if len(pattern) == 0 {
		return len(segs) == 0
	}
	if pattern[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if naiveMatch(pattern[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	return len(segs) > 0 && naiveGlob(pattern[0], segs[0]) && naiveMatch(pattern[1:], segs[1:])
}

func naiveGlob(p, s string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if naiveGlob(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && p[0] == s[0] && naiveGlob(p[1:], s[1:])
}

func TestMatchPathAgreesWithTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patternSegs := []string{"**", "*", "a", "b", "a*", "*b", "a*b", "*a*", "ab", ""}
	pathSegs := []string{"a", "b", "ab", "ba", "aab", "", "bab"}
	pick := func(from []string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = from[rng.IntN(len(from))]
		}
		return out
	}
	for range 20000 {
		p := pick(patternSegs, 1+rng.IntN(5))
		s := pick(pathSegs, 1+rng.IntN(6))
		pattern, path := "/"+strings.Join(p, "/"), "/"+strings.Join(s, "/")
		// Both sides split as the matcher does: outer slashes trimmed.
		want := naiveMatch(strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/"))
		if got := matchPath(compilePattern(pattern), path); got != want {
			t.Fatalf("%s against %s: got %v, want %v", pattern, path, got, want)
		}
	}
}

func TestAttributeValuesKeepTheirJSONType(t *testing.T) {
	// "5" (a string) and 5 (a number) differ only for contains and for
	// attributes that are not numbers.
	str := compile(t, event("e", presage.AttrCondition{Name: "a", Op: presage.OpEq, Value: json.RawMessage(`"05"`)}), "")
	num := compile(t, event("e", presage.AttrCondition{Name: "a", Op: presage.OpEq, Value: json.RawMessage(`5`)}), "")
	attrs := map[string]any{"a": "05"}
	if ok, _ := str.Match(presage.EventCustom, "e", "", attrs); !ok {
		t.Error(`"05" eq "05" failed`)
	}
	if ok, _ := num.Match(presage.EventCustom, "e", "", attrs); !ok {
		t.Error(`"05" eq 5 failed: a numeric string compares as a number`)
	}
	attrs["a"] = 5.0
	if ok, _ := str.Match(presage.EventCustom, "e", "", attrs); ok {
		t.Error(`5 eq "05" matched: a number compared with a string reads as its text "5"`)
	}
}
