package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
)

// defaultLimit applies when a Page has no positive Limit.
const defaultLimit = 50

func limitOf(p presage.Page) int {
	if p.Limit <= 0 {
		return defaultLimit
	}
	return p.Limit
}

// query builds a statement with numbered placeholders.
type query struct {
	sql  string
	args []any
}

// arg appends v and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// list runs q with "LIMIT" one more than the page holds: that extra item only
// tells whether more follow.
func list[T any](ctx context.Context, db *DB, what string, q query, page presage.Page,
	scan func(pgx.Row) (T, error)) ([]T, bool, error) {
	limit := limitOf(page)
	sql := q.sql + " LIMIT " + q.arg(limit+1)
	rows, err := db.pool.query(ctx, sql, q.args...)
	items, err := scanAll(rows, err, scan)
	if err != nil {
		return nil, false, fmt.Errorf("list %s: %w", what, err)
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}
