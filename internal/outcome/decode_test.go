package outcome

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func TestDecodeDefinition(t *testing.T) {
	d, err := DecodeDefinition([]byte(`{
		"name": "Purchase", "description": "An order", "direction": "maximize", "valueField": "total",
		"condition": {"kind": "event", "eventName": "purchase", "urlPattern": null, "attributes": [
			{"name": "total", "op": "gte", "value": 50.5},
			{"name": "coupon", "op": "exists", "value": null},
			{"name": "plan", "op": "eq", "value": "pro"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Definition{Name: "Purchase", Description: "An order", Direction: presage.Maximize, ValueField: "total",
		Condition: event("purchase", attr("total", presage.OpGte, "50.5"), attr("coupon", presage.OpExists, ""),
			attr("plan", presage.OpEq, `"pro"`))}
	a, _ := json.Marshal(d)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("decoded %s\nwant    %s", a, b)
	}
	d, err = DecodeDefinition([]byte(`{"name": "Thanks", "direction": "minimize", "description": null,
		"condition": {"kind": "page", "urlPattern": "/thanks", "attributes": null}}`))
	if err != nil || d.Condition.URLPattern != "/thanks" || d.Condition.Attributes != nil || d.Description != "" {
		t.Fatalf("page: %+v, %v", d, err)
	}
}

func TestDecodeDefinitionNamesEachFailingField(t *testing.T) {
	for _, tc := range []struct {
		body   string
		fields []string
		detail string // of the first violation
	}{
		{``, []string{""}, "the body is empty"},
		{`  `, []string{""}, "the body is empty"},
		{`{"name": "a"`, []string{""}, "malformed JSON at byte 12"},
		{`{"name": "a"} {}`, []string{""}, "malformed JSON"},
		{"{\"name\": \"\xff\"}", []string{""}, "the body must be UTF-8"},
		{`[]`, []string{""}, "the body must be a JSON object"},
		{`null`, []string{""}, "the body must be a JSON object"},
		{`{"nmae": "x"}`, []string{"/nmae"}, `the body has no field "nmae"`},
		{`{"a/b~c": 1}`, []string{"/a~1b~0c"}, `the body has no field "a/b~c"`},
		{`{"name": "a", "name": "b"}`, []string{"/name"}, `the body holds "name" twice`},
		{`{"id": "out_x", "createdAt": "2026-01-01", "updatedAt": null}`, []string{"/id", "/createdAt", "/updatedAt"}, "id is read-only: leave it out"},
		{`{"name": 5}`, []string{"/name"}, "name must be a string"},
		{`{"description": true, "direction": ["maximize"], "valueField": {}}`, []string{"/description", "/direction", "/valueField"}, "description must be a string"},
		{`{"condition": "event"}`, []string{"/condition"}, "condition must be an object"},
		{`{"condition": {"kind": "page", "urlPatern": "/x"}}`, []string{"/condition/urlPatern"}, `condition has no field "urlPatern"`},
		{`{"condition": {"kind": 1, "eventName": 2, "urlPattern": 3, "formName": 4}}`,
			[]string{"/condition/kind", "/condition/eventName", "/condition/urlPattern", "/condition/formName"}, "condition.kind must be a string"},
		{`{"condition": {"kind": "event", "kind": "page"}}`, []string{"/condition/kind"}, `condition holds "kind" twice`},
		{`{"condition": {"attributes": {"name": "a"}}}`, []string{"/condition/attributes"}, "condition.attributes must be an array"},
		{`{"condition": {"attributes": [1, {"name": 1, "op": false, "valeu": 3}]}}`,
			[]string{"/condition/attributes/0", "/condition/attributes/1/name", "/condition/attributes/1/op", "/condition/attributes/1/valeu"},
			"condition.attributes[0] must be an object"},
		{`{"condition": {"attributes": [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}]}}`, []string{"/condition/attributes"},
			"condition.attributes holds at most 10 conditions"},
	} {
		_, err := DecodeDefinition([]byte(tc.body))
		var pe *presage.Error
		if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid {
			t.Errorf("%s: error %v", tc.body, err)
			continue
		}
		var got []string
		for _, v := range pe.Violations {
			got = append(got, v.Field)
		}
		if !slices.Equal(got, tc.fields) || !strings.HasPrefix(pe.Violations[0].Detail, tc.detail) {
			t.Errorf("%s: violations %+v, want fields %v and %q", tc.body, pe.Violations, tc.fields, tc.detail)
		}
	}
}

// FuzzDecodeOutcome checks the definition parser and the validation behind
// it: no input panics; a refusal is an invalid *presage.Error whose
// violations are JSON Pointers; whatever Validate accepts compiles,
// validates again unchanged, survives a JSON round trip and matches events
// without panicking.
func FuzzDecodeOutcome(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Purchase","direction":"maximize","valueField":"total","condition":{"kind":"event","eventName":"purchase","attributes":[{"name":"total","op":"gte","value":50},{"name":"plan","op":"eq","value":"pro"},{"name":"gift","op":"ne","value":true},{"name":"c","op":"exists"},{"name":"sku","op":"contains","value":"sh"}]}}`,
		`{"name":"Thanks","direction":"minimize","condition":{"kind":"page","urlPattern":"/checkout/**/thank-*"}}`,
		`{"name":"Contact","direction":"maximize","condition":{"kind":"form","formName":"contact"}}`,
		`{"name":"Any form","direction":"maximize","condition":{"kind":"form"}}`,
		`{"name":"x","direction":"maximize","condition":{"kind":"event","eventName":"e","attributes":[{"name":"n","op":"lt","value":1e308}]}}`,
		`{"name":"x","direction":"maximize","condition":{"kind":"page","urlPattern":"/*/**/*a*b*"}}`,
		`{"name":"x","condition":{"kind":"page","urlPattern":"/a","attributes":[]}}`,
		`{"name":"\u0000","name":1,"id":"x"}`,
		`{"condition":{"attributes":[{"value":{"x":[1]}}]}}`,
		`[1,2]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	events := []struct {
		typ   presage.EventType
		name  string
		path  string
		attrs map[string]any
	}{
		{presage.EventCustom, "purchase", "/checkout", map[string]any{"total": 60.0, "plan": "pro", "sku": "SHOE-1", "c": true}},
		{presage.EventCustom, "e", "", map[string]any{"n": map[string]any{"dataType": "number", "value": "0.5"}}},
		{presage.EventPageview, "", "/checkout/a/b/thank-you?x=1", nil},
		{presage.EventFormSubmit, "contact", "/", map[string]any{"total": "12"}},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeDefinition(body)
		if err == nil {
			d, err = Validate(d)
		}
		if err != nil {
			var pe *presage.Error
			if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || pe.Message == "" || len(pe.Violations) == 0 ||
				len(pe.Violations) > maxViolations {
				t.Fatalf("refusal %v is not an invalid *presage.Error with violations", err)
			}
			for _, v := range pe.Violations {
				if v.Field != "" && !strings.HasPrefix(v.Field, "/") || v.Index != -1 || v.Detail == "" {
					t.Fatalf("bad violation %+v", v)
				}
			}
			return
		}
		m, err := Compile(define(presage.Outcome{ID: "out_fuzz"}, d))
		if err != nil {
			t.Fatalf("valid definition %+v does not compile: %v", d, err)
		}
		again, err := Validate(d)
		if err != nil {
			t.Fatalf("normalized definition is invalid: %v", err)
		}
		doc := map[string]any{"name": d.Name, "description": d.Description, "direction": d.Direction,
			"condition": d.Condition, "valueField": d.ValueField}
		raw, _ := json.Marshal(doc)
		back, err := DecodeDefinition(raw)
		if err != nil {
			t.Fatalf("re-encoded definition %s does not decode: %v", raw, err)
		}
		if back, err = Validate(back); err != nil {
			t.Fatalf("re-encoded definition %s is invalid: %v", raw, err)
		}
		x, _ := json.Marshal(again)
		y, _ := json.Marshal(back)
		if string(x) != string(y) {
			t.Fatalf("round trip changed %s into %s", x, y)
		}
		for _, e := range events {
			m.Match(e.typ, e.name, e.path, e.attrs)
		}
	})
}
