package sqlite

import (
	"context"
	"fmt"

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

// list runs query (which must end in "LIMIT ?") for one item more than the
// page holds: that extra item only tells whether more follow.
func list[T any](ctx context.Context, db *DB, what, query string, args []any, page presage.Page,
	scan func(scanner) (T, error)) ([]T, bool, error) {
	limit := limitOf(page)
	rows, err := db.read.QueryContext(ctx, query, append(args, limit+1)...)
	items, err := scanAll(rows, err, scan)
	if err != nil {
		return nil, false, fmt.Errorf("list %s: %w", what, err)
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}
