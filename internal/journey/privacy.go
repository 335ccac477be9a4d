package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// eraseBatch bounds the events one erasure transaction deletes, so erasing
// a visitor with a hundred thousand events never holds the write lock long.
const eraseBatch = 5000

// exportPage is how many rows an export reads at a time.
const exportPage = 1000

// holderStore is what the journey's privacy holder reads and writes.
type holderStore interface {
	Store
	SubjectStore
}

// privacyHolder is the journey's privacy.Holder: customers with their
// traits and blind indexes, visitors, sessions and events.
type privacyHolder struct {
	store holderStore
	idx   privacy.Indexer
	now   func() time.Time
}

// NewPrivacyHolder returns the journey's privacy holder, named "journey".
// idx computes the blind indexes rectification moves; now stamps rectified
// customers.
func NewPrivacyHolder(store interface {
	Store
	SubjectStore
}, idx privacy.Indexer, now func() time.Time) privacy.Holder {
	if now == nil {
		now = time.Now
	}
	return &privacyHolder{store: store, idx: idx, now: now}
}

// Name implements privacy.Holder.
func (h *privacyHolder) Name() string { return "journey" }

// Tables implements privacy.Holder.
//
// visitor_keys (which data keys sealed a visitor's values) is erased with
// the visitors; it is not exported or counted, as it holds key ids, which
// tell the subject nothing, and the erasure's key shredding removes it
// first (sealed.Shredder).
func (h *privacyHolder) Tables() []string {
	return []string{"customers", "customer_identifiers", "customer_lookups", "visitors", "sessions", "events", "visitor_keys"}
}

// journeyKeys are the counts the journey reports; predictions and
// achievements are the prediction holder's.
var journeyKeys = []string{"customers", "identifiers", "lookups", "visitors", "sessions", "events"}

// Count implements privacy.Holder.
func (h *privacyHolder) Count(ctx context.Context, s privacy.Subject) (privacy.Counts, error) {
	all, err := h.store.CountSubject(ctx, s.OrgID, s.CustomerIDs, s.VisitorIDs)
	if err != nil {
		return nil, fmt.Errorf("count journey: %w", err)
	}
	out := privacy.Counts{}
	for _, k := range journeyKeys {
		out[k] = all[k]
	}
	return out, nil
}

// Erase implements privacy.Holder: batches of events first, then the rest,
// until nothing is left.
func (h *privacyHolder) Erase(ctx context.Context, s privacy.Subject) (privacy.Counts, error) {
	out := privacy.Counts{}
	for _, k := range journeyKeys {
		out[k] = 0
	}
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		e, more, err := h.store.EraseSubject(ctx, s.OrgID, s.CustomerIDs, s.VisitorIDs, eraseBatch)
		if err != nil {
			return out, fmt.Errorf("erase journey: %w", err)
		}
		out.Add(privacy.Counts{"events": e.Events, "sessions": e.Sessions, "visitors": e.Visitors,
			"customers": e.Customers, "identifiers": e.Identifiers, "lookups": e.Lookups})
		if !more {
			return out, nil
		}
	}
}

// Export implements privacy.Holder.
func (h *privacyHolder) Export(ctx context.Context, s privacy.Subject) ([]privacy.Section, error) {
	customers, err := h.exportCustomers(ctx, s)
	if err != nil {
		return nil, err
	}
	kinds, err := h.store.IndexKinds(ctx, s.OrgID, s.CustomerIDs)
	if err != nil {
		return nil, fmt.Errorf("export identifiers: %w", err)
	}
	visitors := []visitorView{}
	sessions := []sessionView{}
	events := []eventView{}
	for _, id := range s.VisitorIDs {
		v, err := h.store.GetVisitor(ctx, s.OrgID, id)
		if presage.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("export visitor: %w", err)
		}
		visitors = append(visitors, visitorOf(v))
		err = h.eachSession(ctx, s.OrgID, id, func(ss []presage.Session) error {
			for _, x := range ss {
				sessions = append(sessions, sessionOf(x))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = h.eachEvents(ctx, s.OrgID, id, func(es []presage.Event) error {
			for _, e := range es {
				events = append(events, eventOf(e))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if kinds == nil {
		kinds = []IndexKind{}
	}
	return []privacy.Section{
		{Name: "customers.json", About: "The customer records identify linked you to: the traits you were identified with " +
			"(such as your email address or name) and the ids of your devices (visitors).", Data: customers},
		{Name: "identifiers.json", About: "Which kinds of identifying value (email, phone, name, address, external id) " +
			"your customer record can be found by, and how many of each. They are stored only as keyed hashes, so the " +
			"values themselves are not in this file: they are in customers.json.", Data: kinds},
		{Name: "visitors.json", About: "Each browser or device you used, with when it was first and last seen.", Data: visitors},
		{Name: "sessions.json", About: "Each visit: when it started and ended, the page you arrived on, where you came " +
			"from, the device, browser and system, the shortened network address and the time zone and language.", Data: sessions},
		{Name: "events.json", About: "Everything recorded during your visits (pages viewed, searches, forms, custom " +
			"events), in the order it was recorded.", Data: events},
	}, nil
}

// exportCustomers reads the subject's customers with their visitors.
func (h *privacyHolder) exportCustomers(ctx context.Context, s privacy.Subject) ([]customerView, error) {
	out := []customerView{}
	for _, id := range s.CustomerIDs {
		c, err := h.store.GetCustomer(ctx, s.OrgID, id)
		if presage.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("export customer: %w", err)
		}
		view := customerView{ID: c.ID, Traits: c.Traits, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, VisitorIDs: []string{}}
		p := presage.Page{Limit: exportPage}
		for {
			vs, more, err := h.store.ListVisitors(ctx, s.OrgID, VisitorFilter{CustomerID: id}, p)
			if err != nil {
				return nil, fmt.Errorf("export customer visitors: %w", err)
			}
			for _, v := range vs {
				view.VisitorIDs = append(view.VisitorIDs, v.ID)
			}
			if !more || len(vs) == 0 {
				break
			}
			p.After = &presage.Cursor{T: vs[len(vs)-1].FirstSeenAt, ID: vs[len(vs)-1].ID}
		}
		out = append(out, view)
	}
	return out, nil
}

// eachSession calls fn with every page of the visitor's sessions.
func (h *privacyHolder) eachSession(ctx context.Context, orgID, visitorID string, fn func([]presage.Session) error) error {
	p := presage.Page{Limit: exportPage}
	for {
		ss, more, err := h.store.ListSessions(ctx, orgID, SessionFilter{VisitorID: visitorID}, p)
		if err != nil {
			return fmt.Errorf("list visitor sessions: %w", err)
		}
		if err := fn(ss); err != nil {
			return err
		}
		if !more || len(ss) == 0 {
			return nil
		}
		p.After = &presage.Cursor{T: ss[len(ss)-1].StartedAt, ID: ss[len(ss)-1].ID}
	}
}

// eachEvents calls fn with every page of the visitor's events, in seq order.
func (h *privacyHolder) eachEvents(ctx context.Context, orgID, visitorID string, fn func([]presage.Event) error) error {
	after := int64(0)
	for {
		es, err := h.store.VisitorEvents(ctx, orgID, visitorID, after, exportPage)
		if err != nil {
			return fmt.Errorf("visitor events: %w", err)
		}
		if len(es) == 0 {
			return nil
		}
		if err := fn(es); err != nil {
			return err
		}
		after = es[len(es)-1].Seq
	}
}

// The views of the export bundle: the subject reads them, so they use the
// API's field names.

type customerView struct {
	ID         string          `json:"id"`
	Traits     json.RawMessage `json:"traits"`
	CreatedAt  time.Time       `json:"createdAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	VisitorIDs []string        `json:"visitorIds"`
}

type visitorView struct {
	ID           string    `json:"id"`
	CustomerID   string    `json:"customerId,omitempty"`
	FirstSeenAt  time.Time `json:"firstSeenAt"`
	LastSeenAt   time.Time `json:"lastSeenAt"`
	SessionCount int       `json:"sessionCount"`
}

func visitorOf(v presage.Visitor) visitorView {
	return visitorView{ID: v.ID, CustomerID: v.CustomerID, FirstSeenAt: v.FirstSeenAt, LastSeenAt: v.LastSeenAt,
		SessionCount: v.SessionCount}
}

type sessionView struct {
	ID          string             `json:"id"`
	VisitorID   string             `json:"visitorId"`
	StartedAt   time.Time          `json:"startedAt"`
	LastEventAt time.Time          `json:"lastEventAt"`
	EventCount  int                `json:"eventCount"`
	LandingURL  string             `json:"landingUrl"`
	Referrer    string             `json:"referrer"`
	Context     presage.Enrichment `json:"context"`
	IPPrefix    string             `json:"ipPrefix"`
	TimeZone    string             `json:"timeZone"`
	Language    string             `json:"language"`
}

func sessionOf(s presage.Session) sessionView {
	return sessionView{ID: s.ID, VisitorID: s.VisitorID, StartedAt: s.StartedAt, LastEventAt: s.LastEventAt,
		EventCount: s.EventCount, LandingURL: s.LandingURL, Referrer: s.Referrer, Context: s.Context,
		IPPrefix: s.IPPrefix, TimeZone: s.TimeZone, Language: s.Language}
}

type eventView struct {
	ID         string             `json:"id"`
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId"`
	Type       presage.EventType  `json:"type"`
	Name       string             `json:"name,omitempty"`
	OccurredAt time.Time          `json:"occurredAt"`
	ReceivedAt time.Time          `json:"receivedAt"`
	URL        string             `json:"url,omitempty"`
	Title      string             `json:"title,omitempty"`
	Referrer   string             `json:"referrer,omitempty"`
	Attributes json.RawMessage    `json:"attributes,omitempty"`
	Context    presage.Enrichment `json:"context"`
}

func eventOf(e presage.Event) eventView {
	return eventView{ID: e.ID, SessionID: e.SessionID, VisitorID: e.VisitorID, Type: e.Type, Name: e.Name,
		OccurredAt: e.OccurredAt, ReceivedAt: e.ReceivedAt, URL: e.URL, Title: e.Title, Referrer: e.Referrer,
		Attributes: e.Attributes, Context: e.Context}
}
