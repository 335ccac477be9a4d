package main

import (
	"context"
	"fmt"
	"io"
)

// masterKeyRotate re-wraps every data key and organization secret under the
// current master key, so the previous one can be dropped (docs/privacy.md).
func masterKeyRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("masterkey rotate", "Re-wraps every data key and organization secret under the current master key\n"+
		"(PRESAGE_MASTER_KEY or PRESAGE_MASTER_KEY_FILE), reading what the previous one wrapped\n"+
		"(PRESAGE_MASTER_KEY_PREVIOUS or PRESAGE_MASTER_KEY_PREVIOUS_FILE). Afterwards the previous key\n"+
		"may be destroyed.", stderr)
	storage := addStorageFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	// Opening the storage re-wraps the organizations' secrets.
	s, err := openServices(ctx, storage)
	if err != nil {
		return err
	}
	defer s.storage.Close()
	n, err := s.storage.Keys.RotateDataKeys(ctx)
	if err != nil {
		return fmt.Errorf("rotate data keys: %w", err)
	}
	fmt.Fprintf(stdout, "Re-wrapped %d data keys and every organization secret under master key %s.\n", n, s.storage.Keys.MasterID())
	return nil
}
