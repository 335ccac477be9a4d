// Package outcome owns what an organization wants its visitors to reach or
// avoid: outcome definitions (validated, at most presage.MaxOutcomesPerOrg
// per organization), the matching that decides when an event achieves one,
// and the achievements recorded on sessions and customers.
package outcome
