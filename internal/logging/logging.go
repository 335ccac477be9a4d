// Package logging builds Presage's structured logger. It redacts personal
// data on the way out: attributes whose keys name personal data, and e-mail
// and IP addresses inside any logged string, so a careless log call cannot
// leak them.
package logging

import (
	"io"
	"log"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
)

// Redacted replaces a personal value in a log line.
const Redacted = "[redacted]"

// sensitiveKeys are attribute keys whose values are always personal or secret.
var sensitiveKeys = map[string]bool{
	"email": true, "phone": true, "ip": true, "remote_addr": true, "client_ip": true,
	"traits": true, "authorization": true, "cookie": true, "password": true, "secret": true,
	"x-forwarded-for": true,
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// IPv4 and IPv6 literals, optionally with a port. Loopback addresses are
	// kept: they name this machine, not a person.
	ipv4Pattern = regexp.MustCompile(`\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b`)
	ipv6Pattern = regexp.MustCompile(`[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*`)
)

// RedactString removes e-mail and non-loopback IP addresses from s.
func RedactString(s string) string {
	if strings.Contains(s, "@") {
		s = emailPattern.ReplaceAllString(s, Redacted)
	}
	s = ipv4Pattern.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "127.") || m == "0.0.0.0" {
			return m
		}
		return Redacted
	})
	if strings.Count(s, ":") >= 2 {
		s = ipv6Pattern.ReplaceAllStringFunc(s, func(m string) string {
			// Only real addresses go: times like 12:30:45 do not parse.
			if a, err := netip.ParseAddr(m); err == nil && a.Is6() && !a.IsLoopback() {
				return Redacted
			}
			return m
		})
	}
	return s
}

func redact(groups []string, a slog.Attr) slog.Attr {
	if sensitiveKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	if a.Value.Kind() == slog.KindString {
		return slog.String(a.Key, RedactString(a.Value.String()))
	}
	if a.Value.Kind() == slog.KindAny {
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, RedactString(err.Error()))
		}
	}
	return a
}

// New returns a logger writing JSON (format "json") or text lines to w.
func New(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// StdLogger adapts l for http.Server.ErrorLog, whose lines (TLS handshake
// errors and the like) name client addresses.
func StdLogger(l *slog.Logger) *log.Logger {
	return log.New(writerFunc(func(p []byte) (int, error) {
		l.Warn("http server", slog.String("detail", strings.TrimSpace(string(p))))
		return len(p), nil
	}), "", 0)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
