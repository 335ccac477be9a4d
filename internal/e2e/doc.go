// Package e2e holds end-to-end tests of the real presage binary: it is built
// once per test run, started and killed as separate processes on loopback,
// driven with internal/loadgen and checked only through the documented HTTP API
// and CLI. The package has no code of its own outside its tests.
//
// The tests need the go tool (to build ./cmd/presage) and, for the PostgreSQL
// cases, the server every package's tests use (storetest.PostgresURL:
// PRESAGE_TEST_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), on which they
// create and drop databases named presage_test_*. Without one they skip, unless
// the CI environment variable is set. PRESAGE_E2E_BINARY names a prebuilt
// binary to use instead of building one.
package e2e
