package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// withOutcomes runs fn with the outcome service as the operator of the
// organization orgRef names (--org).
func withOutcomes(ctx context.Context, sf storageFlags, orgRef string, fn func(ctx context.Context, org presage.Organization, outcomes *outcome.Service) error) error {
	return withOrgServices(ctx, sf, orgRef, func(ctx context.Context, s orgServices) error {
		return cliError(fn(ctx, s.org, outcome.NewService(s.engine, outcome.Options{})))
	})
}

// cliError lists every violation of an invalid definition, one a line.
func cliError(err error) error {
	var pe *presage.Error
	if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || len(pe.Violations) < 2 {
		return err
	}
	var b strings.Builder
	b.WriteString("invalid outcome:")
	for _, v := range pe.Violations {
		b.WriteString("\n  " + v.Detail)
	}
	return errors.New(b.String())
}

// formFlag is --form [NAME]: present with or without a form name.
type formFlag struct {
	set  bool
	name string
}

func (f *formFlag) String() string     { return f.name }
func (f *formFlag) Set(v string) error { f.set, f.name = true, v; return nil }

// joinFormName rewrites "--form NAME" as "--form=NAME" and a bare "--form"
// as "--form=", so the form name is optional on the command line.
func joinFormName(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a != "--form" && a != "-form" {
			out = append(out, a)
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out = append(out, "--form="+args[i+1])
			i++
			continue
		}
		out = append(out, "--form=")
	}
	return out
}

var opAliases = map[string]presage.AttrOp{"=": presage.OpEq, "==": presage.OpEq, "!=": presage.OpNe, ">": presage.OpGt,
	">=": presage.OpGte, "<": presage.OpLt, "<=": presage.OpLte}

// parseAttr reads --attr 'NAME OP [VALUE]': OP is one of eq, ne, gt, gte,
// lt, lte, exists, contains (or =, !=, >, >=, <, <=); VALUE is a number,
// true, false, or text (quote it, "42", to compare text that looks like a
// number). contains always compares text.
func parseAttr(s string) presage.AttrCondition {
	fields := strings.Fields(s)
	var a presage.AttrCondition
	if len(fields) > 0 {
		a.Name = fields[0]
	}
	if len(fields) > 1 {
		a.Op = presage.AttrOp(strings.ToLower(fields[1]))
		if alias, ok := opAliases[fields[1]]; ok {
			a.Op = alias
		}
	}
	if len(fields) < 3 {
		return a
	}
	// The value is the rest of the text after the operator, spaces kept.
	rest := strings.TrimSpace(s)
	for range 2 {
		rest = strings.TrimSpace(rest[len(strings.Fields(rest)[0]):])
	}
	raw := json.RawMessage(rest)
	quoted := strings.HasPrefix(rest, `"`) && json.Valid(raw)
	literal := json.Valid(raw) && (quoted || rest == "true" || rest == "false" || strings.IndexAny(rest[:1], "-0123456789") == 0)
	if a.Op == presage.OpContains && !quoted || !literal {
		raw, _ = json.Marshal(rest)
	}
	a.Value = raw
	return a
}

func outcomeCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("outcome create", `Defines an outcome: what a session should reach (maximize) or avoid (minimize).
Give one condition:
  --event NAME [--attr 'NAME OP VALUE' ...]  a custom event, e.g. --event purchase --attr 'total >= 50'
  --page PATTERN                             a page view, e.g. /checkout/thank-you, /product/*, /help/**
  --form [NAME]                              a form submitted (any form without NAME)
An organization defines at most `+strconv.Itoa(presage.MaxOutcomesPerOrg)+` outcomes, with unique names.`, stderr)
	org := f.String("org", "", "organization id or name (required)")
	name := f.String("name", "", "outcome name, unique in the organization (required)")
	direction := f.String("direction", "", "maximize or minimize (required)")
	description := f.String("description", "", "what the outcome means, for people")
	eventName := f.String("event", "", "custom event name")
	var attrs list
	f.Var(&attrs, "attr", "attribute condition of --event: 'NAME OP VALUE', OP one of eq ne gt gte lt lte exists contains (repeatable)")
	page := f.String("page", "", "URL path pattern: * within a segment, ** across segments")
	var form formFlag
	f.Var(&form, "form", "a form submission, optionally of the form NAME")
	valueField := f.String("value-field", "", "attribute whose number is the achievement's value, e.g. total")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(joinFormName(args)); err != nil {
		return err
	}
	d := outcome.Definition{Name: *name, Description: *description, Direction: presage.Direction(*direction), ValueField: *valueField}
	kinds := 0
	if *eventName != "" {
		kinds++
		d.Condition = presage.Condition{Kind: presage.ConditionEvent, EventName: *eventName}
		for _, a := range attrs {
			d.Condition.Attributes = append(d.Condition.Attributes, parseAttr(a))
		}
	}
	if *page != "" {
		kinds++
		d.Condition = presage.Condition{Kind: presage.ConditionPage, URLPattern: *page}
	}
	if form.set {
		kinds++
		d.Condition = presage.Condition{Kind: presage.ConditionForm, FormName: form.name}
	}
	switch {
	case kinds != 1:
		return fmt.Errorf("give one condition: --event NAME, --page PATTERN or --form [NAME]")
	case len(attrs) > 0 && *eventName == "":
		return fmt.Errorf("--attr applies to --event conditions only")
	}
	return withOutcomes(ctx, storage, *org, func(ctx context.Context, o presage.Organization, outcomes *outcome.Service) error {
		out, err := outcomes.Create(ctx, d)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(outcomeOut(out))
		}
		fmt.Fprintf(stdout, "Outcome %s created for %s:\n  %s\n", out.ID, o.Name, summary(out))
		return nil
	})
}

func outcomeList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("outcome list", "Lists an organization's outcomes, oldest first.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOutcomes(ctx, storage, *org, func(ctx context.Context, o presage.Organization, outcomes *outcome.Service) error {
		all, err := outcomes.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]outcomeJSON, 0, len(all))
			for _, x := range all {
				out = append(out, outcomeOut(x))
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		if len(all) == 0 {
			fmt.Fprintf(stdout, "%s defines no outcomes yet: presage outcome create --org %q …\n", o.Name, o.Name)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tDIRECTION\tCONDITION\tVALUE")
		for _, x := range all {
			value := x.ValueField
			if value == "" {
				value = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.ID, x.Name, x.Direction, outcome.Describe(x.Condition), value)
		}
		return tw.Flush()
	})
}

func outcomeShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("outcome show", "Shows one outcome's definition.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	id := f.String("id", "", "outcome id (out_…) or name (required)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOutcomes(ctx, storage, *org, func(ctx context.Context, _ presage.Organization, outcomes *outcome.Service) error {
		x, err := findOutcome(ctx, outcomes, *id)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(outcomeOut(x))
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
		row("ID:", x.ID)
		row("Name:", x.Name)
		if x.Description != "" {
			row("Description:", x.Description)
		}
		row("Direction:", string(x.Direction))
		row("Condition:", outcome.Describe(x.Condition))
		if x.ValueField != "" {
			row("Value field:", x.ValueField)
		}
		row("Created:", x.CreatedAt.Format(time.RFC3339))
		row("Updated:", x.UpdatedAt.Format(time.RFC3339))
		return tw.Flush()
	})
}

func outcomeDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("outcome delete", "Deletes an outcome with its model, predictions and achievements.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	id := f.String("id", "", "outcome id (out_…) or name (required)")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOutcomes(ctx, storage, *org, func(ctx context.Context, _ presage.Organization, outcomes *outcome.Service) error {
		x, err := findOutcome(ctx, outcomes, *id)
		if err != nil {
			return err
		}
		if err := outcomes.Delete(ctx, x.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Outcome %s (%s) deleted with its model, predictions and achievements.\n", x.ID, x.Name)
		return nil
	})
}

// findOutcome looks an outcome up by id or by name.
func findOutcome(ctx context.Context, outcomes *outcome.Service, idOrName string) (presage.Outcome, error) {
	if idOrName == "" {
		return presage.Outcome{}, fmt.Errorf("--id is required")
	}
	if strings.HasPrefix(idOrName, "out_") {
		if x, err := outcomes.Get(ctx, idOrName); !presage.IsNotFound(err) {
			return x, err
		}
	}
	all, err := outcomes.List(ctx)
	if err != nil {
		return presage.Outcome{}, err
	}
	for _, x := range all {
		if x.Name == idOrName {
			return x, nil
		}
	}
	return presage.Outcome{}, fmt.Errorf("no outcome %q", idOrName)
}

// summary is one line about an outcome: name, direction, condition, value.
func summary(x presage.Outcome) string {
	s := fmt.Sprintf("%s (%s): %s", x.Name, x.Direction, outcome.Describe(x.Condition))
	if x.ValueField != "" {
		s += "; value from " + x.ValueField
	}
	return s
}

type outcomeJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Direction   presage.Direction `json:"direction"`
	Condition   presage.Condition `json:"condition"`
	ValueField  string            `json:"valueField,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

func outcomeOut(x presage.Outcome) outcomeJSON {
	return outcomeJSON{ID: x.ID, Name: x.Name, Description: x.Description, Direction: x.Direction, Condition: x.Condition,
		ValueField: x.ValueField, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}
