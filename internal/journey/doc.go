// Package journey owns the read side of visitor journeys: customers, their
// visitors (devices), sessions and the ordered events of a session, always
// scoped to the caller's organization. Writes arrive through package collect.
package journey
