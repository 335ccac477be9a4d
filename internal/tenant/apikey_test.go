package tenant

import (
	"strings"
	"testing"
)

func TestSecretKeyRoundTrip(t *testing.T) {
	id, full, hash := newSecretKey()
	if !strings.HasPrefix(id, "key_") || !strings.HasPrefix(full, "psk_") {
		t.Fatalf("unexpected forms id=%q full=%q", id, full)
	}
	gotID, secret, ok := parseSecretKey(full)
	if !ok || gotID != id {
		t.Fatalf("parseSecretKey(%q) = %q, ok=%v; want %q", full, gotID, ok, id)
	}
	if !secretMatches(secret, hash) {
		t.Fatal("secret does not match its own hash")
	}
	if strings.Contains(string(hash), secret) {
		t.Fatal("hash holds the secret")
	}
	if secretMatches(secret[:len(secret)-1]+"x", hash) {
		t.Fatal("a changed secret matched")
	}
}

func TestParseSecretKeyRejects(t *testing.T) {
	for _, s := range []string{"", "psk_", "psk_abc", "pk_abc_" + strings.Repeat("a", 40), "psk__" + strings.Repeat("a", 40),
		"psk_abc_short", "Bearer psk_abc_" + strings.Repeat("a", 40)} {
		if _, _, ok := parseSecretKey(s); ok {
			t.Errorf("parseSecretKey(%q) accepted", s)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://Shop.Example", "https://shop.example", true},
		{"https://shop.example:443/", "https://shop.example", true},
		{"http://localhost:8080", "http://localhost:8080", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"*", "*", true},
		{"shop.example", "", false},
		{"ftp://shop.example", "", false},
		{"https://shop.example/path", "", false},
		{"https://user@shop.example", "", false},
		{"https://shop.example?x=1", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeOrigin(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
