package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/predict/eval"
	"github.com/presage-dev/presage/internal/predict/simulate"
)

// simulateCommand writes simulated journeys as NDJSON (docs/prediction.md,
// "Simulator"): events in the stored event's field names, and a truth record
// per session — inline, or in --truth FILE.
func simulateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("simulate", "Generates realistic shop journeys from a documented model whose true purchase probability is known,\n"+
		"as NDJSON events plus one truth record per session (docs/prediction.md, \"Simulator\").\n"+
		"Evaluate them with: presage eval --journeys FILE", stderr)
	sessions := f.Int("sessions", 10000, "sessions to generate")
	seed := f.Uint64("seed", 1, "random seed: the same seed writes the same journeys")
	visitors := f.Int("visitors", 0, "visitor pool (default 60% of sessions; the rest are returning visits)")
	days := f.Float64("days", 0, "span of session starts in days (default sessions/800 within 14–90)")
	out := f.String("out", "-", "NDJSON output file, - for standard output")
	truthFile := f.String("truth", "", "write truth records to this file instead of inline")
	if err := f.parse(args); err != nil {
		return err
	}
	if *sessions <= 0 {
		return errors.New("--sessions must be positive")
	}
	sim, err := simulate.New(simulate.Config{Sessions: *sessions, Seed: *seed, Visitors: *visitors, Days: *days})
	if err != nil {
		return err
	}
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return err
	}
	defer closeOut()
	var tw *bufio.Writer
	if *truthFile != "" {
		tf, err := os.Create(*truthFile)
		if err != nil {
			return err
		}
		defer tf.Close()
		tw = bufio.NewWriterSize(tf, 1<<16)
	}
	var buf []byte
	var ps []float64
	var ys []bool
	events := 0
	for n := 0; ; n++ {
		if n%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		s, ok := sim.Next()
		if !ok {
			break
		}
		if buf, err = eval.AppendSimSession(buf[:0], s, tw == nil); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		if tw != nil {
			if buf, err = eval.AppendJourneyTruth(buf[:0], eval.JourneyTruth{SessionID: s.ID,
				Outcome: simulate.PurchaseOutcome().ID, P: s.P}); err != nil {
				return err
			}
			if _, err := tw.Write(buf); err != nil {
				return err
			}
		}
		events += len(s.Events)
		ps, ys = append(ps, s.P), append(ys, s.Purchased)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := closeOut(); err != nil {
		return err
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	sum := predict.Summarize(ps, ys)
	fmt.Fprintf(stderr, "simulated %d sessions, %d events, %d purchases (%.2f%%); Bayes-optimal AUC %.4f (expected %.4f)\n",
		sum.N, events, sum.Positives, 100*float64(sum.Positives)/float64(max(sum.N, 1)), sum.AUC, simulate.ExpectedAUC(ps))
	return nil
}

// createOutput opens name for writing ("-" is stdout). close may be called
// more than once; the first call reports the error.
func createOutput(name string, stdout io.Writer) (*bufio.Writer, func() error, error) {
	if name == "-" || name == "" {
		return bufio.NewWriterSize(stdout, 1<<20), func() error { return nil }, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, nil, err
	}
	closed := false
	return bufio.NewWriterSize(f, 1<<20), func() error {
		if closed {
			return nil
		}
		closed = true
		return f.Close()
	}, nil
}

// evalCommand runs the UCI evaluation when given --uci FILE (and neither
// --journeys nor --simulate), otherwise the journey evaluation (--journeys
// FILE or --simulate N), whose usage names all three: a bare --help shows it.
func evalCommand(args []string, stdout, stderr io.Writer) error {
	var err error
	if hasFlag(args, "uci") && !eval.IsJourneyArgs(args) {
		err = eval.RunUCICLI(args, stdout, stderr)
	} else {
		err = eval.RunJourneyCLI(args, stdout, stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return err
}

// hasFlag reports whether args, before any "--", set the flag name (-name,
// --name, -name=…, --name=…).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}
