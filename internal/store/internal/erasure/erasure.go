// Package erasure names the rows erasing a visitor deletes, so both storage
// engines delete (and count) exactly the same ones. It never does I/O.
package erasure

import "github.com/presage-dev/presage/internal/journey"

// Table is a table whose rows of one visitor are those with its org_id and
// visitor_id; Count points at the field of an Erased counting them.
type Table struct {
	Name  string
	Count func(*journey.Erased) *int64
}

// VisitorTables lists, in deletion order, the tables holding a visitor's rows
// besides the visitor row itself.
var VisitorTables = []Table{
	{"events", func(e *journey.Erased) *int64 { return &e.Events }},
	{"sessions", func(e *journey.Erased) *int64 { return &e.Sessions }},
	{"predictions", func(e *journey.Erased) *int64 { return &e.Predictions }},
	{"achievements", func(e *journey.Erased) *int64 { return &e.Achievements }},
	{"visitor_keys", func(e *journey.Erased) *int64 { return &e.KeyRecords }},
}
