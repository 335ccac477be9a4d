package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/tenant"
)

// Pinger reports whether the database answers (for /readyz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config wires a Server. Tracker and Demo are optional handlers for /sdk.js
// and /demo/.
type Config struct {
	Tenants        *tenant.Service
	Collector      *collect.Service
	Journeys       *journey.Service
	Consents       *consent.Service
	Outcomes       *outcome.Service
	Predictions    *predict.Service
	Features       *predict.FeatureService
	Privacy        *privacy.Service
	DB             Pinger
	Registry       *prometheus.Registry
	Logger         *slog.Logger
	TrustedProxies []netip.Prefix
	Tracker        http.Handler
	Demo           http.Handler
}

// Server is Presage's HTTP interface.
type Server struct {
	Config
	log     *slog.Logger
	metrics *httpMetrics
	handler http.Handler
}

// New builds the server's routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{Config: cfg, log: cfg.Logger, metrics: newHTTPMetrics(cfg.Registry)}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.recoverPanics(s.observe(mux))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
