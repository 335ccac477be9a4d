package privacy

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/presage-dev/presage/internal/keys"
)

// Indexer computes the blind index of an identifying value for an
// organization: the keyed hash its identifiers and lookups are stored under.
type Indexer interface {
	// Index returns the hashes under which value of type t may be stored
	// (normalization can give more than one candidate, e.g. a phone number
	// with and without the organization's region), "" values dropped.
	Index(ctx context.Context, orgID string, t SearchType, value string) ([]string, error)
	// Tombstone returns the keyed hash a tombstone of kind and value is
	// stored under.
	Tombstone(ctx context.Context, orgID, kind, value string) (string, error)
}

// Options configure a Service.
type Options struct {
	Store   Store
	Holders []Holder
	Keys    *keys.Keyring
	Index   Indexer
	// Holder names this node in job leases.
	Node   string
	Now    func() time.Time
	Logger *slog.Logger
	// TombstoneWait is how long an erasure waits between writing its
	// tombstones and deleting rows, so that every node's collector sees the
	// tombstones first (their cache lives at most this long). Default 3 s.
	TombstoneWait time.Duration
}

// Service serves data subject requests (scope gdpr).
type Service struct {
	opt Options
}

// NewService returns a Service.
func NewService(opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.TombstoneWait == 0 {
		opt.TombstoneWait = 3 * time.Second
	}
	return &Service{opt: opt}
}

var errTODO = errors.New("privacy: not implemented yet")

// Match is one subject a search found: a customer with its visitors, or a
// visitor that never identified (CustomerID "").
type Match struct {
	CustomerID string
	VisitorIDs []string
	Counts     Counts
}

// Search finds every customer and visitor of the caller's organization that
// matches t, with counts of what is held about each. The search is audited
// (its type, never its value).
func (s *Service) Search(ctx context.Context, t Term) ([]Match, error) { return nil, errTODO }

// RequestInput is a new data subject request.
type RequestInput struct {
	Type         RequestType
	Terms        []Term
	Replacements []Replacement
	// Confirm must be set for an erasure.
	Confirm bool
}

// CreateRequest validates and stores a request; the job runner serves it.
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (Request, error) {
	return Request{}, errTODO
}

// Request returns one request of the caller's organization.
func (s *Service) Request(ctx context.Context, id string) (Request, error) { return Request{}, errTODO }

// RequestAudit returns the audit trail of one request, oldest first.
func (s *Service) RequestAudit(ctx context.Context, id string) ([]AuditEntry, error) {
	return nil, errTODO
}

// Requests returns page number (from 1) of size requests, newest first, and
// the total.
func (s *Service) Requests(ctx context.Context, size, number int) ([]Request, int, error) {
	return nil, 0, errTODO
}

// Extend moves a request's due date to until, at most two months after the
// original one (Art. 12(3)), recording reason (required).
func (s *Service) Extend(ctx context.Context, id string, until time.Time, reason string) (Request, error) {
	return Request{}, errTODO
}

// ExportBundle returns the JSON bundle of a completed export request.
func (s *Service) ExportBundle(ctx context.Context, id string) ([]byte, error) { return nil, errTODO }

// ExportPath returns the signed, expiring path of a completed export
// request's bundle ("/gdpr/exports/{id}?expires=…&sig=…"), "" when there is
// none. The transport prefixes its public base URL.
func (s *Service) ExportPath(r Request) string { return "" }

// SignedExport returns the bundle a signed path names, if the signature is
// valid and it has not expired; it needs no principal.
func (s *Service) SignedExport(ctx context.Context, id, expires, sig string) ([]byte, error) {
	return nil, errTODO
}

// Audit returns up to limit entries of the caller's organization's audit
// log after afterSeq, oldest first.
func (s *Service) Audit(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error) {
	return nil, errTODO
}

// Settings returns the caller's organization's privacy settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) { return Settings{}, errTODO }

// SetRetention changes the caller's organization's retention periods.
func (s *Service) SetRetention(ctx context.Context, r Retention) (Settings, error) {
	return Settings{}, errTODO
}

// Work serves at most one pending request (of any organization) and
// reports whether it found one.
func (s *Service) Work(ctx context.Context) (bool, error) { return false, errTODO }

// Run serves requests and runs the retention purge until ctx ends.
func (s *Service) Run(ctx context.Context) error { return errTODO }
