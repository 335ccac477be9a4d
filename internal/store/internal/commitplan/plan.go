// Package commitplan turns a group of collect.Writes into the rows a storage
// engine inserts or upserts, and turns the engine's answers back into
// CommitResults and event Seqs. It holds the engine-neutral part of CommitWrites so
// both engines count, merge and order exactly alike; it never does I/O.
package commitplan

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

// Key identifies a row of an organization.
type Key struct{ OrgID, ID string }

// EventRow is one event to insert, in client order within its write.
type EventRow struct {
	Write, Index int // position in the writes handed to New
	Key          Key
	SessionID    string
	VisitorID    string
	Type         string
	Name         string
	OccurredAt   time.Time // UTC, millisecond precision
	ReceivedAt   time.Time
	URL          string
	Title        string
	Referrer     string
	Attributes   string // JSON object text, "" when absent
	Context      string // JSON of presage.Enrichment
}

// SessionRow is one session to upsert: the landing fields of its first write,
// the earliest start and latest event time of all writes, and how many of its
// events were stored (known after Resolve).
type SessionRow struct {
	presage.Session
	UTM    string // JSON of Context.UTM
	Stored int
	New    bool // set by Created
}

// VisitorRow is one visitor to upsert, with how many of its sessions this
// commit created (known after Created).
type VisitorRow struct {
	OrgID       string
	ID          string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	NewSessions int
}

// Plan is the rows of one CommitWrites call.
type Plan struct {
	Events   []EventRow
	Sessions []*SessionRow // sorted by (OrgID, ID): a stable lock order
	Visitors []*VisitorRow // sorted by (OrgID, ID)
	// Predictions has one row per (OrgID, SessionID, OutcomeID), sorted so.
	Predictions []*PredictionRow
	// Achievements has the first of each (OrgID, OutcomeID, SessionID),
	// sorted so; CustomerID is empty.
	Achievements []*presage.Achievement
	// VisitorKeys are the writes' records of which data keys seal which
	// visitors' values, in write order (the engines insert them unless
	// stored).
	VisitorKeys []VisitorKeyRow

	writes       []collect.Write
	outcomes     []collect.CommitResult
	seqs         [][]int64
	writeSession []*SessionRow
	visitors     map[Key]*VisitorRow
}

// VisitorKeyRow is a collect.VisitorKey of an organization.
type VisitorKeyRow struct {
	OrgID string
	collect.VisitorKey
}

// New plans writes. It fails on a write missing an organization, visitor,
// session or event id (the collector never hands those over).
func New(writes []collect.Write) (*Plan, error) {
	p := &Plan{
		writes:       writes,
		outcomes:     make([]collect.CommitResult, len(writes)),
		seqs:         make([][]int64, len(writes)),
		writeSession: make([]*SessionRow, len(writes)),
		visitors:     make(map[Key]*VisitorRow, len(writes)),
	}
	n := 0
	for _, w := range writes {
		n += len(w.Events)
	}
	p.Events = make([]EventRow, 0, n)
	sessions := make(map[Key]*SessionRow, len(writes))
	var predictions map[predictionKey]*PredictionRow
	var achievements map[achievementKey]*presage.Achievement
	for wi := range writes {
		w := &writes[wi]
		if err := checkWrite(w); err != nil {
			return nil, fmt.Errorf("write %d: %w", wi, err)
		}
		p.seqs[wi] = make([]int64, len(w.Events))
		for _, vk := range w.VisitorKeys {
			p.VisitorKeys = append(p.VisitorKeys, VisitorKeyRow{OrgID: w.OrgID, VisitorKey: vk})
		}
		s := p.addSession(sessions, w)
		p.writeSession[wi] = s
		p.addVisitor(w.OrgID, w.Visitor.ID, w.Visitor.FirstSeenAt, w.Visitor.LastSeenAt)
		if s.VisitorID != w.Visitor.ID {
			p.addVisitor(w.OrgID, s.VisitorID, s.StartedAt, s.LastEventAt)
		}
		if err := p.addEvents(wi, w, s); err != nil {
			return nil, fmt.Errorf("write %d: %w", wi, err)
		}
		if len(w.Predictions) > 0 {
			if predictions == nil {
				predictions = map[predictionKey]*PredictionRow{}
			}
			if err := addPredictions(predictions, w, s); err != nil {
				return nil, fmt.Errorf("write %d: %w", wi, err)
			}
		}
		if len(w.Achievements) > 0 {
			if achievements == nil {
				achievements = map[achievementKey]*presage.Achievement{}
			}
			if err := addAchievements(achievements, w, s); err != nil {
				return nil, fmt.Errorf("write %d: %w", wi, err)
			}
		}
	}
	p.Predictions = sortedPredictions(predictions)
	p.Achievements = sortedAchievements(achievements)
	for _, s := range sessions {
		p.Sessions = append(p.Sessions, s)
	}
	slices.SortFunc(p.Sessions, func(a, b *SessionRow) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.ID, b.ID))
	})
	for _, v := range p.visitors {
		p.Visitors = append(p.Visitors, v)
	}
	slices.SortFunc(p.Visitors, func(a, b *VisitorRow) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.ID, b.ID))
	})
	return p, nil
}

func checkWrite(w *collect.Write) error {
	switch {
	case w.OrgID == "":
		return errors.New("missing organization id")
	case w.Visitor.ID == "":
		return errors.New("missing visitor id")
	case w.Session.ID == "":
		return errors.New("missing session id")
	}
	for i, e := range w.Events {
		if e.ID == "" {
			return fmt.Errorf("event %d: missing id", i)
		}
	}
	return nil
}

func (p *Plan) addSession(sessions map[Key]*SessionRow, w *collect.Write) *SessionRow {
	in := w.Session
	k := Key{w.OrgID, in.ID}
	started, last := presage.StoredTime(in.StartedAt), presage.StoredTime(in.LastEventAt)
	received, ends := receivedAndEnd(w)
	if s, ok := sessions[k]; ok {
		if started.Before(s.StartedAt) {
			s.StartedAt = started
		}
		if last.After(s.LastEventAt) {
			s.LastEventAt = last
		}
		if received.After(s.ReceivedAt) {
			s.ReceivedAt = received
		}
		if ends.After(s.EndsAt) {
			s.EndsAt = ends
		}
		return s
	}
	s := &SessionRow{Session: in}
	s.OrgID = w.OrgID
	s.StartedAt, s.LastEventAt = started, last
	s.ReceivedAt, s.EndsAt = received, ends
	s.EventCount = 0
	if s.VisitorID == "" {
		s.VisitorID = w.Visitor.ID
	}
	s.UTM = mustJSON(s.Context.UTM)
	sessions[k] = s
	return s
}

// receivedAndEnd returns the write's Session.ReceivedAt and EndsAt, which
// the collector sets; a write that lacks them (made by hand, in tests) is
// received with its latest event and ends presage.DefaultSessionTimeout
// after.
func receivedAndEnd(w *collect.Write) (received, ends time.Time) {
	received, ends = w.Session.ReceivedAt, w.Session.EndsAt
	if received.IsZero() {
		for _, e := range w.Events {
			if e.ReceivedAt.After(received) {
				received = e.ReceivedAt
			}
		}
	}
	if received.IsZero() {
		received = w.Session.LastEventAt
	}
	if ends.IsZero() {
		ends = received.Add(presage.DefaultSessionTimeout)
	}
	return presage.StoredTime(received), presage.StoredTime(ends)
}

func (p *Plan) addVisitor(orgID, id string, first, last time.Time) {
	first, last = presage.StoredTime(first), presage.StoredTime(last)
	k := Key{orgID, id}
	if v, ok := p.visitors[k]; ok {
		if first.Before(v.FirstSeenAt) {
			v.FirstSeenAt = first
		}
		if last.After(v.LastSeenAt) {
			v.LastSeenAt = last
		}
		return
	}
	p.visitors[k] = &VisitorRow{OrgID: orgID, ID: id, FirstSeenAt: first, LastSeenAt: last}
}

func (p *Plan) addEvents(wi int, w *collect.Write, s *SessionRow) error {
	var lastCtx presage.Enrichment
	lastJSON := ""
	for i, e := range w.Events {
		sessionID, visitorID := e.SessionID, e.VisitorID
		if sessionID == "" {
			sessionID = s.ID
		}
		if visitorID == "" {
			visitorID = w.Visitor.ID
		}
		if lastJSON == "" || e.Context != lastCtx {
			lastCtx, lastJSON = e.Context, mustJSON(e.Context)
		}
		attrs := string(e.Attributes)
		if attrs != "" && !json.Valid(e.Attributes) {
			return fmt.Errorf("event %d: attributes are not valid JSON", i)
		}
		p.Events = append(p.Events, EventRow{
			Write: wi, Index: i,
			Key:       Key{w.OrgID, e.ID},
			SessionID: sessionID, VisitorID: visitorID,
			Type: string(e.Type), Name: e.Name,
			OccurredAt: presage.StoredTime(e.OccurredAt), ReceivedAt: presage.StoredTime(e.ReceivedAt),
			URL: e.URL, Title: e.Title, Referrer: e.Referrer,
			Attributes: attrs, Context: lastJSON,
		})
	}
	return nil
}

// Resolve records which events the engine stored: seqs maps the key of each
// newly inserted event to its Seq. The first event of the call with a key is
// the stored one; any other with the same key is a duplicate. Resolve adds the
// stored counts to the sessions.
func (p *Plan) Resolve(seqs map[Key]int64) {
	for _, e := range p.Events {
		seq, ok := seqs[e.Key]
		if !ok {
			p.outcomes[e.Write].Duplicates++
			continue
		}
		delete(seqs, e.Key)
		p.seqs[e.Write][e.Index] = seq
		p.outcomes[e.Write].Stored++
		p.writeSession[e.Write].Stored++
	}
}

// Created records that the engine inserted session s (it did not exist): its
// visitor gains one session.
func (p *Plan) Created(s *SessionRow) {
	s.New = true
	p.visitors[Key{s.OrgID, s.VisitorID}].NewSessions++
}

// Finish sets the Seq of every stored event of the planned writes and returns
// the outcomes. Engines call it once the transaction is durable.
func (p *Plan) Finish() []collect.CommitResult {
	for wi := range p.writes {
		for i, seq := range p.seqs[wi] {
			if seq != 0 {
				p.writes[wi].Events[i].Seq = seq
			}
		}
	}
	return p.outcomes
}

// Identification is one identification with the organization of its write,
// in commit order.
type Identification struct {
	OrgID string
	collect.Identification
}

// Identifications lists the identifications of all writes in order.
func (p *Plan) Identifications() []Identification {
	var out []Identification
	for _, w := range p.writes {
		for _, id := range w.Identifications {
			out = append(out, Identification{OrgID: w.OrgID, Identification: id})
		}
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("commitplan: marshal: " + err.Error()) // plain string structs always marshal
	}
	return string(b)
}
