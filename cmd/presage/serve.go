package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/app"
	"github.com/presage-dev/presage/internal/logging"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("serve", "Runs the Presage service. With no flags: SQLite in ./presage-data, http://127.0.0.1:8080, demo shop at /demo/.", stderr)
	addr := f.string("addr", "127.0.0.1:8080", "address to listen on")
	storage := addStorageFlags(f)
	publicURL := f.string("public-url", "", "URL browsers use to reach this server, if not the listening address (e.g. https://presage.example)")
	demo := f.bool("demo", true, "create the demo organization and serve the demo shop at /demo/")
	proxies := f.string("trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	workers := f.int("commit-workers", 0, "concurrent ingestion transactions (0: 1 on SQLite, 4 on PostgreSQL)")
	shutdown := f.duration("shutdown-timeout", 30*time.Second, "how long a graceful shutdown waits for in-flight requests")
	logLevel := f.string("log-level", "info", "debug, info, warn or error")
	logFormat := f.string("log-format", "json", "json or text")
	train := f.bool("train", true, "train outcome models on this node (a lease lets one node per organization train at a time)")
	sessionTimeout := f.duration("session-timeout", 30*time.Minute, "idle time after which a session has ended and teaches the models its outcome")
	gdprLease := f.duration("gdpr-lease", 30*time.Second, "how long a data subject request stays claimed by a node that stopped answering before another node resumes it")
	pprofAddr := f.string("pprof-addr", "", "loopback address to serve net/http/pprof on, e.g. 127.0.0.1:6060 (default: off)")
	if err := f.parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	trusted, err := parsePrefixes(*proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	log := logging.New(stderr, level, *logFormat)
	slog.SetDefault(log)
	if *pprofAddr != "" {
		stop, err := servePprof(*pprofAddr)
		if err != nil {
			return fmt.Errorf("--pprof-addr: %w", err)
		}
		defer stop()
		log.Info("pprof listening", slog.String("addr", *pprofAddr))
	}

	a, err := app.Open(ctx, app.Config{
		DataDir:         *storage.dataDir,
		DatabaseURL:     *storage.databaseURL,
		PublicURL:       *publicURL,
		Demo:            *demo,
		TrustedProxies:  trusted,
		CommitWorkers:   *workers,
		ShutdownTimeout: *shutdown,
		Logger:          log,
		NoTrainer:       !*train,
		SessionTimeout:  *sessionTimeout,
		GDPRLease:       *gdprLease,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		a.Close(ctx)
		return fmt.Errorf("listen: %w", err)
	}
	h, err := a.Prepare(ctx, ln)
	if err != nil {
		ln.Close()
		a.Close(ctx)
		return err
	}
	base := *publicURL
	if base == "" {
		base = "http://" + displayAddr(ln.Addr())
	}
	base = strings.TrimSuffix(base, "/")
	log.Info("presage listening", slog.String("url", base), slog.String("engine", a.Engine.Engine()))
	fmt.Fprintf(stdout, "Presage %s is listening on %s (storage: %s)\n", version, base, a.Engine.Engine())
	if a.Storage.MasterGenerated {
		fmt.Fprintf(stdout, "\n  Master key:     generated at %s (mode 0600): it unlocks every personal value;\n"+
			"                  back it up apart from the database (docs/privacy.md)\n", a.Storage.MasterKeyPath)
	}
	if *demo {
		fmt.Fprintf(stdout, `
  Demo shop:      %[1]s/demo/
  Tracker:        %[1]s/sdk.js
  Metrics:        %[1]s/metrics
  Organization:   %[2]s (%[3]s)
  Site key:       %[4]s
  Secret API key: %[5]s
                  (all scopes; shown once, a new one is minted at each start)

  Try: curl -H "Authorization: Bearer %[5]s" %[1]s/api/v1/sessions

`, base, a.Demo.Org.Name, a.Demo.Org.ID, a.Demo.Org.SiteKey, a.Demo.Key)
	}
	return a.Serve(ctx, ln, h)
}

// servePprof serves net/http/pprof on its own listener, never on the public
// one. It refuses non-loopback addresses: profiles reveal internals.
func servePprof(addr string) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%q is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
