package app

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/presage-dev/presage/internal/privacy"
)

// catalogue reads, from the database's own catalogue (never a hand-kept
// list), every table of the journey database and its text-like columns.
func catalogue(t *testing.T, cfg Config) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	if cfg.DatabaseURL != "" {
		conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		scanCatalogue(t, out, rows.Next, rows.Scan, rows.Err)
		return out
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, "presage.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	scanCatalogue(t, out, rows.Next, rows.Scan, rows.Err)
	return out
}

// scanCatalogue adds each (table, column) row of a catalogue query to out.
func scanCatalogue(t *testing.T, out map[string][]string, next func() bool, scan func(...any) error, done func() error) {
	t.Helper()
	for next() {
		var table, column string
		if err := scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], column)
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
}

// TestEveryTableHasAPrivacyHolder fails when a table of the database is
// claimed by no privacy holder and not declared free of personal data: a
// store added without a holder is a failing test, not a silent gap.
func TestEveryTableHasAPrivacyHolder(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		claimed := map[string]string{}
		for _, table := range PrivacyTables {
			claimed[table] = "privacy"
		}
		for _, h := range privacyHolders(n.App.Storage, n.App.Consents, nil) {
			for _, table := range h.Tables() {
				if other, ok := claimed[table]; ok {
					t.Errorf("table %s is claimed by both %s and %s", table, other, h.Name())
				}
				claimed[table] = h.Name()
			}
		}
		tables := catalogue(t, cfg)
		var names []string
		for table := range tables {
			names = append(names, table)
		}
		sort.Strings(names)
		for _, table := range names {
			_, free := privacy.NoPersonalData[table]
			holder, ok := claimed[table]
			switch {
			case ok && free:
				t.Errorf("table %s is claimed by %s and also listed in privacy.NoPersonalData", table, holder)
			case !ok && !free:
				t.Errorf("table %s (columns %v) has no privacy holder: register one in privacyHolders or explain in privacy.NoPersonalData why it holds no personal data", table, tables[table])
			}
		}
		for table, holder := range claimed {
			if !slices.Contains(names, table) {
				t.Errorf("holder %s claims table %s, which the database does not have", holder, table)
			}
		}
	})
}
