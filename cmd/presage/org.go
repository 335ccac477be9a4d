package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/tenant"
)

type orgJSON struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	SiteKey        string    `json:"siteKey"`
	AllowedOrigins []string  `json:"allowedOrigins"`
	CreatedAt      time.Time `json:"createdAt"`
}

func orgOut(o presage.Organization) orgJSON {
	origins := o.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return orgJSON{ID: o.ID, Name: o.Name, SiteKey: o.SiteKey, AllowedOrigins: origins, CreatedAt: o.CreatedAt}
}

func orgCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("org create", "Creates an organization (a controller) with a public site key for its tracker.", stderr)
	name := f.String("name", "", "organization name (required, unique)")
	var origins list
	f.Var(&origins, "origin", "web origin allowed to send events, e.g. https://shop.example (repeatable)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withTenants(ctx, storage, func(ctx context.Context, tenants *tenant.Service) error {
		org, err := tenants.CreateOrganization(ctx, *name, origins)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(orgOut(org))
		}
		fmt.Fprintf(stdout, "Organization %s created.\n  id:              %s\n  site key:        %s\n  allowed origins: %s\n",
			org.Name, org.ID, org.SiteKey, strings.Join(org.AllowedOrigins, ", "))
		fmt.Fprintf(stdout, "Create a secret API key with: presage key create --org %s --name backend --scopes read\n", org.ID)
		return nil
	})
}

func orgList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("org list", "Lists organizations.", stderr)
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withTenants(ctx, storage, func(ctx context.Context, tenants *tenant.Service) error {
		orgs, err := tenants.ListOrganizations(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]orgJSON, 0, len(orgs))
			for _, o := range orgs {
				out = append(out, orgOut(o))
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSITE KEY\tALLOWED ORIGINS")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.SiteKey, strings.Join(o.AllowedOrigins, ","))
		}
		return tw.Flush()
	})
}
