// Package sqlite is the embedded storage engine: one SQLite file (WAL,
// synchronous=FULL) written through a single connection and read through a
// separate pool, so readers never wait behind the writer. It owns the SQLite
// schema and its migrations and implements tenant.Store, collect.Store,
// journey.Store, consent.Store, outcome.Store and predict.Store. It holds no
// state beyond the database file.
package sqlite
