// Package postgres is the shared storage engine for many stateless Presage
// nodes: one PostgreSQL database reached through a pgx pool. It owns the
// PostgreSQL schema and its migrations (serialized across nodes by an
// advisory lock) and implements tenant.Store, collect.Store, journey.Store,
// consent.Store, outcome.Store and predict.Store. It keeps no in-process
// state that could make two nodes disagree.
package postgres
