package collect

import (
	"net/netip"
	"testing"
)

func TestTruncateIP(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77":              "203.0.113.0/24",
		"127.0.0.1":                 "127.0.0.0/24",
		"::ffff:198.51.100.9":       "198.51.100.0/24",
		"2001:db8:abcd:1234::1":     "2001:db8:abcd::/48",
		"fe80::1%eth0":              "fe80::/48",
		"2001:db8:ffff:ffff:ffff::": "2001:db8:ffff::/48",
	} {
		if got := TruncateIP(netip.MustParseAddr(in)).String(); got != want {
			t.Errorf("TruncateIP(%s) = %s, want %s", in, got, want)
		}
	}
	if p := TruncateIP(netip.Addr{}); p.IsValid() {
		t.Errorf("TruncateIP(invalid) = %v", p)
	}
	if got := ipPrefix(netip.Addr{}); got != "" {
		t.Errorf("ipPrefix(invalid) = %q", got)
	}
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48")}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct peer", "203.0.113.5:4711", "", "203.0.113.5"},
		{"untrusted peer ignores XFF", "203.0.113.5:4711", "198.51.100.1", "203.0.113.5"},
		{"trusted peer without XFF", "10.1.2.3:80", "", "10.1.2.3"},
		{"trusted peer uses XFF", "10.1.2.3:80", "198.51.100.1", "198.51.100.1"},
		{"right-most untrusted hop", "10.1.2.3:80", "1.2.3.4, 198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"spoofed left hops ignored", "10.1.2.3:80", "6.6.6.6, 198.51.100.1", "198.51.100.1"},
		{"all trusted", "10.1.2.3:80", "10.0.0.7, 10.0.0.8", "10.0.0.7"},
		{"malformed hop stops the walk", "10.1.2.3:80", "198.51.100.1, garbage, 10.0.0.8", "10.0.0.8"},
		{"hop with port", "10.1.2.3:80", "198.51.100.1:5555", "198.51.100.1"},
		{"IPv6 peer", "[2001:db8:1::5]:443", "[2001:db8:2::9]:1234", "2001:db8:2::9"},
		{"mapped peer", "[::ffff:10.1.2.3]:80", "198.51.100.1", "198.51.100.1"},
		{"bare address", "203.0.113.5", "", "203.0.113.5"},
	}
	for _, tt := range tests {
		got := ClientIP(tt.remote, tt.xff, proxies)
		if got.String() != tt.want {
			t.Errorf("%s: ClientIP = %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := ClientIP("not an address", "", nil); got.IsValid() {
		t.Errorf("ClientIP(garbage) = %s", got)
	}
}
