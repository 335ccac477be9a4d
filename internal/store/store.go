package store

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/internal/dburl"
	"github.com/presage-dev/presage/internal/store/postgres"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/tenant"
)

// Engine is one database holding every store of Presage.
type Engine interface {
	tenant.Store
	collect.Store
	journey.Store
	journey.SubjectStore
	privacy.Store
	consent.Store
	outcome.Store
	predict.Store
	predict.SubjectStore
	// Migrate brings the schema up to date; it is safe to run on every start,
	// by many nodes at once.
	Migrate(ctx context.Context) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
}

// Open connects to the database databaseURL names: postgres:// or
// postgresql:// selects PostgreSQL; sqlite:PATH, file:PATH or a bare path
// selects SQLite. It does not migrate.
func Open(ctx context.Context, databaseURL string) (Engine, error) {
	switch {
	case databaseURL == "":
		return nil, fmt.Errorf("open store: empty database URL")
	case dburl.IsPostgres(databaseURL):
		db, err := postgres.Open(ctx, databaseURL)
		if err != nil {
			return nil, err
		}
		return db, nil
	default:
		db, err := sqlite.Open(ctx, dburl.SQLitePath(databaseURL))
		if err != nil {
			return nil, err
		}
		return db, nil
	}
}
