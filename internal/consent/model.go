package consent

import (
	"encoding/json"
	"time"
)

// Basis is a lawful basis of GDPR Article 6(1).
type Basis string

const (
	BasisConsent            Basis = "consent"
	BasisLegitimateInterest Basis = "legitimate_interest"
	BasisContract           Basis = "contract"
	BasisLegalObligation    Basis = "legal_obligation"
	BasisVitalInterests     Basis = "vital_interests"
	BasisPublicTask         Basis = "public_task"
)

// The purposes every organization starts with. Analytics covers journey
// tracking and prediction; the other three are the engagement purposes.
const (
	PurposeAnalytics = "analytics"
	PurposeSupport   = "support"
	PurposeSales     = "sales"
	PurposeMarketing = "marketing"
)

// Purpose is one processing purpose of an organization and its chosen basis.
type Purpose struct {
	OrgID       string
	Name        string // [a-z][a-z0-9_]{0,39}
	Basis       Basis
	Description string
	UpdatedAt   time.Time
}

// Settings are an organization's consent policies.
type Settings struct {
	OrgID string
	// GPCObjects lists the purposes a Global Privacy Control signal objects to
	// (default sales and marketing).
	GPCObjects []string
	// HonourDNT treats DNT: 1 like a GPC signal when set.
	HonourDNT bool
	// TTL is how long a decision stands before the visitor is asked again
	// (default 13 months = 396 days).
	TTL time.Duration
	// EraseOnWithdrawal erases the subject's journey data when analytics
	// consent is withdrawn.
	EraseOnWithdrawal bool
	UpdatedAt         time.Time
}

// Notice is one immutable version of the text shown to visitors. Versions
// number an organization's notices 1, 2, 3…; the service picks the next one
// and the store refuses a version that exists.
type Notice struct {
	OrgID    string
	Version  int
	Language string // BCP 47, e.g. "en", "fr-FR"
	Title    string
	// Texts holds the plain-language text per purpose.
	Texts map[string]string
	// Bases is the lawful basis each text was written for, the purpose's
	// basis when the notice was published. A text stands only while its
	// purpose keeps that basis. Nil for notices stored before bases were
	// recorded: their texts were written for consent (see BasisOf).
	Bases map[string]Basis
	// SHA256 is the hex SHA-256 of the notice's canonical JSON (see Hash).
	SHA256    string
	CreatedAt time.Time
}

// BasisOf returns the basis n's text for purpose was written for.
func (n Notice) BasisOf(purpose string) Basis {
	if b, ok := n.Bases[purpose]; ok {
		return b
	}
	return BasisConsent
}

// Objectable reports whether a data subject may object to processing on b:
// Article 21(1) gives that right against legitimate interest and public
// task, not against consent (which is withdrawn) or contract, legal
// obligation and vital interests.
func (b Basis) Objectable() bool {
	return b == BasisLegitimateInterest || b == BasisPublicTask
}

// Decision is the state of one purpose for one subject.
type Decision string

const (
	Granted   Decision = "granted"
	Denied    Decision = "denied"
	Withdrawn Decision = "withdrawn"
	Expired   Decision = "expired"
	Objected  Decision = "objected" // a browser signal (GPC, DNT) or an objection to legitimate interest
)

// Action is what a ledger record records.
type Action string

const (
	ActionGrant    Action = "grant"
	ActionDeny     Action = "deny"
	ActionWithdraw Action = "withdraw"
	ActionExpire   Action = "expire"
	ActionSignal   Action = "signal"
	// ActionObject records an objection (Article 21) to processing on
	// legitimate interest or public task; its decisions are Objected.
	ActionObject Action = "object"
)

// Method is how a decision was collected.
type Method string

const (
	MethodBanner      Method = "banner"
	MethodPreferences Method = "preferences"
	MethodAPI         Method = "api"
	MethodImport      Method = "import"
	MethodGPC         Method = "gpc"
	MethodDNT         Method = "dnt"
	MethodCMP         Method = "consent_manager"
	MethodSystem      Method = "system" // expiry
)

// Record is one ledger entry. Seq numbers a chain per organization from 1
// without gaps; PrevHash is the Hash of record Seq-1 ("" for the first); Hash
// covers every other field (see HashRecord), so altering, inserting or
// deleting a record breaks the chain. The identifying fields (VisitorID,
// CustomerID, IPPrefix, UserAgent) are covered through SubjectCommitment,
// which an erasure keeps while it blanks them and the salt (see subject.go).
//
// Stores must give every field back exactly as appended, because
// verification recomputes HashRecord from them: RecordedAt at millisecond
// precision, Decisions with every purpose, and Artefact byte for byte (a
// text or bytea column — not PostgreSQL jsonb, which reorders keys and
// drops duplicates, so the hash would no longer match).
type Record struct {
	OrgID         string
	Seq           int64
	ID            string // "cr_…"
	VisitorID     string
	CustomerID    string // "" unless the visitor was identified
	Action        Action
	Decisions     map[string]Decision // purpose → decision
	NoticeVersion int                 // 0 for signals and expiries without a notice
	NoticeHash    string
	Method        Method
	RecordedAt    time.Time // server time, UTC, millisecond precision
	IPPrefix      string    // truncated, never the address
	UserAgent     string
	// Artefact is what a consent manager gave, stored as given:
	// {"tcf": "<TC string>", "gcm": {...}, "klaro": {...}}.
	Artefact json.RawMessage
	// SubjectSalt is the record's random salt (SaltBytes bytes, hex); ""
	// once the subject was erased.
	SubjectSalt string
	// SubjectCommitment is the hex SHA-256 of the salt and the identifying
	// fields (see CanonicalSubject); "" only in a version 1 record, written
	// before migration 0005 gave every record one.
	SubjectCommitment string
	PrevHash          string
	Hash              string
}

// State is the current decision of one subject for one purpose: a cache
// derived from the ledger (the record it comes from is RecordSeq).
type State struct {
	OrgID     string
	VisitorID string
	Purpose   string
	Decision  Decision
	RecordSeq int64
	DecidedAt time.Time
	ExpiresAt time.Time // zero for decisions that do not expire (signals)
}
