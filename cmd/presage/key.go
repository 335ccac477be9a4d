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

type keyJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Scopes     []presage.Scope `json:"scopes"`
	CreatedAt  time.Time       `json:"createdAt"`
	LastUsedAt *time.Time      `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time      `json:"revokedAt,omitempty"`
	Key        string          `json:"key,omitempty"`
}

func keyOut(k presage.APIKey) keyJSON {
	out := keyJSON{ID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt}
	if !k.LastUsedAt.IsZero() {
		out.LastUsedAt = &k.LastUsedAt
	}
	if !k.RevokedAt.IsZero() {
		out.RevokedAt = &k.RevokedAt
	}
	return out
}

func parseScopes(s string) []presage.Scope {
	var out []presage.Scope
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, presage.Scope(part))
		}
	}
	return out
}

func keyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("key create", "Creates a secret API key. The key is printed once and stored only as a hash.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	name := f.String("name", "", "what the key is for (required)")
	scopes := f.String("scopes", "read", "comma-separated scopes: read, write, admin, gdpr")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrg(ctx, storage, *org, func(ctx context.Context, tenants *tenant.Service, o presage.Organization) error {
		key, full, err := tenants.CreateKey(ctx, *name, parseScopes(*scopes))
		if err != nil {
			return err
		}
		if *asJSON {
			out := keyOut(key)
			out.Key = full
			return json.NewEncoder(stdout).Encode(out)
		}
		fmt.Fprintf(stdout, "Key %s (%s) created for %s with scopes %v.\nSecret (shown once, store it now):\n\n  %s\n\n", key.ID, key.Name, o.Name, key.Scopes, full)
		return nil
	})
}

func keyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("key list", "Lists an organization's keys (never their secrets).", stderr)
	org := f.String("org", "", "organization id or name (required)")
	asJSON := f.Bool("json", false, "print JSON")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrg(ctx, storage, *org, func(ctx context.Context, tenants *tenant.Service, o presage.Organization) error {
		keys, err := tenants.ListKeys(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]keyJSON, 0, len(keys))
			for _, k := range keys {
				out = append(out, keyOut(k))
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tSTATUS")
		for _, k := range keys {
			status := "active"
			if !k.Active() {
				status = "revoked " + k.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", k.ID, k.Name, k.Scopes, k.CreatedAt.Format(time.RFC3339), status)
		}
		return tw.Flush()
	})
}

func keyRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("key revoke", "Revokes a key at once, on every node sharing the database.", stderr)
	org := f.String("org", "", "organization id or name (required)")
	id := f.String("id", "", "key id, e.g. key_… (required)")
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withOrg(ctx, storage, *org, func(ctx context.Context, tenants *tenant.Service, o presage.Organization) error {
		if err := tenants.RevokeKey(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Key %s revoked.\n", *id)
		return nil
	})
}
