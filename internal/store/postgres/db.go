package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/presage-dev/presage/internal/presage"
)

// DB is a pool of connections to one PostgreSQL database.
type DB struct {
	pool *pool
}

// Open connects to the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	p, err := newPool(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := &DB{pool: p}
	if err := db.Ping(ctx); err != nil {
		p.close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return db, nil
}

// Engine returns "postgres".
func (db *DB) Engine() string { return "postgres" }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	defer db.pool.release(c)
	if err := c.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	db.pool.close()
	return nil
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func isUnique(err error) bool     { return pgCode(err) == "23505" }
func isForeignKey(err error) bool { return pgCode(err) == "23503" }

// isRetryable reports a transaction aborted only because of another one.
func isRetryable(err error) bool {
	c := pgCode(err)
	return c == "40P01" || c == "40001"
}

func conflict(msg string, err error) error {
	return &presage.Error{Code: presage.CodeConflict, Message: msg, Err: err}
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return presage.ErrNotFound
	}
	return err
}
