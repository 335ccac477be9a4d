package httpapi

import (
	"encoding/json"
	"time"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

// Views are the JSON shapes of docs/api.md; domain types never reach the
// wire directly, so renaming a field is a deliberate API change.

type apiTime time.Time

func (t apiTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

type listView[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor,omitempty"`
}

func listOf[S, T any](l journey.List[S], view func(S) T) listView[T] {
	out := listView[T]{Data: make([]T, 0, len(l.Items)), NextCursor: l.Next}
	for _, it := range l.Items {
		out.Data = append(out.Data, view(it))
	}
	return out
}

type sessionView struct {
	ID          string             `json:"id"`
	VisitorID   string             `json:"visitorId"`
	StartedAt   apiTime            `json:"startedAt"`
	LastEventAt apiTime            `json:"lastEventAt"`
	EventCount  int                `json:"eventCount"`
	LandingURL  string             `json:"landingUrl"`
	Referrer    string             `json:"referrer"`
	IPPrefix    string             `json:"ipPrefix"`
	TimeZone    string             `json:"timeZone"`
	Language    string             `json:"language"`
	Context     presage.Enrichment `json:"context"`
}

func sessionOf(s presage.Session) sessionView {
	return sessionView{ID: s.ID, VisitorID: s.VisitorID, StartedAt: apiTime(s.StartedAt), LastEventAt: apiTime(s.LastEventAt),
		EventCount: s.EventCount, LandingURL: s.LandingURL, Referrer: s.Referrer, IPPrefix: s.IPPrefix,
		TimeZone: s.TimeZone, Language: s.Language, Context: s.Context}
}

type eventView struct {
	ID         string             `json:"id"`
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId"`
	Seq        int64              `json:"seq"`
	Type       presage.EventType  `json:"type"`
	Name       string             `json:"name,omitempty"`
	OccurredAt apiTime            `json:"occurredAt"`
	ReceivedAt apiTime            `json:"receivedAt"`
	URL        string             `json:"url,omitempty"`
	Title      string             `json:"title,omitempty"`
	Referrer   string             `json:"referrer,omitempty"`
	Attributes json.RawMessage    `json:"attributes"`
	Context    presage.Enrichment `json:"context"`
}

func eventOf(e presage.Event) eventView {
	attrs := e.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage("{}")
	}
	return eventView{ID: e.ID, SessionID: e.SessionID, VisitorID: e.VisitorID, Seq: e.Seq, Type: e.Type, Name: e.Name,
		OccurredAt: apiTime(e.OccurredAt), ReceivedAt: apiTime(e.ReceivedAt), URL: e.URL, Title: e.Title,
		Referrer: e.Referrer, Attributes: attrs, Context: e.Context}
}

type visitorView struct {
	ID           string  `json:"id"`
	CustomerID   *string `json:"customerId"`
	FirstSeenAt  apiTime `json:"firstSeenAt"`
	LastSeenAt   apiTime `json:"lastSeenAt"`
	SessionCount int     `json:"sessionCount"`
}

func visitorOf(v presage.Visitor) visitorView {
	view := visitorView{ID: v.ID, FirstSeenAt: apiTime(v.FirstSeenAt), LastSeenAt: apiTime(v.LastSeenAt), SessionCount: v.SessionCount}
	if v.CustomerID != "" {
		view.CustomerID = &v.CustomerID
	}
	return view
}

type customerView struct {
	ID        string          `json:"id"`
	Traits    json.RawMessage `json:"traits"`
	CreatedAt apiTime         `json:"createdAt"`
	UpdatedAt apiTime         `json:"updatedAt"`
	Visitors  []string        `json:"visitors,omitempty"`
}

func customerOf(c presage.Customer) customerView {
	traits := c.Traits
	if len(traits) == 0 {
		traits = json.RawMessage("{}")
	}
	return customerView{ID: c.ID, Traits: traits, CreatedAt: apiTime(c.CreatedAt), UpdatedAt: apiTime(c.UpdatedAt)}
}

type organizationView struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	SiteKey        string   `json:"siteKey"`
	AllowedOrigins []string `json:"allowedOrigins"`
	CreatedAt      apiTime  `json:"createdAt"`
}

func organizationOf(o presage.Organization) organizationView {
	origins := o.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return organizationView{ID: o.ID, Name: o.Name, SiteKey: o.SiteKey, AllowedOrigins: origins, CreatedAt: apiTime(o.CreatedAt)}
}

type keyView struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Scopes     []presage.Scope `json:"scopes"`
	CreatedAt  apiTime         `json:"createdAt"`
	LastUsedAt apiTime         `json:"lastUsedAt"`
	RevokedAt  apiTime         `json:"revokedAt"`
	// Key is the full secret, present only in the answer that created it.
	Key string `json:"key,omitempty"`
}

func keyOf(k presage.APIKey) keyView {
	return keyView{ID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: apiTime(k.CreatedAt),
		LastUsedAt: apiTime(k.LastUsedAt), RevokedAt: apiTime(k.RevokedAt)}
}
