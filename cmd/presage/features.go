package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// featuresShow prints an organization's feature settings as JSON, the
// document features set takes.
func featuresShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("features show", "Prints an organization's prediction feature settings as JSON.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		fs, err := predict.NewFeatureService(s.engine, nil, nil).Get(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(fs)
	})
}

// featuresSet stores new feature settings from a JSON document (the API's
// PUT /api/v1/features body): every model of the organization starts again
// from stored history with them.
func featuresSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("features set", "Sets an organization's prediction features from a JSON document (--file, or - for stdin):\n"+
		`{"attributes": [{"name": "plan", "kind": "categorical"}, {"name": "price", "kind": "numeric", "bins": [10, 50, 200]}],`+"\n"+
		` "pageGroups": [{"pattern": "/product/**", "group": "product"}],`+"\n"+
		` "use": {"visitorHistory": true, "referrerClass": true, "utm": true, "device": true, "timeOfDay": true}}`+"\n"+
		"A new version starts every outcome model of the organization again from stored history.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	file := f.String("file", "", "JSON document to read, - for standard input (required)")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("--file is required")
	}
	var body []byte
	var err error
	if *file == "-" {
		body, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		body, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		fs, err := predict.NewFeatureService(s.engine, nil, nil).Set(ctx, body)
		if err != nil {
			return violationsError("invalid feature settings", err)
		}
		fmt.Fprintf(stdout, "feature settings version %d of %s: %d attributes, %d page groups; every model starts again from stored history\n",
			fs.Version, s.org.Name, len(fs.Attributes), len(fs.PageGroups))
		return nil
	})
}

// violationsError lists every violation of an invalid input under title,
// one a line, with the field each names.
func violationsError(title string, err error) error {
	var pe *presage.Error
	if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || len(pe.Violations) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(title + ":")
	for _, v := range pe.Violations {
		if v.Field != "" {
			b.WriteString("\n  " + v.Field + ": " + v.Detail)
		} else {
			b.WriteString("\n  " + v.Detail)
		}
	}
	return errors.New(b.String())
}
