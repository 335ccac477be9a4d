package privacy

import "context"

// Holder is one domain that keeps personal data about subjects. Every
// holder is registered with the Service; a test fails when a table of the
// database is claimed by no holder and not listed in NoPersonalData.
type Holder interface {
	// Name names the holder in results and export bundles ("journey",
	// "consent", "prediction", …).
	Name() string
	// Tables lists the database tables whose rows about a subject this
	// holder finds, exports, rectifies and erases.
	Tables() []string
	// Count counts what the holder keeps about the subject, per kind.
	Count(ctx context.Context, s Subject) (Counts, error)
	// Export returns what the holder keeps about the subject as sections of
	// the export bundle.
	Export(ctx context.Context, s Subject) ([]Section, error)
	// Rectify replaces r.Existing by r.Updated in everything the holder
	// keeps about the subject and counts the values it changed. A holder
	// that keeps no value of r.Type changes nothing.
	Rectify(ctx context.Context, s Subject, r Replacement) (Counts, error)
	// Erase removes what the holder keeps about the subject and counts what
	// it removed. It is idempotent: after a crash it is called again and
	// removes what is left.
	Erase(ctx context.Context, s Subject) (Counts, error)
}

// Section is one part of an export bundle: a file of the bundle, with a
// plain-language description for its README.
type Section struct {
	Name  string // file name in the bundle, e.g. "events.json"
	About string // what it holds, for the README
	Data  any    // JSON-encodable
}

// NoPersonalData lists the tables that hold no data about a data subject,
// each with the reason. Every other table must be claimed by a Holder.
var NoPersonalData = map[string]string{
	"schema_migrations":    "schema versions",
	"organizations":        "the controller's own settings; its secrets are wrapped by the master key",
	"api_keys":             "the controller's API keys, stored as hashes",
	"consent_purposes":     "the controller's purposes and lawful bases",
	"consent_settings":     "the controller's consent settings",
	"consent_notices":      "the notice texts the controller published, shared by every visitor",
	"consent_heads":        "the head hash of each organization's ledger",
	"consent_signing_keys": "the controller's receipt-signing keys, wrapped by the master key",
	"outcomes":             "the controller's outcome definitions",
	"models":               "models learned over many sessions; they hold weights, not rows of a subject",
	"feature_settings":     "the controller's choice of prediction features: attribute names and URL patterns",
	"leases":               "which node runs which background job",
	"privacy_settings":     "the controller's retention settings",
	"audit_log":            "the controller's accountability log: request ids and counts, never a personal value",
	"erasure_tombstones":   "keyed hashes of erased identifiers, kept so late events are dropped; they reveal nothing without the organization's identity key",
}
