package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/simulate"
	"github.com/presage-dev/presage/internal/presage"
)

// IsJourneyArgs reports whether `presage eval` arguments ask for the
// journey evaluation (--journeys or --simulate) rather than the UCI one.
func IsJourneyArgs(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		for _, name := range []string{"journeys", "simulate"} {
			for _, p := range []string{"-", "--"} {
				if a == p+name || len(a) > len(p+name) && a[:len(p+name)+1] == p+name+"=" {
					return true
				}
			}
		}
	}
	return false
}

// RunJourneyCLI runs `presage eval --journeys FILE [--truth FILE]
// [--outcome-file FILE]` or `presage eval --simulate N [--seed S]
// [--visitors V] [--days D]`, with [--holdout F --epochs E] and the FTRL
// flags, and prints the report to stdout.
func RunJourneyCLI(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: presage eval --journeys FILE [--truth FILE] [--outcome-file FILE] [flags]\n"+
			"       presage eval --simulate N [--seed S] [--visitors V] [flags]\n"+
			"       presage eval --uci FILE (see presage eval --uci x --help)\n\n"+
			"Replays journeys through the server's feature and training code (progressive validation:\n"+
			"each session is scored before it is learned) and prints ROC-AUC, AP, log-loss, Brier,\n"+
			"calibration and throughput; with truth records also the Bayes-optimal AUC.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	journeys := fs.String("journeys", "", "NDJSON journey file (- for standard input)")
	truthFile := fs.String("truth", "", "NDJSON file of truth records (presage simulate --truth)")
	outcomeFile := fs.String("outcome-file", "", "JSON outcome definition, or an array of them (default: purchase = custom event \"purchase\", value \"amount\")")
	simSessions := fs.Int("simulate", 0, "evaluate on N simulated sessions instead of a file")
	seed := fs.Uint64("seed", 1, "simulator seed")
	visitors := fs.Int("visitors", 0, "simulator visitor pool (default 60% of sessions)")
	days := fs.Float64("days", 0, "simulator span in days (default sessions/800 within 14–90)")
	holdout := fs.Float64("holdout", 0, "share of the latest sessions scored by the final model without learning (0: progressive validation only)")
	epochs := fs.Int("epochs", 1, "passes over the training sessions (needs --holdout)")
	scores := fs.String("scores", "", "write every score to this CSV file (outcome,session,p,truth,label,holdout)")
	p := predict.DefaultFTRLParams()
	fs.Float64Var(&p.Alpha, "alpha", p.Alpha, "FTRL alpha")
	fs.Float64Var(&p.Beta, "beta", p.Beta, "FTRL beta")
	fs.Float64Var(&p.L1, "l1", p.L1, "FTRL L1")
	fs.Float64Var(&p.L2, "l2", p.L2, "FTRL L2")
	fs.UintVar(&p.Bits, "bits", p.Bits, "log2 of the number of hashed weights")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("eval: unexpected arguments %v", fs.Args())
	}
	if (*journeys == "") == (*simSessions <= 0) {
		fs.Usage()
		return errors.New("eval: give exactly one of --journeys FILE and --simulate N")
	}
	opt := JourneyOptions{Params: p, Holdout: *holdout, Epochs: *epochs}
	if *outcomeFile != "" {
		outs, err := readOutcomeFile(*outcomeFile)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		opt.Outcomes = outs
	}
	var truth []JourneyTruth
	if *truthFile != "" {
		f, err := os.Open(*truthFile)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		truth, err = ReadJourneyTruth(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("eval: %s: %w", *truthFile, err)
		}
	}
	var open func() (JourneySource, error)
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	switch {
	case *simSessions > 0:
		if *truthFile != "" {
			return errors.New("eval: --truth goes with --journeys; the simulator supplies its own")
		}
		cfg := simulate.Config{Sessions: *simSessions, Seed: *seed, Visitors: *visitors, Days: *days}
		if _, err := simulate.New(cfg); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		open = func() (JourneySource, error) {
			sim, err := simulate.New(cfg)
			return SimSource{Sim: sim}, err
		}
	case *journeys == "-":
		if opt.Holdout > 0 {
			return errors.New("eval: --holdout reads the journeys more than once: give a file, not standard input")
		}
		used := false
		open = func() (JourneySource, error) {
			if used {
				return nil, errors.New("standard input can be read once")
			}
			used = true
			r := NewJourneyReader(bufio.NewReaderSize(os.Stdin, 1<<20))
			r.AddTruth(truth)
			return fileSource{r, "standard input"}, nil
		}
	default:
		name := *journeys
		open = func() (JourneySource, error) {
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
			r := NewJourneyReader(bufio.NewReaderSize(f, 1<<20))
			r.AddTruth(truth)
			return fileSource{r, name}, nil
		}
	}
	if *scores != "" {
		f, err := os.Create(*scores)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		w := bufio.NewWriter(f)
		fmt.Fprintln(w, "outcome,session,p,truth,label,holdout")
		opt.Observe = func(s JourneyScore) {
			truth := ""
			if !math.IsNaN(s.Truth) {
				truth = strconv.FormatFloat(s.Truth, 'g', -1, 64)
			}
			fmt.Fprintf(w, "%s,%s,%s,%s,%t,%t\n", csvField(s.Outcome), csvField(s.SessionID),
				strconv.FormatFloat(s.P, 'g', -1, 64), truth, s.Label, s.Holdout)
		}
		defer func() {
			if err := w.Flush(); err != nil {
				fmt.Fprintf(stderr, "eval: %s: %v\n", *scores, err)
			}
			if err := f.Close(); err != nil {
				fmt.Fprintf(stderr, "eval: %s: %v\n", *scores, err)
			}
		}()
	}
	rep, err := Journeys(open, opt)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	_, err = io.WriteString(stdout, rep.String())
	return err
}

// csvField quotes a CSV field when it needs it.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// fileSource names the file in read errors.
type fileSource struct {
	*JourneyReader
	name string
}

func (f fileSource) Next() (*JourneySession, error) {
	s, err := f.JourneyReader.Next()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	return s, err
}

// readOutcomeFile reads one outcome definition, or an array of them, in
// the API's definition document ({"name", "direction", "condition": {"kind",
// "eventName", …}, "valueField"}), decoded and validated as the API does.
// An outcome as the API returns it is accepted too: its "id" is kept and
// its other read-only fields are ignored. Without an id the name serves.
func readOutcomeFile(name string) ([]presage.Outcome, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	var docs []json.RawMessage
	if len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &docs); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	} else {
		docs = []json.RawMessage{b}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no outcome", name)
	}
	outs := make([]presage.Outcome, 0, len(docs))
	for i, doc := range docs {
		var fields map[string]json.RawMessage
		var id string
		if json.Unmarshal(doc, &fields) == nil {
			if raw, ok := fields["id"]; ok {
				if err := json.Unmarshal(raw, &id); err != nil {
					return nil, fmt.Errorf("%s: outcome %d: id must be a string", name, i)
				}
			}
			for _, k := range []string{"id", "orgId", "createdAt", "updatedAt"} {
				delete(fields, k)
			}
			if doc, err = json.Marshal(fields); err != nil {
				return nil, err
			}
		}
		d, err := outcome.DecodeDefinition(doc)
		if err == nil {
			d, err = outcome.Validate(d)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: outcome %d: %w", name, i, err)
		}
		if id == "" {
			id = d.Name
		}
		outs = append(outs, presage.Outcome{ID: id, Name: d.Name, Description: d.Description, Direction: d.Direction,
			Condition: d.Condition, ValueField: d.ValueField})
	}
	return outs, nil
}
