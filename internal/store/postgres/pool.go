package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pool wraps pgxpool with the few calls the store makes. The URL may carry
// pgxpool's settings (pool_max_conns, pool_min_conns, …); the default size is
// max(4, number of CPUs).
type pool struct {
	p *pgxpool.Pool
}

func newPool(ctx context.Context, rawURL string) (*pool, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, err
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &pool{p: p}, nil
}

func (p *pool) acquire(ctx context.Context) (*pgxpool.Conn, error) { return p.p.Acquire(ctx) }

func (p *pool) release(c *pgxpool.Conn) { c.Release() }

func (p *pool) close() { p.p.Close() }

func (p *pool) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return p.p.Exec(ctx, sql, args...)
}

func (p *pool) query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.p.Query(ctx, sql, args...)
}

func (p *pool) queryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.p.QueryRow(ctx, sql, args...)
}

// tx runs fn in a transaction, committing if fn returns nil.
func (p *pool) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.p, fn)
}
