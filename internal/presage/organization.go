package presage

import "time"

// Organization is a controller: one tenant. Every row of journey data belongs to
// exactly one organization and no query crosses organizations.
type Organization struct {
	ID   string // "org_…", public
	Name string
	// SiteKey is the public key the tracker sends ("pk_…"). It is not a secret:
	// AllowedOrigins is what stops other sites from using it.
	SiteKey string
	// AllowedOrigins are the web origins ("https://shop.example") the tracker may
	// send events from. "*" allows any origin (demo and development only).
	AllowedOrigins []string
	// IdentitySecret keys the HMAC that turns identifiers (email, phone,
	// external id) into lookup hashes, so personal values never sit in an index.
	// Never exposed through an API.
	IdentitySecret []byte
	// PhoneRegion is the ISO 3166 region (e.g. "FR") phone numbers written
	// without a country code belong to, when identify normalizes them; ""
	// when the organization has none (such numbers are kept as digits).
	PhoneRegion string
	CreatedAt   time.Time
}

// APIKey is a secret server-API key. Only the SHA-256 of its secret is stored;
// the full key ("psk_<id>_<secret>") is shown once, at creation.
type APIKey struct {
	ID         string // "key_…", part of the full key, public
	OrgID      string
	Name       string
	Scopes     []Scope
	SecretHash []byte // SHA-256 of the secret part
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while active
}

// Active reports whether the key may still authenticate.
func (k APIKey) Active() bool { return k.RevokedAt.IsZero() }
