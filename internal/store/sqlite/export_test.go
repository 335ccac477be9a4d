package sqlite

// Unprepared returns how many commit statements db prepared inside their
// transaction (prepare should make them all ahead).
func Unprepared(db *DB) int64 { return db.unprepared.Load() }
