package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func TestOutcomeCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "org", "create", "--name", "Shop", "--data-dir", dir); code != 0 {
		t.Fatalf("org create: %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "outcome", "create", "--org", "Shop", "--name", "Purchase", "--direction", "maximize",
		"--description", "An order of 50 or more", "--event", "purchase", "--attr", "total >= 50", "--attr", "plan eq Gold plan",
		"--attr", "coupon exists", "--value-field", "total", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "created for Shop") ||
		!strings.Contains(out, `Purchase (maximize): custom event "purchase" where total >= 50 and plan = "Gold plan" and coupon exists; value from total`) {
		t.Fatalf("create event outcome: %d %q %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "outcome", "create", "--org", "Shop", "--name", "Thanks", "--direction", "minimize",
		"--page", "/checkout/**", "--json", "--data-dir", dir)
	var thanks outcomeJSON
	if err := json.Unmarshal([]byte(out), &thanks); code != 0 || err != nil || !strings.HasPrefix(thanks.ID, "out_") ||
		thanks.Condition.Kind != presage.ConditionPage || thanks.Condition.URLPattern != "/checkout/**" {
		t.Fatalf("create page outcome: %d %q %s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "outcome", "create", "--org", "Shop", "--name", "Contact", "--direction", "maximize",
		"--form", "contact", "--data-dir", dir); code != 0 || !strings.Contains(out, `form "contact" submitted`) {
		t.Fatalf("create named form outcome: %d %q %s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "outcome", "create", "--org", "Shop", "--name", "Any form", "--direction", "maximize",
		"--form", "--data-dir", dir); code != 0 || !strings.Contains(out, "any form submitted") {
		t.Fatalf("create any-form outcome: %d %q %s", code, out, errOut)
	}

	code, out, _ = runCLI(t, "outcome", "list", "--org", "Shop", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "ID") || !strings.Contains(out, thanks.ID) ||
		strings.Index(out, "Purchase") > strings.Index(out, "Thanks") || !strings.Contains(out, "page view of /checkout/**") {
		t.Errorf("list: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "outcome", "list", "--org", "Shop", "--json", "--data-dir", dir)
	var all []outcomeJSON
	if err := json.Unmarshal([]byte(out), &all); code != 0 || err != nil || len(all) != 4 ||
		string(all[0].Condition.Attributes[1].Value) != `"Gold plan"` || string(all[0].Condition.Attributes[0].Value) != "50" {
		t.Errorf("list --json: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "outcome", "show", "--org", "Shop", "--id", "Purchase", "--data-dir", dir); code != 0 ||
		!strings.Contains(out, "An order of 50 or more") || !strings.Contains(out, "Value field:") {
		t.Errorf("show by name: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "outcome", "show", "--org", "Shop", "--id", thanks.ID, "--data-dir", dir); code != 0 ||
		!strings.Contains(out, "minimize") {
		t.Errorf("show by id: %d %q", code, out)
	}

	// Refusals carry the service's messages.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--name", "Purchase", "--direction", "maximize", "--event", "purchase"}, []string{`an outcome named "Purchase" already exists`}},
		{[]string{"--name", "", "--direction", "upward", "--event", "purchase", "--attr", "total > many"},
			[]string{"invalid outcome:", "name is required", "direction must be maximize or minimize",
				"condition.attributes[0].value must be a number with gt"}},
		{[]string{"--name", "X", "--event", "e"}, []string{"direction is required"}},
		{[]string{"--name", "X", "--direction", "maximize", "--page", "checkout"}, []string{"condition.urlPattern must be a URL path starting with /"}},
		{[]string{"--name", "X", "--direction", "maximize", "--event", "e", "--attr", "total between 1"}, []string{"condition.attributes[0].op must be"}},
		{[]string{"--name", "X", "--direction", "maximize", "--event", "e", "--page", "/"}, []string{"give one condition"}},
		{[]string{"--name", "X", "--direction", "maximize"}, []string{"give one condition"}},
		{[]string{"--name", "X", "--direction", "maximize", "--page", "/", "--attr", "a exists"}, []string{"--attr applies to --event"}},
	} {
		args := append([]string{"outcome", "create", "--org", "Shop", "--data-dir", dir}, tc.args...)
		code, _, errOut := runCLI(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d %q", tc.args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: %q lacks %q", tc.args, errOut, w)
			}
		}
	}

	if code, out, errOut := runCLI(t, "outcome", "delete", "--org", "Shop", "--id", "Thanks", "--data-dir", dir); code != 0 ||
		!strings.Contains(out, thanks.ID+" (Thanks) deleted") {
		t.Errorf("delete: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "outcome", "delete", "--org", "Shop", "--id", thanks.ID, "--data-dir", dir); code != 1 ||
		!strings.Contains(errOut, "no outcome") {
		t.Errorf("second delete: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "outcome", "show", "--org", "Shop", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "--id is required") {
		t.Errorf("show without --id: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "outcome", "list", "--org", "Nope", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "no organization") {
		t.Errorf("unknown org: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "outcome", "frob"); code != 2 || !strings.Contains(errOut, "unknown subcommand") {
		t.Errorf("unknown subcommand: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "outcome", "create", "--help"); code != 0 || !strings.Contains(errOut, "--form [NAME]") {
		t.Errorf("help: %d %q", code, errOut)
	}
}

func TestParseAttr(t *testing.T) {
	for _, tc := range []struct {
		in, name, op, value string
	}{
		{"total >= 50", "total", "gte", "50"},
		{"total gt -1.5", "total", "gt", "-1.5"},
		{"  plan   EQ   Gold   plan ", "plan", "eq", `"Gold   plan"`},
		{`sku eq "123"`, "sku", "eq", `"123"`},
		{"sku eq 123", "sku", "eq", "123"},
		{"gift = true", "gift", "eq", "true"},
		{"name != null", "name", "ne", `"null"`},
		{"tags eq [1]", "tags", "eq", `"[1]"`},
		{"sku contains 12", "sku", "contains", `"12"`},
		{`sku contains "sh"`, "sku", "contains", `"sh"`},
		{"coupon exists", "coupon", "exists", ""},
		{"lonely", "lonely", "", ""},
		{"", "", "", ""},
	} {
		a := parseAttr(tc.in)
		if a.Name != tc.name || string(a.Op) != tc.op || string(a.Value) != tc.value {
			t.Errorf("parseAttr(%q) = %q %q %s", tc.in, a.Name, a.Op, a.Value)
		}
	}
}

func TestJoinFormName(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"--form"}, []string{"--form="}},
		{[]string{"--form", "contact", "--name", "x"}, []string{"--form=contact", "--name", "x"}},
		{[]string{"-form", "--name", "x"}, []string{"--form=", "--name", "x"}},
		{[]string{"--form=a b"}, []string{"--form=a b"}},
		{[]string{"--", "--form", "x"}, []string{"--", "--form", "x"}},
	} {
		if got := joinFormName(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("joinFormName(%q) = %q", tc.in, got)
		}
	}
}
