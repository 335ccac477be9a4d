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
	predict.FeatureStore
	predict.SubjectStore
	VisitorKeys
	// Migrate brings the schema up to date; it is safe to run on every start,
	// by many nodes at once.
	Migrate(ctx context.Context) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
}

// VisitorKeys reads and deletes the records of which data keys seal which
// visitors' values (collect.Write.VisitorKeys), for the sealing engine's
// erasures (store/sealed).
type VisitorKeys interface {
	// VisitorKeyIDs returns the distinct key ids recorded for the visitors.
	VisitorKeyIDs(ctx context.Context, orgID string, visitorIDs []string) ([]string, error)
	// DeleteVisitorKeys deletes the visitors' records and counts them.
	DeleteVisitorKeys(ctx context.Context, orgID string, visitorIDs []string) (int64, error)
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
