package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Journey files (NDJSON): one JSON object per line, either an event in the
// field names of the collector protocol and the stored event, or a truth
// record. docs/prediction.md ("Simulator") documents the format; `presage
// simulate` writes it and `presage eval --journeys` reads it.

// JourneyTruth is a truth record: the true probability that a session
// achieves an outcome. It is never an event attribute, so it cannot reach
// the features.
type JourneyTruth struct {
	SessionID string  `json:"sessionId"`
	Outcome   string  `json:"outcome,omitempty"` // outcome id or name; "" means the first outcome evaluated
	P         float64 `json:"p"`
}

// journeyEventJSON is an event line as written.
type journeyEventJSON struct {
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId,omitempty"`
	ID         string             `json:"id,omitempty"`
	Type       presage.EventType  `json:"type"`
	Name       string             `json:"name,omitempty"`
	TS         time.Time          `json:"ts"`
	URL        string             `json:"url,omitempty"`
	Title      string             `json:"title,omitempty"`
	Referrer   string             `json:"referrer,omitempty"`
	Attributes json.RawMessage    `json:"attributes,omitempty"`
	Context    presage.Enrichment `json:"context"`
	TimeZone   string             `json:"timeZone,omitempty"`
}

// journeyLineJSON is any line as read: ts may be an RFC 3339 string or Unix
// milliseconds.
type journeyLineJSON struct {
	SessionID  string             `json:"sessionId"`
	VisitorID  string             `json:"visitorId"`
	ID         string             `json:"id"`
	Type       presage.EventType  `json:"type"`
	Name       string             `json:"name"`
	TS         json.RawMessage    `json:"ts"`
	URL        string             `json:"url"`
	Title      string             `json:"title"`
	Referrer   string             `json:"referrer"`
	Attributes json.RawMessage    `json:"attributes"`
	Context    presage.Enrichment `json:"context"`
	TimeZone   string             `json:"timeZone"`
	Truth      *JourneyTruth      `json:"truth"`
}

// JourneyLine is one parsed line: an event (with the session's time zone)
// or, when Truth is set, a truth record.
type JourneyLine struct {
	Event    presage.Event
	TimeZone string
	Truth    *JourneyTruth
}

// MaxJourneyLine is the longest line a journey file may hold.
const MaxJourneyLine = 4 << 20

// ParseJourneyLine parses one line of a journey file. An event needs
// sessionId, a known type and ts; attributes, when present, must be a JSON
// object. Its time is cut to milliseconds, as the store keeps it.
func ParseJourneyLine(line []byte) (JourneyLine, error) {
	var l journeyLineJSON
	if err := json.Unmarshal(line, &l); err != nil {
		return JourneyLine{}, err
	}
	if l.Truth != nil {
		t := *l.Truth
		switch {
		case l.SessionID != "" || l.Type != "" || len(l.TS) > 0:
			return JourneyLine{}, errors.New("a truth record cannot also be an event")
		case t.SessionID == "":
			return JourneyLine{}, errors.New("truth: sessionId is required")
		case !(t.P >= 0 && t.P <= 1):
			return JourneyLine{}, fmt.Errorf("truth: p %v is not within [0, 1]", t.P)
		}
		return JourneyLine{Truth: &t}, nil
	}
	if l.SessionID == "" {
		return JourneyLine{}, errors.New("sessionId is required")
	}
	if !slices.Contains(presage.EventTypes, l.Type) {
		return JourneyLine{}, fmt.Errorf("unknown event type %q", l.Type)
	}
	ts, err := parseJourneyTime(l.TS)
	if err != nil {
		return JourneyLine{}, fmt.Errorf("ts: %w", err)
	}
	attrs := bytes.TrimSpace(l.Attributes)
	switch {
	case len(attrs) == 0 || string(attrs) == "null":
		attrs = nil
	case attrs[0] != '{':
		return JourneyLine{}, errors.New("attributes must be a JSON object")
	default:
		attrs = slices.Clone(attrs)
	}
	return JourneyLine{TimeZone: l.TimeZone, Event: presage.Event{ID: l.ID, SessionID: l.SessionID,
		VisitorID: l.VisitorID, Type: l.Type, Name: l.Name, OccurredAt: ts, ReceivedAt: ts, URL: l.URL,
		Title: l.Title, Referrer: l.Referrer, Attributes: attrs, Context: l.Context}}, nil
}

// parseJourneyTime reads an RFC 3339 string or Unix milliseconds.
func parseJourneyTime(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, errors.New("required")
	}
	var t time.Time
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return t, err
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return t, err
		}
	} else {
		ms, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return t, fmt.Errorf("%s is neither an RFC 3339 string nor integer Unix milliseconds", raw)
		}
		if ms < -62135596800000 || ms > 253402300799999 {
			return t, fmt.Errorf("%d is out of range", ms)
		}
		t = time.UnixMilli(ms)
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Year() < 1 || t.Year() > 9999 {
		return t, fmt.Errorf("%s is out of range", raw)
	}
	return t, nil
}

// AppendJourneyEvent appends e as one NDJSON line (with its newline).
func AppendJourneyEvent(dst []byte, e presage.Event, timeZone string) ([]byte, error) {
	line := journeyEventJSON{SessionID: e.SessionID, VisitorID: e.VisitorID, ID: e.ID, Type: e.Type, Name: e.Name,
		TS: e.OccurredAt.UTC(), URL: e.URL, Title: e.Title, Referrer: e.Referrer, Attributes: e.Attributes,
		Context: e.Context, TimeZone: timeZone}
	if len(bytes.TrimSpace(line.Attributes)) == 0 {
		line.Attributes = nil
	}
	b, err := json.Marshal(line)
	if err != nil {
		return dst, err
	}
	return append(append(dst, b...), '\n'), nil
}

// AppendJourneyTruth appends a truth record as one NDJSON line.
func AppendJourneyTruth(dst []byte, t JourneyTruth) ([]byte, error) {
	b, err := json.Marshal(struct {
		Truth JourneyTruth `json:"truth"`
	}{t})
	if err != nil {
		return dst, err
	}
	return append(append(dst, b...), '\n'), nil
}

// JourneySession is one session of a journey file: its events in file
// order (the store's order) and the truth records about it.
type JourneySession struct {
	ID, VisitorID, TimeZone string
	Events                  []presage.Event
	Truth                   []JourneyTruth
	Start, End              time.Time // earliest and latest event time
	line                    int       // of its first event in the file
}

// JourneySource yields sessions in order of start time; io.EOF ends it.
type JourneySource interface {
	Next() (*JourneySession, error)
}

// JourneyReader reads a journey file whose events are grouped by session
// (a session's lines are contiguous, in the order they happened) and whose
// sessions are in order of start time (their earliest event). A truth
// record must come before the first event of the session after its own
// (anywhere before, or right after its session's events); a separate truth
// file can be read with ReadJourneyTruth and given to AddTruth.
type JourneyReader struct {
	sc    *bufio.Scanner
	line  int
	cur   *JourneySession
	done  map[string]struct{}
	truth map[string][]JourneyTruth
	prev  *JourneySession
	err   error
}

// NewJourneyReader reads journeys from r.
func NewJourneyReader(r io.Reader) *JourneyReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxJourneyLine)
	return &JourneyReader{sc: sc, done: map[string]struct{}{}, truth: map[string][]JourneyTruth{}}
}

// AddTruth registers truth records read elsewhere.
func (r *JourneyReader) AddTruth(ts []JourneyTruth) {
	for _, t := range ts {
		r.truth[t.SessionID] = append(r.truth[t.SessionID], t)
	}
}

// PendingTruth returns how many truth records matched no session so far.
func (r *JourneyReader) PendingTruth() int {
	n := 0
	for _, ts := range r.truth {
		n += len(ts)
	}
	return n
}

// Next returns the next complete session, io.EOF after the last one, or an
// error naming the offending line.
func (r *JourneyReader) Next() (*JourneySession, error) {
	if r.err != nil {
		return nil, r.err
	}
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		l, err := ParseJourneyLine(b)
		if err != nil {
			r.err = fmt.Errorf("line %d: %w", r.line, err)
			return nil, r.err
		}
		if l.Truth != nil {
			r.truth[l.Truth.SessionID] = append(r.truth[l.Truth.SessionID], *l.Truth)
			continue
		}
		e := l.Event
		if r.cur != nil && e.SessionID == r.cur.ID {
			r.cur.Events = append(r.cur.Events, e)
			r.cur.Start = minTime(r.cur.Start, e.OccurredAt)
			r.cur.End = maxTime(r.cur.End, e.OccurredAt)
			continue
		}
		if _, seen := r.done[e.SessionID]; seen {
			r.err = fmt.Errorf("line %d: session %s continues after other sessions: a journey file must keep each session's events together", r.line, e.SessionID)
			return nil, r.err
		}
		complete := r.cur
		r.cur = &JourneySession{ID: e.SessionID, VisitorID: e.VisitorID, TimeZone: l.TimeZone,
			Events: []presage.Event{e}, Start: e.OccurredAt, End: e.OccurredAt, line: r.line}
		if complete != nil {
			if err := r.finish(complete); err != nil {
				return nil, err
			}
			return complete, nil
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d: longer than %d bytes", r.line+1, MaxJourneyLine)
		}
		r.err = err
		return nil, err
	}
	if r.cur != nil {
		complete := r.cur
		r.cur = nil
		if err := r.finish(complete); err != nil {
			return nil, err
		}
		return complete, nil
	}
	r.err = io.EOF
	return nil, io.EOF
}

// finish checks a complete session's order and attaches its truth.
func (r *JourneyReader) finish(s *JourneySession) error {
	if r.prev != nil && s.Start.Before(r.prev.Start) {
		r.err = fmt.Errorf("line %d: session %s starts at %s, before session %s of line %d (%s): sessions must be in order of start time",
			s.line, s.ID, s.Start.Format(time.RFC3339Nano), r.prev.ID, r.prev.line, r.prev.Start.Format(time.RFC3339Nano))
		return r.err
	}
	r.done[s.ID] = struct{}{}
	if ts, ok := r.truth[s.ID]; ok {
		s.Truth = ts
		delete(r.truth, s.ID)
	}
	r.prev = &JourneySession{ID: s.ID, Start: s.Start, line: s.line}
	return nil
}

// ReadJourneyTruth reads a file of truth records (one per line, as written
// by presage simulate --truth).
func ReadJourneyTruth(rd io.Reader) ([]JourneyTruth, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), MaxJourneyLine)
	var out []JourneyTruth
	for n := 1; sc.Scan(); n++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		l, err := ParseJourneyLine(b)
		if err != nil {
			return nil, fmt.Errorf("truth line %d: %w", n, err)
		}
		if l.Truth == nil {
			return nil, fmt.Errorf("truth line %d: not a truth record", n)
		}
		out = append(out, *l.Truth)
	}
	return out, sc.Err()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
