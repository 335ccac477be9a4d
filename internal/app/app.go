// Package app assembles a Presage node from its parts: storage engine,
// services, HTTP server, tracker bundle and demo. cmd/presage parses flags
// into a Config; tests build the same App in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/httpapi"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/logging"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/tenant"
	"github.com/presage-dev/presage/internal/web/demo"
	"github.com/presage-dev/presage/internal/web/tracker"
)

// Config is everything a node needs; cmd/presage fills it from flags and
// PRESAGE_* environment variables.
type Config struct {
	DataDir     string // SQLite lives here when DatabaseURL is empty
	DatabaseURL string // postgres://… selects PostgreSQL
	// KeystoreURL selects the key store (default: PRESAGE_KEYSTORE_URL, else
	// presage-keys.db beside presage.db, or the schema presage_keys of the
	// PostgreSQL database).
	KeystoreURL string
	// GDPRLease is how long a data subject request stays claimed by a node
	// that stopped renewing it (0: privacy's default, 30 s).
	GDPRLease time.Duration
	// Getenv reads the master key's variables (nil: os.Getenv).
	Getenv func(string) string
	// PublicURL is the address browsers use to reach this node, if it differs
	// from the listening address (behind a proxy).
	PublicURL       string
	Demo            bool
	TrustedProxies  []netip.Prefix
	CommitWorkers   int // concurrent ingestion transactions; 0 picks per engine
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// SessionTimeout is the idle time after which a session has ended and
	// teaches the models its outcome (default presage.DefaultSessionTimeout,
	// the tracker's).
	SessionTimeout time.Duration
	// Scorer and Trainer tune prediction; zero values take the defaults.
	Scorer  predict.ScorerOptions
	Trainer predict.TrainerOptions
	// NoTrainer keeps this node from training models (it still scores with
	// the models other nodes checkpoint).
	NoTrainer bool
	// Now is the clock of every service (nil: time.Now), so tests can move
	// time on (session timeouts, cache TTLs, expiry) instead of waiting.
	Now func() time.Time
}

// DatabaseTarget returns the store URL the config selects.
func (c Config) DatabaseTarget() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	dir := c.DataDir
	if dir == "" {
		dir = "presage-data"
	}
	return "sqlite:" + filepath.Join(dir, "presage.db")
}

// App is one running Presage node.
type App struct {
	cfg       Config
	log       *slog.Logger
	Engine    store.Engine
	Tenants   *tenant.Service
	Journeys  *journey.Service
	Consents  *consent.Service
	Outcomes  *outcome.Service
	Collector *collect.Service
	// Scorer scores each accepted event; Trainer learns the models;
	// Predictions answers queries; Changes publishes new probabilities.
	Scorer      *predict.Scorer
	Trainer     *predict.Trainer
	Predictions *predict.Service
	// Features holds the organizations' choice of prediction features.
	Features *predict.FeatureService
	Changes  *predict.Broker
	// Privacy serves data subject requests and enforces retention.
	Privacy *privacy.Service
	// Storage holds the key ring beside the engine.
	Storage   *Storage
	committer *collect.Committer
	registry  *prometheus.Registry
	bundle    tracker.Bundle
	// Demo is set by Prepare when the demo is enabled.
	Demo tenant.Demo
}

// Open connects to the database, migrates it and builds the services.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	storage, err := OpenStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	engine := storage.Engine
	bundle, err := tracker.Build()
	if err != nil {
		storage.Close()
		return nil, fmt.Errorf("build tracker: %w", err)
	}
	workers := commitWorkers(cfg, engine.Engine())
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := collect.NewMetrics(reg)
	changes := predict.NewBroker()
	scorerOpt := cfg.Scorer
	if scorerOpt.Publisher == nil {
		scorerOpt.Publisher = changes
	}
	if scorerOpt.Now == nil {
		scorerOpt.Now = cfg.Now
	}
	scorer := predict.NewScorer(engine, scorerOpt)
	trainerOpt := cfg.Trainer
	if trainerOpt.Logger == nil {
		trainerOpt.Logger = cfg.Logger
	}
	if trainerOpt.Metrics == nil {
		trainerOpt.Metrics = predict.NewTrainerMetrics(reg)
	}
	if trainerOpt.Now == nil {
		trainerOpt.Now = cfg.Now
	}
	tenants, consents := newTenantsAndConsents(storage, scorer.Forget, cfg.Now)
	if err := ensureConsentDefaults(ctx, tenants, consents); err != nil {
		storage.Close()
		return nil, err
	}
	committer := collect.NewCommitter(engine, collect.CommitterOptions{Workers: workers, Metrics: metrics})
	a := &App{
		cfg:      cfg,
		log:      cfg.Logger,
		Engine:   engine,
		Tenants:  tenants,
		Journeys: journey.NewService(engine),
		Consents: consents,
		Outcomes: outcome.NewService(engine, outcome.Options{Now: cfg.Now, OnChange: scorer.OutcomesChanged}),
		Collector: collect.NewService(tenants, committer, collect.ServiceOptions{Now: cfg.Now, Metrics: metrics,
			Gate: consentGate{consents: consents, tombstones: privacy.NewTombstones(engine, cfg.Now)}, Scorer: scorer, Logger: cfg.Logger,
			SessionTimeout: cfg.SessionTimeout}),
		Scorer:      scorer,
		Trainer:     predict.NewTrainer(engine, trainerOpt),
		Predictions: predict.NewService(engine),
		Features:    predict.NewFeatureService(engine, cfg.Now, scorer.OutcomesChanged),
		Changes:     changes,
		Privacy:     newPrivacy(storage, consents, privacy.NewMetrics(reg), cfg),
		Storage:     storage,
		committer:   committer,
		registry:    reg,
		bundle:      bundle,
	}
	return a, nil
}

// commitWorkers is how many group commits run at once: one on SQLite, which
// has a single writer, four on PostgreSQL, unless configured.
func commitWorkers(cfg Config, engine string) int {
	switch {
	case cfg.CommitWorkers != 0:
		return cfg.CommitWorkers
	case engine == "postgres":
		return 4
	default:
		return 1
	}
}

// handler returns the node's HTTP handler; demoHandler is nil unless the demo runs.
func (a *App) handler(demoHandler http.Handler) http.Handler {
	return httpapi.New(httpapi.Config{
		Tenants:        a.Tenants,
		Collector:      a.Collector,
		Journeys:       a.Journeys,
		Consents:       a.Consents,
		Outcomes:       a.Outcomes,
		Predictions:    a.Predictions,
		Features:       a.Features,
		Privacy:        a.Privacy,
		DB:             a.Engine,
		Registry:       a.registry,
		Logger:         a.log,
		TrustedProxies: a.cfg.TrustedProxies,
		Tracker:        tracker.Handler(a.bundle),
		Demo:           demoHandler,
	})
}

// origins returns the web origins that reach this node on ln.
func (a *App) origins(ln net.Listener) []string {
	var out []string
	if a.cfg.PublicURL != "" {
		if o, err := tenant.NormalizeOrigin(a.cfg.PublicURL); err == nil {
			out = append(out, o)
		}
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		port := tcp.Port
		if tcp.IP.IsUnspecified() || tcp.IP.IsLoopback() {
			out = append(out, fmt.Sprintf("http://localhost:%d", port), fmt.Sprintf("http://127.0.0.1:%d", port))
		} else {
			out = append(out, "http://"+net.JoinHostPort(tcp.IP.String(), fmt.Sprint(port)))
		}
	}
	return out
}

// Prepare readies the demo organization (if enabled) for the address of ln
// and returns the HTTP handler to serve there.
func (a *App) Prepare(ctx context.Context, ln net.Listener) (http.Handler, error) {
	var demoHandler http.Handler
	if a.cfg.Demo {
		// Start-up acts as the operator, like the CLI.
		d, err := a.Tenants.EnsureDemo(presage.AsOperator(ctx, ""), a.origins(ln))
		if err != nil {
			return nil, fmt.Errorf("prepare demo: %w", err)
		}
		a.Demo = d
		if err := a.ensureDemoOutcomes(ctx, d.Org.ID); err != nil {
			return nil, fmt.Errorf("prepare demo: %w", err)
		}
		demoHandler = demo.Handler(demo.Config{SiteKey: d.Org.SiteKey})
	}
	return a.handler(demoHandler), nil
}

// Serve serves h on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (their batches commit), drains
// the committer and closes the database.
func (a *App) Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          logging.StdLogger(a.log),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Expiry is derived from stored states, so any node may run it and a
	// restart loses nothing; the ledger lock keeps two nodes from doubling it.
	expiryCtx, stopExpiry := context.WithCancel(context.Background())
	defer stopExpiry()
	go a.Consents.RunExpiry(expiryCtx, time.Minute)
	// Every node may train; a lease per organization lets one at a time.
	trainCtx, stopTraining := context.WithCancel(context.Background())
	trained := make(chan struct{})
	go func() {
		defer close(trained)
		if !a.cfg.NoTrainer {
			_ = a.Trainer.Run(trainCtx)
		}
	}()
	defer func() { stopTraining(); <-trained }()
	// Data subject requests are durable jobs: any node serves them, a lease
	// per request keeps two from doubling one, and a killed node's job is
	// resumed by whichever node claims it next.
	privacyCtx, stopPrivacy := context.WithCancel(context.Background())
	privacyDone := make(chan struct{})
	go func() { defer close(privacyDone); _ = a.Privacy.Run(privacyCtx) }()
	defer func() { stopPrivacy(); <-privacyDone }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	stopExpiry()
	stopTraining() // its final checkpoint lands before the database closes
	<-trained
	stopPrivacy()
	<-privacyDone
	if cerr := a.Close(sctx); err == nil {
		err = cerr
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// Close drains pending commits and closes the database.
func (a *App) Close(ctx context.Context) error {
	err := a.committer.Close(ctx)
	if cerr := a.Storage.Close(); err == nil {
		err = cerr
	}
	return err
}
