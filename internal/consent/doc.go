// Package consent owns the lawful basis of processing: each organization's
// purposes and the basis it chose for each, versioned consent notices, the
// append-only, hash-chained consent ledger (grants, denials, withdrawals,
// expiries and browser signals), the per-subject state derived from it,
// signed consent receipts, and the checks the collector and the engagement
// rules call before processing. A ledger record is never updated or deleted
// by this package.
package consent
