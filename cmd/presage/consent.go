package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
)

// withConsents runs fn with the consent service as the operator of the
// organization orgRef names.
func withConsents(ctx context.Context, sf storageFlags, orgRef string, fn func(ctx context.Context, org presage.Organization, consents *consent.Service) error) error {
	return withOrgServices(ctx, sf, orgRef, func(ctx context.Context, s orgServices) error {
		if err := s.consents.EnsureDefaults(ctx, s.org.ID); err != nil {
			return err
		}
		return fn(ctx, s.org, s.consents)
	})
}

// purposeCommand runs "purpose list" or "purpose set" (sub).
func purposeCommand(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	set := sub == "set"
	f := newFlags("purpose "+sub, "Lists an organization's processing purposes and lawful bases, or sets one.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	name := f.String("name", "", "purpose, e.g. analytics, support, sales, marketing (set)")
	basis := f.String("basis", "", "lawful basis: consent, legitimate_interest, contract, legal_obligation, vital_interests, public_task (set)")
	description := f.String("description", "", "what the purpose covers, in plain language (set; default: keep)")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withConsents(ctx, storage, *org, func(ctx context.Context, _ presage.Organization, consents *consent.Service) error {
		ps, err := consents.Purposes(ctx)
		if err != nil {
			return err
		}
		if set {
			desc := *description
			for _, p := range ps {
				if p.Name == *name && desc == "" {
					desc = p.Description
				}
			}
			// A basis change over a text of the administrator's own is
			// refused: publish the new text with PUT /api/v1/purposes
			// ("notices"), see docs/consent.md.
			out, err := consents.SetPurposes(ctx, consent.PurposesInput{Purposes: []consent.PurposeInput{{Name: *name, Basis: consent.Basis(*basis), Description: desc}}})
			if err != nil {
				return err
			}
			ps = out.Purposes
			for _, n := range out.Published {
				fmt.Fprintf(stdout, "Published notice %d (%s) with texts for the new basis.\n", n.Version, n.Language)
			}
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PURPOSE\tBASIS\tDESCRIPTION")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.Basis, p.Description)
		}
		return tw.Flush()
	})
}

func consentVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("consent verify", "Checks an organization's consent ledger: every record's hash and its link to the previous one.\nExits 1 and names the first altered, inserted or deleted record if the chain is broken.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withConsents(ctx, storage, *org, func(ctx context.Context, o presage.Organization, consents *consent.Service) error {
		rep, err := consents.Verify(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := json.NewEncoder(stdout).Encode(rep); err != nil {
				return err
			}
		} else if rep.OK {
			fmt.Fprintf(stdout, "Consent ledger of %s is intact: %d records, head #%d %s\n", o.Name, rep.Records, rep.Head.Seq, rep.Head.Hash)
		}
		if !rep.OK {
			p := rep.Problem
			return fmt.Errorf("consent ledger of %s is broken at record #%d (%s): %s: %s", o.Name, p.Seq, p.RecordID, p.Kind, p.Detail)
		}
		return nil
	})
}
