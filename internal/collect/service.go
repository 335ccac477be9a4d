package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Tenants tells the collector whose events a request carries.
type Tenants interface {
	// AuthenticateSite resolves the public site key (or organization id) the
	// tracker sends and checks the request's Origin (origin required: a
	// tracker always runs on a page). Its errors are the caller's answer.
	AuthenticateSite(ctx context.Context, siteKey, origin string, requireOrigin bool) (presage.Organization, error)
	// Organization returns the organization of the principal in ctx.
	Organization(ctx context.Context) (presage.Organization, error)
}

// ServiceOptions configure a Service; zero fields take the defaults.
type ServiceOptions struct {
	Now     func() time.Time           // default time.Now
	NewID   func(prefix string) string // default presage.NewID
	Metrics *Metrics                   // may be nil
	// Gate, when set, must admit a visitor before its events are stored.
	Gate Gate
	// Scorer, when set, scores each write before it commits.
	Scorer Scorer
	// Logger reports scoring failures (which do not fail the request).
	Logger *slog.Logger
	// SessionTimeout is the idle time after which a session has ended
	// (default presage.DefaultSessionTimeout): each batch stored for an
	// open session moves its presage.Session.EndsAt to this long after it
	// was received.
	SessionTimeout time.Duration
}

// Service accepts event batches: it decodes, authorizes, enriches and
// commits them.
type Service struct {
	tenants   Tenants
	committer *Committer
	now       func() time.Time
	newID     func(prefix string) string
	metrics   *Metrics
	gate      Gate
	scorer    Scorer
	logger    *slog.Logger
	timeout   time.Duration
}

// SiteInput is a tracker request to the public endpoint.
type SiteInput struct {
	Body      []byte
	Origin    string // the request's Origin header
	UserAgent string
	IP        netip.Addr // the client address; only its truncated prefix is kept
	Signals   presage.PrivacySignals
}

// ServerInput is a server-side request; its caller is the principal in the
// context (a secret key with the write scope).
type ServerInput struct {
	Body      []byte
	UserAgent string
	IP        netip.Addr // the client address; only its truncated prefix is kept
}

// NewService returns a Service resolving organizations with tenants and
// committing through committer.
func NewService(tenants Tenants, committer *Committer, opt ServiceOptions) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = presage.NewID
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.SessionTimeout <= 0 {
		opt.SessionTimeout = presage.DefaultSessionTimeout
	}
	return &Service{tenants: tenants, committer: committer, now: opt.Now, newID: opt.NewID, metrics: opt.Metrics,
		gate: opt.Gate, scorer: opt.Scorer, logger: opt.Logger, timeout: opt.SessionTimeout}
}

// Reject counts a request the transport refused before reaching the service
// (e.g. a body over the size limit) in presage_events_rejected_total.
func (s *Service) Reject(err error) { s.metrics.reject(err) }

// CollectFromSite accepts a tracker batch: the body must name a site key
// (unknown: CodeUnauthorized) and the Origin must be one of the
// organization's allowed origins (else CodeForbidden). It returns once the
// batch is durably stored.
func (s *Service) CollectFromSite(ctx context.Context, in SiteInput) (CommitResult, error) {
	out, err := s.collectFromSite(ctx, in)
	s.metrics.reject(err)
	return out, err
}

func (s *Service) collectFromSite(ctx context.Context, in SiteInput) (CommitResult, error) {
	req, err := Decode(in.Body, s.now(), true)
	if err != nil {
		return CommitResult{}, err
	}
	org, err := s.tenants.AuthenticateSite(ctx, req.SiteKey, in.Origin, true)
	if err != nil {
		return CommitResult{}, err
	}
	return s.accept(ctx, org, req, in.UserAgent, in.IP, in.Signals)
}

// CollectFromServer accepts a server-side batch for the caller's organization
// (write scope). It returns once the batch is durably stored.
func (s *Service) CollectFromServer(ctx context.Context, in ServerInput) (CommitResult, error) {
	out, err := s.collectFromServer(ctx, in)
	s.metrics.reject(err)
	return out, err
}

func (s *Service) collectFromServer(ctx context.Context, in ServerInput) (CommitResult, error) {
	if _, err := presage.Authorize(ctx, presage.ScopeWrite); err != nil {
		return CommitResult{}, err
	}
	req, err := Decode(in.Body, s.now(), false)
	if err != nil {
		return CommitResult{}, err
	}
	org, err := s.tenants.Organization(ctx)
	switch {
	case presage.IsNotFound(err):
		return CommitResult{}, presage.Errorf(presage.CodeUnauthorized, "unknown organization")
	case err != nil:
		return CommitResult{}, fmt.Errorf("get organization: %w", err)
	}
	return s.accept(ctx, org, req, in.UserAgent, in.IP, presage.PrivacySignals{})
}

// accept enriches req into a Write for org and commits it.
func (s *Service) accept(ctx context.Context, org presage.Organization, req *Request, userAgent string, ip netip.Addr, sig presage.PrivacySignals) (CommitResult, error) {
	prefix := ipPrefix(ip)
	if s.gate != nil {
		if err := s.gate.Admit(ctx, org, req.VisitorID, sig, prefix, userAgent); err != nil {
			return CommitResult{}, err
		}
	}
	w, err := s.buildWrite(org, req, Enrich(req, userAgent), prefix)
	if err != nil {
		return CommitResult{}, err
	}
	if err := s.dropErasedIdentities(ctx, org, &w); err != nil {
		return CommitResult{}, err
	}
	done := s.score(ctx, &w)
	out, err := s.committer.Submit(ctx, w)
	done(err == nil)
	if err != nil {
		return CommitResult{}, fmt.Errorf("commit batch: %w", err)
	}
	return out, nil
}

// score lets the scorer add predictions to w. Scoring is best effort: a
// failure is logged and counted, and the events commit unscored.
func (s *Service) score(ctx context.Context, w *Write) func(bool) {
	if s.scorer == nil {
		return func(bool) {}
	}
	done, err := s.scorer.Score(ctx, w)
	if err != nil {
		s.metrics.scoreFailed()
		s.logger.WarnContext(ctx, "scoring failed; events stored unscored", "org", w.OrgID, "err", err)
		w.Predictions, w.Achievements = nil, nil
		if done == nil {
			return func(bool) {}
		}
	}
	return done
}

// dropErasedIdentities removes the identifications of erased people: the
// events stay (the visitor is admitted), but they are not linked to a
// customer and no trait is stored again.
func (s *Service) dropErasedIdentities(ctx context.Context, org presage.Organization, w *Write) error {
	ig, ok := s.gate.(IdentityGate)
	if !ok || len(w.Identifications) == 0 {
		return nil
	}
	kept := w.Identifications[:0]
	for _, id := range w.Identifications {
		erased, err := ig.ErasedIdentity(ctx, org, id.Identifiers)
		if err != nil {
			return fmt.Errorf("tombstone check: %w", err)
		}
		if !erased {
			kept = append(kept, id)
		}
	}
	w.Identifications = kept
	return nil
}

// buildWrite turns a validated request into what the store applies. The
// session's landing data and enrichment come from its earliest event.
func (s *Service) buildWrite(org presage.Organization, req *Request, enr []presage.Enrichment, prefix string) (Write, error) {
	w := Write{OrgID: org.ID, Events: make([]presage.Event, len(req.Events))}
	first, last := 0, 0
	for i, e := range req.Events {
		attrs := e.Attributes
		if attrs == nil {
			attrs = json.RawMessage("{}")
		}
		w.Events[i] = presage.Event{OrgID: org.ID, ID: e.ID, SessionID: req.SessionID, VisitorID: req.VisitorID,
			Type: e.Type, Name: e.Name, OccurredAt: e.OccurredAt, ReceivedAt: req.ReceivedAt, URL: e.URL,
			Title: e.Title, Referrer: e.Referrer, Attributes: attrs, Context: enr[i]}
		if e.OccurredAt.Before(req.Events[first].OccurredAt) {
			first = i
		}
		if e.OccurredAt.After(req.Events[last].OccurredAt) {
			last = i
		}
		if e.Type != presage.EventIdentify {
			continue
		}
		if len(org.IdentitySecret) == 0 {
			return Write{}, &presage.Error{Code: presage.CodeInternal, Message: "identify is not available",
				Err: fmt.Errorf("organization %s has no identity secret", org.ID)}
		}
		w.Identifications = append(w.Identifications, Identification{
			VisitorID:     req.VisitorID,
			Identifiers:   Identifiers(org.IdentitySecret, org.PhoneRegion, e.Identity),
			Lookups:       Lookups(org.IdentitySecret, org.PhoneRegion, e.Traits),
			Traits:        e.Traits,
			At:            e.OccurredAt,
			NewCustomerID: s.newID("cus"),
		})
	}
	start, end := req.Events[first].OccurredAt, req.Events[last].OccurredAt
	landing := req.Events[first].URL
	for i := 0; landing == "" && i < len(req.Events); i++ {
		landing = req.Events[i].URL
	}
	w.Visitor = presage.Visitor{OrgID: org.ID, ID: req.VisitorID, FirstSeenAt: start, LastSeenAt: end}
	w.Session = presage.Session{OrgID: org.ID, ID: req.SessionID, VisitorID: req.VisitorID, StartedAt: start,
		LastEventAt: end, ReceivedAt: req.ReceivedAt, EndsAt: req.ReceivedAt.Add(s.timeout),
		LandingURL: landing, Referrer: req.Events[first].Referrer, Context: enr[first],
		IPPrefix: prefix, TimeZone: req.Context.TimeZone, Language: req.Context.Language}
	return w, nil
}
