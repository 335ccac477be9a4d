// Package dburl reads the database URLs Presage accepts, so the journey
// store and the key store read them alike. It never does I/O.
package dburl

import "strings"

// IsPostgres reports whether u selects PostgreSQL (postgres:// or
// postgresql://).
func IsPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// SQLitePath strips the sqlite: or file: scheme and any query from u.
func SQLitePath(u string) string {
	for _, prefix := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if rest, ok := strings.CutPrefix(u, prefix); ok {
			u = rest
			break
		}
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
}
