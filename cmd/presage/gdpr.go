package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// gdprCommands are the data subject request commands (presage gdpr …).
var gdprCommands = command{name: "gdpr", summary: "Data subject requests: find, export, rectify and erase a person's data (GDPR Art. 15–17).", subs: []command{
	{name: "search", summary: "find the customers and visitors a value identifies, with counts of what is held", run: gdprSearch},
	{name: "export", summary: "export everything held about a subject (Art. 15, 20) to --out FILE", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return gdprRequest(ctx, privacy.RequestExport, args, stdout, stderr)
	}},
	{name: "rectify", summary: "replace a subject's email, phone, name, address or external id (Art. 16)", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return gdprRequest(ctx, privacy.RequestRectify, args, stdout, stderr)
	}},
	{name: "erase", summary: "erase a subject, backups included by destroying their keys (Art. 17; needs --confirm)", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return gdprRequest(ctx, privacy.RequestErase, args, stdout, stderr)
	}},
	{name: "status", summary: "show a request: status, due date, progress, result and audit trail", run: gdprStatus},
	{name: "list", summary: "list an organization's requests, newest first", run: gdprList},
	{name: "extend", summary: "extend a request's due date by up to two months, with the reason (Art. 12(3))", run: gdprExtend},
}}

// subjectFlags are the repeatable flags identifying a subject, each one a
// search type.
type subjectFlags struct {
	flags []struct {
		name   string
		t      privacy.SearchType
		values *list
	}
}

func addSubjectFlags(f *flags) *subjectFlags {
	sf := &subjectFlags{}
	for _, x := range []struct {
		name string
		t    privacy.SearchType
		help string
	}{{"email", privacy.SearchEmail, "email address"}, {"phone", privacy.SearchPhone, "phone number"},
		{"name", privacy.SearchName, "full name"}, {"address", privacy.SearchAddress, "postal address"},
		{"external-id", privacy.SearchExternalID, "the customerId the site gave identify"},
		{"customer-id", privacy.SearchCustomerID, "Presage's customer id (cus_…)"},
		{"visitor-id", privacy.SearchVisitorID, "a visitor-id cookie, for visitors who never identified"}} {
		values := &list{}
		f.Var(values, x.name, "the subject's "+x.help+" (repeatable)")
		sf.flags = append(sf.flags, struct {
			name   string
			t      privacy.SearchType
			values *list
		}{x.name, x.t, values})
	}
	return sf
}

// terms lists the subject's terms and, for each, the flag it came from.
func (sf *subjectFlags) terms() ([]privacy.Term, []string) {
	var terms []privacy.Term
	var from []string
	for _, x := range sf.flags {
		for _, v := range *x.values {
			terms = append(terms, privacy.Term{Type: x.t, Value: v})
			from = append(from, "--"+x.name)
		}
	}
	return terms, from
}

// parseReplacement reads --replace 'TYPE=EXISTING=>UPDATED'.
func parseReplacement(s string) (privacy.Replacement, error) {
	t, rest, ok := strings.Cut(s, "=")
	existing, updated, ok2 := strings.Cut(rest, "=>")
	if !ok || !ok2 {
		return privacy.Replacement{}, fmt.Errorf("--replace %q: write TYPE=EXISTING=>UPDATED, e.g. email=ada@old.example=>ada@new.example", s)
	}
	return privacy.Replacement{Type: privacy.SearchType(strings.TrimSpace(t)), Existing: existing, Updated: updated}, nil
}

// gdprError names the flags behind the service's violations: the service
// speaks of the HTTP body ("/subject/terms/0/value", "confirm").
func gdprError(err error, from []string) error {
	var pe *presage.Error
	if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || len(pe.Violations) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString("invalid request:")
	for _, v := range pe.Violations {
		flag := v.Field
		switch {
		case v.Field == "confirm":
			flag = "--confirm"
		case v.Field == "/subject":
			flag = "the subject (--email, --phone, --name, --address, --external-id, --customer-id or --visitor-id)"
		case strings.HasPrefix(v.Field, "/subject/terms/"):
			var i int
			if _, scanErr := fmt.Sscanf(v.Field, "/subject/terms/%d", &i); scanErr == nil && i < len(from) {
				flag = from[i]
			}
		case strings.HasPrefix(v.Field, "/replacementTerms"):
			var i int
			if _, scanErr := fmt.Sscanf(v.Field, "/replacementTerms/%d", &i); scanErr == nil {
				flag = fmt.Sprintf("--replace #%d", i+1)
			} else {
				flag = "--replace"
			}
		}
		fmt.Fprintf(&b, "\n  %s: %s", flag, v.Detail)
	}
	return errors.New(b.String())
}

func gdprSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gdpr search", "Finds the customers and visitors of an organization a value identifies, with counts of what\nPresage holds about each. The search is audited (its type, never its value).", stderr)
	org := f.String("org", "", "organization id or name (required)")
	typ := f.String("type", "", "email, phone, name, address, external_id, customer_id or visitor_id (required)")
	value := f.String("value", "", "the value to search for (required)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		matches, err := s.privacy.Search(ctx, privacy.Term{Type: privacy.SearchType(*typ), Value: *value})
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]matchJSON, 0, len(matches))
			for _, m := range matches {
				out = append(out, matchJSON{CustomerID: m.CustomerID, VisitorIDs: m.VisitorIDs, Counts: m.Counts})
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		if len(matches) == 0 {
			fmt.Fprintf(stdout, "%s holds nothing that %s matches.\n", s.org.Name, *typ)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CUSTOMER\tVISITORS\tHELD")
		for _, m := range matches {
			customer := m.CustomerID
			if customer == "" {
				customer = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", customer, strings.Join(m.VisitorIDs, ","), countsText(m.Counts))
		}
		return tw.Flush()
	})
}

// matchJSON is a search match as --json prints it.
type matchJSON struct {
	CustomerID string         `json:"customerId,omitempty"`
	VisitorIDs []string       `json:"visitorIds"`
	Counts     privacy.Counts `json:"counts"`
}

func gdprRequest(ctx context.Context, t privacy.RequestType, args []string, stdout, stderr io.Writer) error {
	summary := map[privacy.RequestType]string{
		privacy.RequestExport: "Exports everything the organization holds about a subject as one JSON bundle (Art. 15, 20).",
		privacy.RequestRectify: "Rectifies a subject's data (Art. 16): --replace 'TYPE=EXISTING=>UPDATED' (repeatable), TYPE\n" +
			"one of email, phone, name, address, external_id.",
		privacy.RequestErase: "Erases a subject (Art. 17): their journeys, identifiers, predictions and consent records, and\n" +
			"destroys their keys so that backups can no longer be read. It cannot be undone: pass --confirm.",
	}[t]
	f := newFlags("gdpr "+map[privacy.RequestType]string{privacy.RequestExport: "export", privacy.RequestRectify: "rectify",
		privacy.RequestErase: "erase"}[t], summary+"\nIdentify the subject with one or more of the subject flags. The request is created, then\n"+
		"served in this process (--wait, the default) or by a running server's job runner (--wait=false).", stderr)
	org := f.String("org", "", "organization id or name (required)")
	subject := addSubjectFlags(f)
	var replaces list
	var out *string
	var confirmed *bool
	switch t {
	case privacy.RequestExport:
		out = f.String("out", "", "write the export bundle to FILE (- for stdout)")
	case privacy.RequestRectify:
		f.Var(&replaces, "replace", "a replacement 'TYPE=EXISTING=>UPDATED' (repeatable)")
	case privacy.RequestErase:
		confirmed = f.Bool("confirm", false, "confirm the erasure (required: it cannot be undone)")
	}
	wait := f.Bool("wait", true, "serve the request in this process and wait until it completes")
	timeout := f.Duration("timeout", 10*time.Minute, "how long --wait waits")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	terms, from := subject.terms()
	in := privacy.RequestInput{Type: t, Terms: terms, Confirm: confirmed != nil && *confirmed}
	for _, r := range replaces {
		rp, err := parseReplacement(r)
		if err != nil {
			return err
		}
		in.Replacements = append(in.Replacements, rp)
	}
	if out != nil && *out != "" && !*wait {
		return fmt.Errorf("--out needs --wait: the bundle exists once the request completed")
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		req, err := s.privacy.CreateRequest(ctx, in)
		if err != nil {
			return gdprError(err, from)
		}
		if *wait {
			if req, err = serveUntilDone(ctx, s.privacy, req.ID, *timeout); err != nil {
				return err
			}
		}
		if req.Status == privacy.StatusError {
			return fmt.Errorf("request %s failed: %s", req.ID, req.Error)
		}
		if out != nil && *out != "" && req.Status == privacy.StatusCompleted && req.Result != nil && !req.Result.NothingHeld {
			if err := writeExport(ctx, s.privacy, req.ID, *out, stdout); err != nil {
				return err
			}
			if *out == "-" {
				return nil
			}
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(requestOut(req, nil))
		}
		printRequest(stdout, req)
		if out != nil && *out != "" && *out != "-" && req.Result != nil && !req.Result.NothingHeld {
			fmt.Fprintf(stdout, "Bundle written to %s\n", *out)
		}
		return nil
	})
}

// serveUntilDone runs the job queue in this process until request id is
// terminal. Work serves whichever request is due first, so pending requests
// of other organizations are served on the way, as a server node would.
func serveUntilDone(ctx context.Context, svc *privacy.Service, id string, timeout time.Duration) (privacy.Request, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, err := svc.Request(ctx, id)
		if err != nil {
			return req, err
		}
		if req.Status.Terminal() {
			return req, nil
		}
		worked, err := svc.Work(ctx)
		if err != nil {
			return req, fmt.Errorf("serve requests: %w", err)
		}
		if worked {
			continue
		}
		// Nothing is due: the request waits out a retry's backoff, or a
		// running server holds its lease.
		select {
		case <-ctx.Done():
			return req, fmt.Errorf("request %s is still %s after %s (a running server continues it): %w", id, req.Status, timeout, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// writeExport writes the request's bundle to path ("-": stdout).
func writeExport(ctx context.Context, svc *privacy.Service, id, path string, stdout io.Writer) error {
	bundle, err := svc.ExportBundle(ctx, id)
	if err != nil {
		return err
	}
	if path == "-" {
		_, err := stdout.Write(bundle)
		return err
	}
	// The bundle is personal data: readable by its owner only.
	if err := os.WriteFile(path, bundle, 0o600); err != nil {
		return fmt.Errorf("write the bundle: %w", err)
	}
	return nil
}

func gdprStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gdpr status", "Shows a data subject request: status, due date, progress, result and audit trail.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	id := f.String("id", "", "request id, dsr_… (required)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		req, err := s.privacy.Request(ctx, *id)
		if err != nil {
			return err
		}
		trail, err := s.privacy.RequestAudit(ctx, req.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(requestOut(req, trail))
		}
		printRequest(stdout, req)
		fmt.Fprintln(stdout, "Audit trail:")
		for _, e := range trail {
			fmt.Fprintf(stdout, "  #%d %s %s by %s\n", e.Seq, e.At.UTC().Format(time.RFC3339), e.Action, e.Actor)
		}
		return nil
	})
}

func gdprList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gdpr list", "Lists an organization's data subject requests, newest first.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	size := f.Int("page-size", 25, "requests per page")
	page := f.Int("page", 1, "page number, from 1")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		reqs, total, err := s.privacy.Requests(ctx, *size, *page)
		if err != nil {
			return err
		}
		if *asJSON {
			out := struct {
				Requests []requestJSON `json:"requests"`
				Total    int           `json:"total"`
			}{Requests: make([]requestJSON, 0, len(reqs)), Total: total}
			for _, r := range reqs {
				out.Requests = append(out.Requests, requestOut(r, nil))
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		if total == 0 {
			fmt.Fprintf(stdout, "%s has received no data subject requests.\n", s.org.Name)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tRECEIVED\tDUE\tBY")
		for _, r := range reqs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Type, r.Status, r.ReceivedAt.UTC().Format(time.RFC3339),
				r.DueAt.UTC().Format(time.DateOnly), r.RequestedBy)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Page %d: %d of %d requests.\n", *page, len(reqs), total)
		return nil
	})
}

func gdprExtend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gdpr extend", "Extends a request's due date, at most two months beyond the original one (Art. 12(3)). The\nreason is recorded and must be told to the data subject.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	id := f.String("id", "", "request id, dsr_… (required)")
	until := f.String("until", "", "the new due date, RFC 3339 (2027-02-15T23:59:59Z) or a date (2027-02-15, end of that day UTC)")
	reason := f.String("reason", "", "why the request needs longer (required)")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	due, err := time.Parse(time.RFC3339, *until)
	if err != nil {
		d, dateErr := time.Parse(time.DateOnly, *until)
		if dateErr != nil {
			return fmt.Errorf("--until %q: give an RFC 3339 time or a date (YYYY-MM-DD)", *until)
		}
		due = d.Add(24*time.Hour - time.Second)
	}
	return withOrgServices(ctx, storage, *org, func(ctx context.Context, s orgServices) error {
		req, err := s.privacy.Extend(ctx, *id, due, *reason)
		if err != nil {
			return err
		}
		printRequest(stdout, req)
		return nil
	})
}

// requestJSON is a request as --json prints it.
type requestJSON struct {
	ID              string              `json:"id"`
	Type            privacy.RequestType `json:"type"`
	Status          privacy.Status      `json:"status"`
	RequestedBy     string              `json:"requestedBy"`
	ReceivedAt      time.Time           `json:"receivedAt"`
	DueAt           time.Time           `json:"dueAt"`
	ExtensionReason string              `json:"extensionReason,omitempty"`
	Progress        privacy.Progress    `json:"progress"`
	Result          *privacy.Result     `json:"result"`
	Error           string              `json:"error,omitempty"`
	Audit           []auditJSON         `json:"audit,omitempty"`
}

type auditJSON struct {
	Seq    int64           `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

func requestOut(r privacy.Request, trail []privacy.AuditEntry) requestJSON {
	out := requestJSON{ID: r.ID, Type: r.Type, Status: r.Status, RequestedBy: r.RequestedBy, ReceivedAt: r.ReceivedAt,
		DueAt: r.DueAt, ExtensionReason: r.ExtensionReason, Progress: r.Progress, Result: r.Result, Error: r.Error}
	for _, e := range trail {
		out.Audit = append(out.Audit, auditJSON{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Detail: e.Detail})
	}
	return out
}

func printRequest(w io.Writer, r privacy.Request) {
	fmt.Fprintf(w, "Request %s (%s): %s\n  received %s, due %s\n", r.ID, r.Type, r.Status,
		r.ReceivedAt.UTC().Format(time.RFC3339), r.DueAt.UTC().Format(time.RFC3339))
	if r.ExtensionReason != "" {
		fmt.Fprintf(w, "  extended: %s\n", r.ExtensionReason)
	}
	switch {
	case r.Result != nil && r.Result.NothingHeld:
		fmt.Fprintln(w, "  nothing held about the subject")
	case r.Result != nil:
		fmt.Fprintf(w, "  result: %s\n", countsText(r.Result.Counts))
	case !r.Status.Terminal():
		fmt.Fprintf(w, "  progress: %d%% (%s)\n", r.Progress.Percent, r.Progress.Step)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "  last error: %s\n", r.Error)
	}
}

// countsText renders counts as "events 12, sessions 3", kinds sorted.
func countsText(c privacy.Counts) string {
	if len(c) == 0 {
		return "nothing"
	}
	kinds := make([]string, 0, len(c))
	for k := range c {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}
