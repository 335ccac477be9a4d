// Command presage is the Presage server and its operator tools. It only parses
// flags and wires packages together; the behaviour lives under internal/.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Presage — privacy-first predictive engagement.

Usage: presage <command> [flags]

Commands:
  serve         run the service (SQLite under ./presage-data by default, demo shop at /demo/)
  org create    create an organization (a controller) and print its site key
  org list      list organizations
  key create    create a secret API key (shown once)
  key list      list an organization's keys
  key revoke    revoke a key
  purpose list  list processing purposes and their lawful bases
  purpose set   set a purpose's lawful basis (consent, legitimate_interest, …)
  consent verify  check the consent ledger's hash chain
  outcome create  define an outcome to predict (--event NAME | --page PATTERN | --form [NAME])
  outcome list    list an organization's outcomes
  outcome show    show one outcome
  outcome delete  delete an outcome with its model, predictions and achievements
  migrate       apply database migrations and exit
  eval          evaluate the outcome model offline (--journeys FILE: NDJSON journeys; --simulate N: simulated
                journeys with known truth; --uci FILE: the UCI online shoppers data set)
  simulate      write simulated shop journeys with known purchase probabilities as NDJSON
  loadgen       post realistic event batches to a server and report throughput
  version       print the version

Run 'presage <command> --help' for a command's flags. Every flag can also be set
with the PRESAGE_* environment variable named in its help.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, stdout, stderr)
	case "org":
		err = orgCommand(ctx, rest, stdout, stderr)
	case "key":
		err = keyCommand(ctx, rest, stdout, stderr)
	case "purpose":
		err = purposeCommand(ctx, rest, stdout, stderr)
	case "consent":
		err = consentCommand(ctx, rest, stdout, stderr)
	case "outcome":
		err = outcomeCommand(ctx, rest, stdout, stderr)
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr)
	case "loadgen":
		err = loadgenCommand(ctx, rest, stdout, stderr)
	case "eval":
		err = evalCommand(rest, stdout, stderr)
	case "simulate":
		err = simulateCommand(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "presage %s\n", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "presage: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch err {
	case errHelp:
		return 0
	case errUsage:
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "presage %s: %v\n", cmd, err)
		return 1
	}
	return 0
}
