package main

import (
	"context"
	"fmt"
	"io"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("migrate", "Applies the embedded schema migrations and exits (serve also runs them at start).", stderr)
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	engine, _, err := openTenants(ctx, storage)
	if err != nil {
		return err
	}
	defer engine.Close()
	fmt.Fprintf(stdout, "%s database and key store are up to date\n", engine.Engine.Engine())
	return nil
}
