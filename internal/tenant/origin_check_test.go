package tenant

import (
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func TestCheckOrigin(t *testing.T) {
	org := presage.Organization{AllowedOrigins: []string{"https://shop.example", "http://localhost:8080"}}
	any := presage.Organization{AllowedOrigins: []string{"*"}}
	tests := []struct {
		org    presage.Organization
		origin string
		want   bool
	}{
		{org, "https://shop.example", true},
		{org, "HTTPS://Shop.Example:443", true},
		{org, "http://localhost:8080", true},
		{org, "http://shop.example", false},
		{org, "https://shop.example:8443", false},
		{org, "https://evil.example", false},
		{org, "https://shop.example.evil.example", false},
		{org, "", false},
		{org, "null", false},
		{any, "https://anything.example", true},
		{any, "", false},
		{presage.Organization{}, "https://shop.example", false},
	}
	for _, tt := range tests {
		if got := CheckOrigin(tt.org, tt.origin); got != tt.want {
			t.Errorf("CheckOrigin(%v, %q) = %v, want %v", tt.org.AllowedOrigins, tt.origin, got, tt.want)
		}
	}
}
