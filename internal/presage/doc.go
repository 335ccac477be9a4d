// Package presage holds the domain vocabulary every other package shares: the
// entities (organizations, keys, visitors, sessions, events, customers), the one
// error type with its codes, the caller carried in a context and the one
// authorization rule, and identifiers.
//
// The rule: every service method that serves a caller takes the caller from
// its context and checks it first — Authorize for a principal (a secret key
// with scopes, or the Operator, as which the CLI and start-up act),
// AuthorizeOperator for what concerns every organization, AuthorizeSite for
// a page of the organization's website acting for one visitor. Transports
// only authenticate (turn a key into a principal or a site); they never pass
// an organization id that a service would trust. It imports nothing else from this module and never does I/O.
package presage
