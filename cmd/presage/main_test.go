package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestOrganizationAndKeyCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "org", "create", "--name", "Shop", "--origin", "https://Shop.Example/", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("org create: %d %s", code, errOut)
	}
	var org orgJSON
	if err := json.Unmarshal([]byte(out), &org); err != nil || !strings.HasPrefix(org.SiteKey, "pk_") ||
		len(org.AllowedOrigins) != 1 || org.AllowedOrigins[0] != "https://shop.example" {
		t.Fatalf("org create printed %q (%v)", out, err)
	}
	if code, _, errOut := runCLI(t, "org", "create", "--name", "Shop", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "conflict") {
		t.Errorf("duplicate org: %d %q", code, errOut)
	}
	code, out, errOut = runCLI(t, "key", "create", "--org", "Shop", "--name", "backend", "--scopes", "read,write", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("key create: %d %s", code, errOut)
	}
	var key keyJSON
	if err := json.Unmarshal([]byte(out), &key); err != nil || !strings.HasPrefix(key.Key, "psk_") || len(key.Scopes) != 2 {
		t.Fatalf("key create printed %q (%v)", out, err)
	}
	if code, _, errOut := runCLI(t, "key", "create", "--org", org.ID, "--name", "x", "--scopes", "root", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "unknown scope") {
		t.Errorf("bad scope: %d %q", code, errOut)
	}
	code, out, _ = runCLI(t, "key", "list", "--org", org.ID, "--json", "--data-dir", dir)
	if code != 0 || strings.Contains(out, key.Key) || !strings.Contains(out, key.ID) {
		t.Errorf("key list: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "key", "revoke", "--org", "Shop", "--id", key.ID, "--data-dir", dir); code != 0 {
		t.Errorf("key revoke: %d %s", code, errOut)
	}
	if _, out, _ := runCLI(t, "key", "list", "--org", "Shop", "--data-dir", dir); !strings.Contains(out, "revoked") {
		t.Errorf("revoked key not shown as revoked: %q", out)
	}
	if code, out, _ := runCLI(t, "org", "list", "--data-dir", dir); code != 0 || !strings.Contains(out, org.ID) {
		t.Errorf("org list: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "key", "list", "--org", "Nope", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "no organization") {
		t.Errorf("unknown org: %d %q", code, errOut)
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, out, _ := runCLI(t, "version"); code != 0 || !strings.HasPrefix(out, "presage ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "serve", "--help"); code != 0 || !strings.Contains(errOut, "PRESAGE_ADDR") {
		t.Errorf("serve --help: %d %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "serve", "--no-such-flag"); code != 2 {
		t.Errorf("bad flag: %d", code)
	}
	t.Setenv("PRESAGE_DEMO", "maybe")
	if code, _, errOut := runCLI(t, "serve"); code != 1 || !strings.Contains(errOut, "PRESAGE_DEMO") {
		t.Errorf("bad env: %d %q", code, errOut)
	}
}
