package collect

import (
	"encoding/json"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Limits of docs/collector-protocol.md. Lengths count Unicode characters.
const (
	MaxBodyBytes     = 64 << 10 // whole request body
	MaxEvents        = 100      // events per request
	MaxAttributes    = 50       // keys per attributes or traits object
	MaxAttributeKey  = 64       // characters of an attribute or trait key
	MaxStringValue   = 1024     // characters of a string attribute or trait value
	MaxNameLen       = 128      // characters of an event name
	MaxURLLen        = 2048     // characters of an event URL or referrer
	MaxTitleLen      = 512      // characters of an event title
	MaxTimeZoneLen   = 64       // characters of context.tz
	MaxLanguageLen   = 35       // characters of context.lang
	MaxScreenLen     = 20       // characters of context.screen
	MaxSiteKeyLen    = 128      // characters of siteKey
	MaxPastSkew      = 7 * 24 * time.Hour
	MaxFutureSentAt  = 60 * time.Second // ts after sentAt
	MaxFutureNoClock = 10 * time.Minute // ts after the server time, without sentAt
)

// Request is one decoded and validated batch (docs/collector-protocol.md).
type Request struct {
	SiteKey   string // "" for server-side requests
	VisitorID string
	SessionID string
	// SentAt is the client's clock when it sent the request; zero if absent.
	SentAt time.Time
	// ReceivedAt is the server time of the request, UTC, millisecond precision.
	ReceivedAt time.Time
	Context    ClientContext
	Events     []RequestEvent
}

// ClientContext is what the browser reports about itself.
type ClientContext struct {
	TimeZone string // IANA name, e.g. "Europe/Paris"
	Language string // e.g. "fr-FR"
	Screen   string // e.g. "1920x1080"
}

// RequestEvent is one validated event of a request.
type RequestEvent struct {
	ID   string
	Type presage.EventType
	Name string
	// OccurredAt is the client time corrected for clock skew, UTC, millisecond
	// precision.
	OccurredAt time.Time
	URL        string
	Title      string
	Referrer   string
	// Attributes is the compact JSON object of the event's attributes, nil when
	// the event has none. Typed values keep their {"dataType":…,"value":…} form.
	Attributes json.RawMessage
	// Traits is the compact JSON object of an identify event's traits (nil on
	// other events); Identity holds its identifying traits.
	Traits   json.RawMessage
	Identity IdentityTraits
}

// IdentityTraits are the identifying traits of an identify event, as sent
// (not yet normalized); at least one is set on every identify event.
type IdentityTraits struct {
	CustomerID string // trait "customerId": the organization's own id of the person
	Email      string
	Phone      string
}
