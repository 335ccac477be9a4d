//go:build tools

package internal

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/evanw/esbuild/pkg/api"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
