package collect

import (
	"net/netip"
	"strings"
)

// TruncateIP returns the network of addr that Presage may keep: the /24 of an
// IPv4 address (IPv4-mapped IPv6 included) or the /48 of an IPv6 address. An
// invalid addr yields the zero Prefix, whose String is "invalid Prefix"; use
// ipPrefix for the stored form.
func TruncateIP(addr netip.Addr) netip.Prefix {
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	addr = addr.Unmap().WithZone("")
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// ipPrefix returns the stored form of addr: its truncated prefix, or "" if
// the address is unknown.
func ipPrefix(addr netip.Addr) string {
	if p := TruncateIP(addr); p.IsValid() {
		return p.String()
	}
	return ""
}

// ClientIP returns the address of the client: the peer of the connection
// (remoteAddr, "host:port" or a bare address), unless the peer is one of
// trustedProxies, in which case X-Forwarded-For is walked from the right and
// the right-most hop that is not a trusted proxy is the client. A malformed
// hop ends the walk at the last address known good. The result is the raw
// address: callers pass it only to TruncateIP and never store or log it.
func ClientIP(remoteAddr string, forwardedFor string, trustedProxies []netip.Prefix) netip.Addr {
	peer, ok := parseHop(remoteAddr)
	if !ok {
		return netip.Addr{}
	}
	if !trusted(peer, trustedProxies) || forwardedFor == "" {
		return peer
	}
	client := peer
	rest := forwardedFor
	for rest != "" {
		hop := rest
		if i := strings.LastIndexByte(rest, ','); i >= 0 {
			hop, rest = rest[i+1:], rest[:i]
		} else {
			rest = ""
		}
		addr, ok := parseHop(hop)
		if !ok {
			break
		}
		client = addr
		if !trusted(addr, trustedProxies) {
			break
		}
	}
	return client
}

// parseHop parses "addr", "addr:port", "[v6]:port" or "[v6]".
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
