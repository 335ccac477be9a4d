package presage

import "time"

// StoredTime returns t as every storage engine keeps a timestamp: in UTC,
// truncated to the millisecond. Values compared with what a store returns
// (dedupe, tests, cursors) go through it first, so both engines agree.
func StoredTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
