// Package storetest is the one contract suite every storage engine must pass
// (Run), plus helpers other tests share: a throwaway PostgreSQL database
// (PostgresURL), a SQLite path (SQLitePath) and realistic generated writes
// (Writes, BenchmarkCommitWrites). It is imported only by tests.
package storetest
