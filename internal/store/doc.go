// Package store picks a storage engine for a database URL. It owns the Engine
// interface — every domain store (tenant, collect, journey, consent, outcome,
// predict) plus the lifecycle of a database — and nothing else: the engines live in store/sqlite and
// store/postgres, their shared contract tests in store/storetest. It never
// migrates on its own; callers run Migrate.
package store
