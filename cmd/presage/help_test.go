package main

import (
	"strings"
	"testing"
)

// TestHelp walks the dispatch table itself, so a new command or group is
// covered without being listed here.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, errOut := runCLI(t, arg)
		if code != 0 || errOut != "" {
			t.Errorf("presage %s: exit %d, stderr %q", arg, code, errOut)
		}
		for _, c := range commands {
			if c.subs == nil && !strings.Contains(out, "\n  "+c.name+" ") {
				t.Errorf("presage %s does not list %s:\n%s", arg, c.name, out)
			}
			for _, s := range c.subs {
				if !strings.Contains(out, "\n  "+c.name+" "+s.name+" ") {
					t.Errorf("presage %s does not list %s %s:\n%s", arg, c.name, s.name, out)
				}
			}
		}
	}
	// eval --help describes all three modes, not only --uci's flags.
	if code, _, errOut := runCLI(t, "eval", "--help"); code != 0 || !strings.Contains(errOut, "presage eval --simulate N") ||
		!strings.Contains(errOut, "presage eval --uci FILE") {
		t.Errorf("presage eval --help: exit %d, stderr %q", code, errOut)
	}
	if code, out, errOut := runCLI(t); code != 2 || out != "" || !strings.Contains(errOut, "Usage: presage <command>") {
		t.Errorf("presage: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	groups := 0
	for _, c := range commands {
		if c.subs == nil {
			// Help must not run the command: serve would listen, migrate
			// would create ./presage-data.
			if code, out, errOut := runCLI(t, c.name, "--help"); code != 0 || out+errOut == "" {
				t.Errorf("presage %s --help: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
			}
			continue
		}
		groups++
		t.Run(c.name, func(t *testing.T) {
			lists := func(usage string) bool {
				if !strings.HasPrefix(usage, "Usage: presage "+c.name+" <subcommand>") {
					return false
				}
				for _, s := range c.subs {
					if !strings.Contains(usage, "\n  "+s.name+" ") || !strings.Contains(usage, s.summary) {
						return false
					}
				}
				return true
			}
			for _, arg := range []string{"--help", "-h", "help"} {
				if code, out, errOut := runCLI(t, c.name, arg); code != 0 || errOut != "" || !lists(out) {
					t.Errorf("presage %s %s: exit %d, stdout %q, stderr %q", c.name, arg, code, out, errOut)
				}
			}
			if code, out, errOut := runCLI(t, c.name); code != 2 || out != "" || !lists(errOut) {
				t.Errorf("presage %s: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
			}
			code, out, errOut := runCLI(t, c.name, "frobnicate")
			if _, usage, _ := strings.Cut(errOut, "\n\n"); code != 2 || out != "" ||
				!strings.HasPrefix(errOut, "presage "+c.name+": unknown subcommand \"frobnicate\"") || !lists(usage) {
				t.Errorf("presage %s frobnicate: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
			}
			for _, s := range c.subs {
				code, out, errOut := runCLI(t, c.name, s.name, "--help")
				if code != 0 || out != "" || !strings.HasPrefix(errOut, "Usage: presage "+c.name+" "+s.name+" [flags]") ||
					!strings.Contains(errOut, "\nFlags:\n") {
					t.Errorf("presage %s %s --help: exit %d, stdout %q, stderr %q", c.name, s.name, code, out, errOut)
				}
			}
		})
	}
	if groups < 5 {
		t.Errorf("the dispatch table has %d command groups; org, key, purpose, consent and outcome at least", groups)
	}
}
