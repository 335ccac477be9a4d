package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// errUsage reports that flag parsing already printed what was wrong; errHelp
// that --help printed the usage.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// flags is a FlagSet whose flags take their defaults from PRESAGE_*
// environment variables, named in each flag's help.
type flags struct {
	*flag.FlagSet
	envErr error
}

func newFlags(name, summary string, stderr io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: presage %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs}
}

func envName(flagName string) string {
	return "PRESAGE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flags) string(name, def, help string) *string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	return f.String(name, def, help+" (env "+envName(name)+")")
}

func (f *flags) bool(name string, def bool, help string) *bool {
	if v, ok := os.LookupEnv(envName(name)); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.envErr = fmt.Errorf("%s: %q is not a boolean", envName(name), v)
		}
		def = b
	}
	return f.Bool(name, def, help+" (env "+envName(name)+")")
}

func (f *flags) int(name string, def int, help string) *int {
	if v, ok := os.LookupEnv(envName(name)); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.envErr = fmt.Errorf("%s: %q is not an integer", envName(name), v)
		}
		def = n
	}
	return f.Int(name, def, help+" (env "+envName(name)+")")
}

func (f *flags) duration(name string, def time.Duration, help string) *time.Duration {
	if v, ok := os.LookupEnv(envName(name)); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.envErr = fmt.Errorf("%s: %q is not a duration", envName(name), v)
		}
		def = d
	}
	return f.Duration(name, def, help+" (env "+envName(name)+")")
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if f.envErr != nil {
		return f.envErr
	}
	if f.NArg() > 0 {
		fmt.Fprintf(f.Output(), "unexpected arguments: %v\n", f.Args())
		f.Usage()
		return errUsage
	}
	return nil
}

// storageFlags are shared by every command that opens the database.
type storageFlags struct {
	dataDir     *string
	databaseURL *string
}

func addStorageFlags(f *flags) storageFlags {
	return storageFlags{
		dataDir:     f.string("data-dir", "presage-data", "directory of the embedded SQLite database"),
		databaseURL: f.string("database-url", "", "PostgreSQL URL (postgres://…); empty selects SQLite in --data-dir"),
	}
}
