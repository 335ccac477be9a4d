package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/presage-dev/presage/internal/loadgen"
)

func loadgenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("loadgen", "Posts realistic tracker batches to a Presage server and reports throughput and latency.\nOnly point it at servers you run (loopback).", stderr)
	target := f.String("url", "http://127.0.0.1:8080", "server base URL")
	siteKey := f.String("site-key", "", "site key of the organization to load (required)")
	origin := f.String("origin", "", "Origin header to send (default: the server URL's origin)")
	concurrency := f.Int("concurrency", 32, "concurrent clients")
	batch := f.Int("batch", 50, "events per request (1–100)")
	duration := f.Duration("duration", 10*time.Second, "how long to run")
	visitors := f.Int("visitors", 1000, "distinct visitors to simulate")
	retry := f.Bool("retry", true, "retry failed batches with the same event ids, as the tracker does")
	if err := f.parse(args); err != nil {
		return err
	}
	if *siteKey == "" {
		return fmt.Errorf("--site-key is required (printed by presage serve or presage org create)")
	}
	if *origin == "" {
		u, err := url.Parse(*target)
		if err != nil {
			return fmt.Errorf("--url: %w", err)
		}
		*origin = u.Scheme + "://" + u.Host
	}
	rep, err := loadgen.Run(ctx, loadgen.Config{
		URL:         *target,
		SiteKey:     *siteKey,
		Origin:      *origin,
		Concurrency: *concurrency,
		BatchSize:   *batch,
		Duration:    *duration,
		Visitors:    *visitors,
		Retry:       *retry,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep.String())
	return nil
}
