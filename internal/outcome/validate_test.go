package outcome

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func event(name string, attrs ...presage.AttrCondition) presage.Condition {
	return presage.Condition{Kind: presage.ConditionEvent, EventName: name, Attributes: attrs}
}

func attr(name string, op presage.AttrOp, value string) presage.AttrCondition {
	a := presage.AttrCondition{Name: name, Op: op}
	if value != "" {
		a.Value = json.RawMessage(value)
	}
	return a
}

func def(c presage.Condition) Definition {
	return Definition{Name: "Outcome", Direction: presage.Maximize, Condition: c}
}

// fields returns the pointers a validation error names.
func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var pe *presage.Error
	if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || pe.Message == "" {
		t.Fatalf("error %v is not an invalid *presage.Error", err)
	}
	var out []string
	for _, v := range pe.Violations {
		if v.Index != -1 || v.Detail == "" || !strings.HasPrefix(v.Field, "/") {
			t.Fatalf("bad violation %+v", v)
		}
		out = append(out, v.Field)
	}
	return out
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	with := func(f func(*Definition)) Definition {
		d := def(event("purchase"))
		f(&d)
		return d
	}
	for _, tc := range []struct {
		name   string
		d      Definition
		fields []string // nil: valid
	}{
		{"event", def(event("purchase")), nil},
		{"event with every op", def(event("purchase",
			attr("total", presage.OpGt, "1"), attr("total", presage.OpGte, "-1.5e3"), attr("total", presage.OpLt, "1e6"),
			attr("total", presage.OpLte, "0"), attr("plan", presage.OpEq, `"pro"`), attr("plan", presage.OpNe, "3"),
			attr("gift", presage.OpEq, "true"), attr("coupon", presage.OpExists, ""), attr("sku", presage.OpContains, `"SHOE"`),
			attr("a.b:c-d_e", presage.OpExists, "null"))), nil},
		{"page", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/checkout/**/thank-*"}), nil},
		{"page root", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/"}), nil},
		{"page non-ASCII", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/café/*"}), nil},
		{"any form", def(presage.Condition{Kind: presage.ConditionForm}), nil},
		{"named form", def(presage.Condition{Kind: presage.ConditionForm, FormName: "Contact us"}), nil},
		{"minimize", with(func(d *Definition) { d.Direction = presage.Minimize }), nil},
		{"value field", with(func(d *Definition) { d.ValueField = "order.total" }), nil},
		{"longest name", with(func(d *Definition) { d.Name = strings.Repeat("é", MaxName) }), nil},
		{"longest description", with(func(d *Definition) { d.Description = "line\n\t" + long(MaxDescription-6) }), nil},
		{"ten attributes", def(event("e", slices.Repeat([]presage.AttrCondition{attr("a", presage.OpExists, "")}, 10)...)), nil},
		{"longest event name", def(event(long(MaxEventName))), nil},

		{"empty", Definition{}, []string{"/name", "/direction", "/condition/kind"}},
		{"blank name", with(func(d *Definition) { d.Name = "   " }), []string{"/name"}},
		{"long name", with(func(d *Definition) { d.Name = long(MaxName + 1) }), []string{"/name"}},
		{"control in name", with(func(d *Definition) { d.Name = "a\x07b" }), []string{"/name"}},
		{"newline in name", with(func(d *Definition) { d.Name = "a\nb" }), []string{"/name"}},
		{"invalid UTF-8 name", with(func(d *Definition) { d.Name = "a\xffb" }), []string{"/name"}},
		{"long description", with(func(d *Definition) { d.Description = long(MaxDescription + 1) }), []string{"/description"}},
		{"control in description", with(func(d *Definition) { d.Description = "a\x00" }), []string{"/description"}},
		{"no direction", with(func(d *Definition) { d.Direction = "" }), []string{"/direction"}},
		{"bad direction", with(func(d *Definition) { d.Direction = "Maximize" }), []string{"/direction"}},
		{"bad value field", with(func(d *Definition) { d.ValueField = "order total" }), []string{"/valueField"}},
		{"long value field", with(func(d *Definition) { d.ValueField = long(MaxAttributeKey + 1) }), []string{"/valueField"}},
		{"bad kind", def(presage.Condition{Kind: "click"}), []string{"/condition/kind"}},

		{"event without name", def(event("")), []string{"/condition/eventName"}},
		{"long event name", def(event(long(MaxEventName + 1))), []string{"/condition/eventName"}},
		{"padded event name", def(event(" purchase")), []string{"/condition/eventName"}},
		{"control in event name", def(event("pur\tchase")), []string{"/condition/eventName"}},
		{"event with page fields", def(presage.Condition{Kind: presage.ConditionEvent, EventName: "e", URLPattern: "/", FormName: "f"}),
			[]string{"/condition/urlPattern", "/condition/formName"}},
		{"eleven attributes", def(event("e", slices.Repeat([]presage.AttrCondition{attr("a", presage.OpExists, "")}, 11)...)),
			[]string{"/condition/attributes"}},
		{"attribute without name", def(event("e", attr("", presage.OpExists, ""))), []string{"/condition/attributes/0/name"}},
		{"attribute bad name", def(event("e", attr("a", presage.OpExists, ""), attr("tot al", presage.OpExists, ""))),
			[]string{"/condition/attributes/1/name"}},
		{"attribute long name", def(event("e", attr(long(MaxAttributeKey+1), presage.OpExists, ""))), []string{"/condition/attributes/0/name"}},
		{"attribute without op", def(event("e", attr("a", "", "1"))), []string{"/condition/attributes/0/op"}},
		{"attribute unknown op", def(event("e", attr("a", "between", "1"))), []string{"/condition/attributes/0/op"}},
		{"attribute op in upper case", def(event("e", attr("a", "EQ", "1"))), []string{"/condition/attributes/0/op"}},
		{"exists with a value", def(event("e", attr("a", presage.OpExists, "1"))), []string{"/condition/attributes/0/value"}},
		{"eq without value", def(event("e", attr("a", presage.OpEq, ""))), []string{"/condition/attributes/0/value"}},
		{"eq with null", def(event("e", attr("a", presage.OpEq, "null"))), []string{"/condition/attributes/0/value"}},
		{"eq with object", def(event("e", attr("a", presage.OpEq, `{"x":1}`))), []string{"/condition/attributes/0/value"}},
		{"eq with array", def(event("e", attr("a", presage.OpEq, `[1]`))), []string{"/condition/attributes/0/value"}},
		{"eq with malformed JSON", def(event("e", attr("a", presage.OpEq, `"x`))), []string{"/condition/attributes/0/value"}},
		{"eq with long string", def(event("e", attr("a", presage.OpEq, `"`+long(MaxStringValue+1)+`"`))), []string{"/condition/attributes/0/value"}},
		{"gt with a string", def(event("e", attr("a", presage.OpGt, `"5"`))), []string{"/condition/attributes/0/value"}},
		{"lte with a boolean", def(event("e", attr("a", presage.OpLte, `true`))), []string{"/condition/attributes/0/value"}},
		{"gte with infinity", def(event("e", attr("a", presage.OpGte, `1e400`))), []string{"/condition/attributes/0/value"}},
		{"contains a number", def(event("e", attr("a", presage.OpContains, `5`))), []string{"/condition/attributes/0/value"}},
		{"contains nothing", def(event("e", attr("a", presage.OpContains, `""`))), []string{"/condition/attributes/0/value"}},

		{"page without pattern", def(presage.Condition{Kind: presage.ConditionPage}), []string{"/condition/urlPattern"}},
		{"page relative", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "checkout"}), []string{"/condition/urlPattern"}},
		{"page full URL", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "https://shop.example/"}), []string{"/condition/urlPattern"}},
		{"page query", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/search?q=*"}), []string{"/condition/urlPattern"}},
		{"page fragment", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/a#b"}), []string{"/condition/urlPattern"}},
		{"page space", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/a b"}), []string{"/condition/urlPattern"}},
		{"page long", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/" + long(MaxURLPattern)}), []string{"/condition/urlPattern"}},
		{"page ** in a segment", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/shop**"}), []string{"/condition/urlPattern"}},
		{"page with event fields", def(presage.Condition{Kind: presage.ConditionPage, URLPattern: "/", EventName: "e",
			Attributes: []presage.AttrCondition{}, FormName: "f"}),
			[]string{"/condition/eventName", "/condition/attributes", "/condition/formName"}},
		{"form with other fields", def(presage.Condition{Kind: presage.ConditionForm, EventName: "e", URLPattern: "/x",
			Attributes: []presage.AttrCondition{attr("a", presage.OpExists, "")}}),
			[]string{"/condition/eventName", "/condition/attributes", "/condition/urlPattern"}},
		{"form long name", def(presage.Condition{Kind: presage.ConditionForm, FormName: long(MaxEventName + 1)}), []string{"/condition/formName"}},
		{"form padded name", def(presage.Condition{Kind: presage.ConditionForm, FormName: "contact "}), []string{"/condition/formName"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Validate(tc.d)
			if f := fields(t, err); !slices.Equal(f, tc.fields) {
				t.Fatalf("violations %v (%v), want %v", f, err, tc.fields)
			}
			if err != nil {
				return
			}
			o := define(presage.Outcome{ID: "out_test"}, got)
			if _, err := Compile(o); err != nil {
				t.Fatalf("a valid definition does not compile: %v", err)
			}
			again, err := Validate(got)
			if err != nil {
				t.Fatalf("a normalized definition is invalid: %v", err)
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(again)
			if string(a) != string(b) {
				t.Fatalf("normalizing twice changes %s into %s", a, b)
			}
		})
	}
}

func TestValidateNormalizes(t *testing.T) {
	d, err := Validate(Definition{Name: " Big order\u00a0", Description: "\n Over 100. \n", Direction: presage.Maximize,
		Condition: event("purchase", attr("total", presage.OpGt, " 1e2 "), attr("coupon", presage.OpExists, "null"),
			attr("sku", presage.OpEq, "\"a\\u0062\"\n"))})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Big order" || d.Description != "Over 100." {
		t.Errorf("name %q description %q", d.Name, d.Description)
	}
	a := d.Condition.Attributes
	if string(a[0].Value) != "1e2" || a[1].Value != nil || string(a[2].Value) != `"a\u0062"` {
		t.Errorf("values %s %s %s", a[0].Value, a[1].Value, a[2].Value)
	}
	d, err = Validate(def(event("e", []presage.AttrCondition{}...)))
	if err != nil || d.Condition.Attributes != nil {
		t.Errorf("empty attributes: %v, %v", d.Condition.Attributes, err)
	}
}

func TestValidateReportsEveryViolationUpToALimit(t *testing.T) {
	attrs := slices.Repeat([]presage.AttrCondition{attr("bad key", "op", "")}, MaxAttributeConditions)
	_, err := Validate(Definition{Condition: event("", attrs...)})
	var pe *presage.Error
	if !errors.As(err, &pe) || len(pe.Violations) != maxViolations || !strings.HasSuffix(pe.Message, "(and more)") {
		t.Fatalf("got %d violations: %v", len(pe.Violations), err)
	}
}
