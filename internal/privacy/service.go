package privacy

import (
	"context"
	"log/slog"
	"time"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/presage"
)

// Indexer computes the blind index of an identifying value for an
// organization: the keyed hash its identifiers and lookups are stored under.
type Indexer interface {
	// Index returns the hashes under which value of type t may be stored
	// (normalization can give more than one candidate, e.g. a phone number
	// read with and without the organization's region).
	Index(ctx context.Context, orgID string, t SearchType, value string) ([]string, error)
	// Tombstone returns the keyed hash a tombstone of kind and value is
	// stored under.
	Tombstone(ctx context.Context, orgID, kind, value string) (string, error)
}

// Purger removes what outlived an organization's retention periods.
type Purger interface {
	// PurgeExpired removes one batch of rows older than r allows at now and
	// returns what it removed, the visitors and customers it removed (whose
	// data keys are destroyed next), and whether rows remain.
	PurgeExpired(ctx context.Context, orgID string, r Retention, now time.Time) (removed Counts, gone Subject, more bool, err error)
}

// Shredder destroys the data keys of subjects and counts them.
type Shredder interface {
	Shred(ctx context.Context, orgID string, subjects []string) (int64, error)
}

// Options configure a Service.
type Options struct {
	Store   Store
	Holders []Holder
	Keys    *keys.Keyring
	// Shredder destroys subjects' data keys wherever they are recorded
	// (sealed.Shredder). Default: Keys, which knows keys by subject only.
	Shredder Shredder
	Index    Indexer
	Purger   Purger
	// Node names this node in job leases.
	Node   string
	Now    func() time.Time
	Logger *slog.Logger
	// TombstoneWait is how long an erasure waits between writing its
	// tombstones and deleting rows, so that every node's collector sees the
	// tombstones first (Tombstones caches them for at most TombstoneTTL).
	// Default 2 × TombstoneTTL.
	TombstoneWait time.Duration
	// LeaseTTL bounds how long a killed node's job stays claimed before
	// another node resumes it. Default 30 s; the lease is renewed while the
	// job works.
	LeaseTTL time.Duration
	// PollInterval is how often Run looks for new requests. Default 1 s.
	PollInterval time.Duration
	// PurgeInterval is how often Run enforces retention. Default 1 h.
	PurgeInterval time.Duration
	Metrics       *Metrics
}

// Service serves data subject requests (scope gdpr).
type Service struct {
	opt  Options
	wake chan struct{}
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
		opt.TombstoneWait = 2 * TombstoneTTL
	}
	if opt.Shredder == nil && opt.Keys != nil {
		opt.Shredder = opt.Keys
	}
	if opt.LeaseTTL == 0 {
		opt.LeaseTTL = 30 * time.Second
	}
	if opt.PollInterval == 0 {
		opt.PollInterval = time.Second
	}
	if opt.PurgeInterval == 0 {
		opt.PurgeInterval = time.Hour
	}
	if opt.Node == "" {
		opt.Node = presage.NewID("node")
	}
	return &Service{opt: opt, wake: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return presage.StoredTime(s.opt.Now()) }

// authorize admits callers holding the gdpr scope and returns their
// organization and who they are (the key id) for the audit log.
func authorize(ctx context.Context) (orgID, actor string, err error) {
	orgID, err = presage.Authorize(ctx, presage.ScopeGDPR)
	if err != nil {
		return "", "", err
	}
	p, _ := presage.PrincipalFrom(ctx)
	return orgID, p.KeyID, nil
}
