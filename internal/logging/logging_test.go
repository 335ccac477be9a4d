package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"user ada@example.com failed", "user [redacted] failed"},
		{"http: TLS handshake error from 203.0.113.7:51234: EOF", "http: TLS handshake error from [redacted]:51234: EOF"},
		{"dial tcp 127.0.0.1:5432: refused", "dial tcp 127.0.0.1:5432: refused"},
		{"peer [2001:db8:85a3::8a2e:370:7334]:443 gone", "peer [[redacted]]:443 gone"},
		{"listening on [::1]:8080", "listening on [::1]:8080"},
		{"at 12:30:45 ok", "at 12:30:45 ok"},
		{"nothing personal", "nothing personal"},
	}
	for _, tt := range tests {
		if got := RedactString(tt.in); got != tt.want {
			t.Errorf("RedactString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLoggerRedactsKeysValuesAndErrors(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelInfo, "json")
	l.Info("x", slog.String("email", "bob@example.org"), slog.String("ip", "10.1.2.3"),
		slog.String("detail", "from 198.51.100.4"), slog.Any("error", errors.New("bad: carol@example.net")),
		slog.Int("count", 3))
	out := buf.String()
	for _, leak := range []string{"bob@", "10.1.2.3", "198.51.100.4", "carol@"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"count":3`) {
		t.Errorf("log line lost a harmless attribute: %s", out)
	}
}
