// Package privacy owns the data subject's rights: finding everything
// Presage holds about a person, and serving requests to access (export),
// rectify and erase it as durable jobs with a legal due date, an audit trail
// and a result. It also enforces storage limitation (retention purges) and
// keeps the organization's append-only audit log.
//
// Every domain that keeps personal data implements Holder and is registered
// with the Service in one place (internal/app); a test enumerates the
// database's own catalogue and fails for a table no holder answers for.
package privacy
