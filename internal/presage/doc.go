// Package presage holds the domain vocabulary every other package shares: the
// entities (organizations, keys, visitors, sessions, events, customers), the one
// error type with its codes, the caller's identity carried in a context, and
// identifiers. It imports nothing else from this module and never does I/O.
package presage
