// Command presage is the Presage server and its operator tools. It only parses
// flags and wires packages together; the behaviour lives under internal/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one entry of the dispatch table: a command that runs, or a group
// (org, key, …) of subcommands.
type command struct {
	name    string
	summary string // one line; for a group, what its subcommands are about
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	subs    []command // a group's subcommands, or nil
}

// commands is what run dispatches, and what the usage texts list.
var commands = []command{
	{name: "serve", summary: "run the service (SQLite under ./presage-data by default, demo shop at /demo/)", run: serve},
	{name: "org", summary: "Organizations: the controllers whose sites send events.", subs: []command{
		{name: "create", summary: "create an organization (a controller) and print its site key", run: orgCreate},
		{name: "list", summary: "list organizations", run: orgList},
	}},
	{name: "key", summary: "Secret API keys of an organization, stored only as hashes.", subs: []command{
		{name: "create", summary: "create a secret API key (shown once)", run: keyCreate},
		{name: "list", summary: "list an organization's keys", run: keyList},
		{name: "revoke", summary: "revoke a key", run: keyRevoke},
	}},
	{name: "purpose", summary: "Processing purposes of an organization and the lawful basis of each.", subs: []command{
		{name: "list", summary: "list processing purposes and their lawful bases", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return purposeCommand(ctx, "list", args, stdout, stderr)
		}},
		{name: "set", summary: "set a purpose's lawful basis (consent, legitimate_interest, …)", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return purposeCommand(ctx, "set", args, stdout, stderr)
		}},
	}},
	{name: "consent", summary: "An organization's hash-chained consent ledger.", subs: []command{
		{name: "verify", summary: "check the consent ledger's hash chain", run: consentVerify},
	}},
	{name: "outcome", summary: "Outcomes: what an organization wants visitors to achieve, each with its own model.", subs: []command{
		{name: "create", summary: "define an outcome to predict (--event NAME | --page PATTERN | --form [NAME])", run: outcomeCreate},
		{name: "list", summary: "list an organization's outcomes", run: outcomeList},
		{name: "show", summary: "show one outcome", run: outcomeShow},
		{name: "delete", summary: "delete an outcome with its model, predictions and achievements", run: outcomeDelete},
	}},
	{name: "features", summary: "The event attributes, page groups and feature families an organization's models use.", subs: []command{
		{name: "show", summary: "print the feature settings as JSON", run: featuresShow},
		{name: "set", summary: "set the feature settings from a JSON document (--file): models start again from history", run: featuresSet},
	}},
	gdprCommands,
	{name: "masterkey", summary: "The master key that wraps every data key and organization secret.", subs: []command{
		{name: "rotate", summary: "re-wrap every key under the current master key (then drop the previous one)", run: masterKeyRotate},
	}},
	{name: "migrate", summary: "apply database migrations and exit", run: migrate},
	{name: "eval", summary: "evaluate the outcome model offline (--journeys FILE: NDJSON journeys; --simulate N: simulated\n" +
		"journeys with known truth; --uci FILE: the UCI online shoppers data set)",
		run: func(_ context.Context, args []string, stdout, stderr io.Writer) error {
			return evalCommand(args, stdout, stderr)
		}},
	{name: "simulate", summary: "write simulated shop journeys with known purchase probabilities as NDJSON", run: simulateCommand},
	{name: "loadgen", summary: "post realistic event batches to a server and report throughput", run: loadgenCommand},
	{name: "version", summary: "print the version", run: func(_ context.Context, _ []string, stdout, _ io.Writer) error {
		fmt.Fprintf(stdout, "presage %s\n", version)
		return nil
	}},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args through commands. Help asked for (--help, -h, help)
// goes to stdout with exit 0; a missing or unknown (sub)command prints the
// usage on stderr with exit 2.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	name, rest := args[0], args[1:]
	switch {
	case isHelp(name):
		fmt.Fprint(stdout, usage())
		return 0
	case name == "--version" || name == "-v":
		name = "version"
	}
	cmd, ok := lookup(commands, name)
	if !ok {
		fmt.Fprintf(stderr, "presage: unknown command %q\n\n%s", name, usage())
		return 2
	}
	if cmd.subs != nil {
		switch {
		case len(rest) == 0:
			fmt.Fprint(stderr, groupUsage(cmd))
			return 2
		case isHelp(rest[0]):
			fmt.Fprint(stdout, groupUsage(cmd))
			return 0
		}
		sub, ok := lookup(cmd.subs, rest[0])
		if !ok {
			fmt.Fprintf(stderr, "presage %s: unknown subcommand %q\n\n%s", cmd.name, rest[0], groupUsage(cmd))
			return 2
		}
		name, cmd, rest = cmd.name+" "+sub.name, sub, rest[1:]
	}
	switch err := cmd.run(ctx, rest, stdout, stderr); {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "presage %s: %v\n", name, err)
		return 1
	}
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "--help" || arg == "-help" || arg == "-h"
}

func lookup(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage lists every command, and every group's subcommands, one a line.
func usage() string {
	var names, summaries []string
	for _, c := range commands {
		if c.subs == nil {
			names, summaries = append(names, c.name), append(summaries, c.summary)
			continue
		}
		for _, s := range c.subs {
			names, summaries = append(names, c.name+" "+s.name), append(summaries, s.summary)
		}
	}
	var b strings.Builder
	b.WriteString("Presage — privacy-first predictive engagement.\n\n" +
		"Usage: presage <command> [flags]\n\nCommands:\n")
	writeTable(&b, names, summaries)
	b.WriteString("\nRun 'presage <command> --help' for a command's flags ('presage org create --help'),\n" +
		"'presage <group> --help' for a group's subcommands ('presage org --help'). A flag whose\n" +
		"help names a PRESAGE_* environment variable can also be set with it.\n")
	return b.String()
}

// groupUsage lists a group's subcommands, one a line.
func groupUsage(g command) string {
	var names, summaries []string
	for _, s := range g.subs {
		names, summaries = append(names, s.name), append(summaries, s.summary)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: presage %s <subcommand> [flags]\n\n%s\n\nSubcommands:\n", g.name, g.summary)
	writeTable(&b, names, summaries)
	fmt.Fprintf(&b, "\nRun 'presage %s <subcommand> --help' for its flags.\n", g.name)
	return b.String()
}

// writeTable writes "  name  summary" lines with the summaries aligned; a
// summary's further lines are indented to its column.
func writeTable(b *strings.Builder, names, summaries []string) {
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	indent := strings.Repeat(" ", 2+width+2)
	for i, n := range names {
		fmt.Fprintf(b, "  %-*s  %s\n", width, n, strings.ReplaceAll(summaries[i], "\n", "\n"+indent))
	}
}
