package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/keystore"
	"github.com/presage-dev/presage/internal/store/sealed"
)

// EnvKeystoreURL overrides where the key store lives (default: beside the
// journey database; see keystore.DefaultTarget).
const EnvKeystoreURL = "PRESAGE_KEYSTORE_URL"

// Storage is the journey database, wrapped so that personal values are
// sealed with per-subject data keys, and the key ring that holds those keys
// apart from it.
type Storage struct {
	// Engine seals and opens personal values; everything uses it.
	Engine store.Engine
	Keys   *keys.Keyring
	// Shredder destroys subjects' data keys: erasure, retention and
	// consent withdrawal go through it.
	Shredder *sealed.Shredder
	// MasterGenerated is set when this start generated the master key.
	MasterGenerated bool
	MasterKeyPath   string

	raw      store.Engine
	keyStore keys.Store
}

// keyDir is where the generated master key lives: the data directory.
func (c Config) keyDir() string {
	if c.DataDir != "" {
		return c.DataDir
	}
	return "presage-data"
}

func (c Config) getenv(name string) string {
	if c.Getenv != nil {
		return c.Getenv(name)
	}
	return os.Getenv(name)
}

// KeystoreTarget returns the key store the configuration selects.
func (c Config) KeystoreTarget() string {
	if c.KeystoreURL != "" {
		return c.KeystoreURL
	}
	if u := c.getenv(EnvKeystoreURL); u != "" {
		return u
	}
	return keystore.DefaultTarget(c.keyDir(), c.DatabaseURL)
}

// OpenStorage opens and migrates the journey database and the key store,
// loads the master key (generating it on the embedded default's first
// start) and wraps organization secrets still stored in clear.
func OpenStorage(ctx context.Context, cfg Config) (*Storage, error) {
	current, previous, generated, err := keys.LoadMaster(keys.MasterConfig{DataDir: cfg.keyDir(), Getenv: cfg.getenv})
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	raw, err := store.Open(ctx, cfg.DatabaseTarget())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := raw.Migrate(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	ks, err := keystore.Open(ctx, cfg.KeystoreTarget())
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("open key store: %w", err)
	}
	ring := keys.NewKeyring(ks, current, previous...)
	s := &Storage{Engine: sealed.Wrap(raw, ring), Keys: ring, Shredder: sealed.NewShredder(raw, ring), MasterGenerated: generated,
		MasterKeyPath: filepath.Join(cfg.keyDir(), keys.MasterKeyFile), raw: raw, keyStore: ks}
	if _, err := sealed.SealLegacySecrets(ctx, raw, ring); err != nil {
		s.Close()
		return nil, fmt.Errorf("wrap organization secrets: %w", err)
	}
	return s, nil
}

// Close destroys the pooled data keys this node has not handed out and
// closes the database and the key store.
func (s *Storage) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(s.Keys.ReleasePool(ctx), s.raw.Close(), s.keyStore.Close())
}
