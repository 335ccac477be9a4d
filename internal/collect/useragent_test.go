package collect

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

type uaCase struct{ device, browser, os, ua string }

func loadUserAgents(t testing.TB) []uaCase {
	t.Helper()
	f, err := os.Open("testdata/useragents.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []uaCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		p := strings.SplitN(line, "\t", 4)
		if len(p) != 4 {
			t.Fatalf("bad line %q", line)
		}
		out = append(out, uaCase{p[0], p[1], p[2], p[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseUserAgent(t *testing.T) {
	cases := loadUserAgents(t)
	if len(cases) < 25 {
		t.Fatalf("only %d user agents", len(cases))
	}
	for _, c := range cases {
		d, b, o := ParseUserAgent(c.ua)
		if d != c.device || b != c.browser || o != c.os {
			t.Errorf("ParseUserAgent(%q)\n = %s, %s, %s; want %s, %s, %s", c.ua, d, b, o, c.device, c.browser, c.os)
		}
	}
}

func TestIsAutomated(t *testing.T) {
	for ua, want := range map[string]bool{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36": true,
		"curl/8.5.0": true,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36": false,
	} {
		if got := IsAutomated(ua); got != want {
			t.Errorf("IsAutomated(%q) = %v", ua, got)
		}
	}
}

func BenchmarkParseUserAgent(b *testing.B) {
	cases := loadUserAgents(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ParseUserAgent(cases[i%len(cases)].ua)
		i++
	}
}
