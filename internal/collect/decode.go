package collect

import (
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// maxMillis bounds accepted Unix-millisecond values (the end of year 9999),
// so that clock arithmetic cannot overflow.
const maxMillis = 253402300799999

// Decode parses and validates one batch (docs/collector-protocol.md) received
// at receivedAt. siteKeyRequired is true for the public tracker endpoint and
// false for server-side calls, which authenticate with a secret key (a siteKey
// they send anyway is read and ignored).
//
// A body over MaxBodyBytes yields a CodeTooLarge error; any other failure a
// CodeInvalid *presage.Error whose Violations name each failing field as a
// JSON pointer (up to 20 of them).
func Decode(body []byte, receivedAt time.Time, siteKeyRequired bool) (*Request, error) {
	if len(body) > MaxBodyBytes {
		return nil, tooLarge(MaxBodyBytes)
	}
	d := decoder{s: scanner{src: string(body)}, siteKeyRequired: siteKeyRequired}
	d.req.ReceivedAt = presage.StoredTime(receivedAt)
	d.request()
	if d.s.err != "" {
		d.v.add(d.loc.pointer(), d.loc.event, "is not valid JSON: "+d.s.err)
	}
	if err := d.v.err(); err != nil {
		return nil, err
	}
	return &d.req, nil
}

// decoder holds the state of one Decode call.
type decoder struct {
	s               scanner
	v               violations
	loc             location // where the scanner is, for syntax errors
	siteKeyRequired bool
	req             Request
	sentAt          int64
	hasSentAt       bool
	stamps          []stamp // ts of each event, validated once sentAt is known
	buf             []byte  // scratch space for normalized attributes
}

// stamp is the raw ts of one event.
type stamp struct {
	ms  int64
	set bool
}

// location is a position in the request, rendered as a JSON pointer only when
// a violation needs it.
type location struct {
	event int    // event index, -1 outside events
	field string // top-level or event field
	key   string // attribute, trait or context key, when keyed
	keyed bool
	sub   string // dataType or value of a typed attribute
}

// setKey points the location at key, which may be "".
func (l *location) setKey(key string) { l.key, l.keyed, l.sub = key, true, "" }

// clearKey points the location back at the field.
func (l *location) clearKey() { l.key, l.keyed, l.sub = "", false, "" }

func (l location) pointer() string {
	var b strings.Builder
	if l.event >= 0 {
		b.WriteString(eventPointer(l.event))
	}
	if l.field == "" {
		return b.String()
	}
	b.WriteByte('/')
	b.WriteString(escapePointer(l.field))
	if !l.keyed {
		return b.String()
	}
	b.WriteByte('/')
	b.WriteString(escapePointer(l.key))
	if l.sub != "" {
		b.WriteByte('/')
		b.WriteString(l.sub)
	}
	return b.String()
}

// at records a violation at the scanner's current location.
func (d *decoder) at(detail string) { d.v.add(d.loc.pointer(), d.loc.event, detail) }

// stop reports whether decoding should end: on a syntax error or when
// enough violations were collected.
func (d *decoder) stop() bool { return d.s.err != "" || d.v.full() }

const (
	seenSiteKey = 1 << iota
	seenVisitorID
	seenSessionID
	seenSentAt
	seenContext
	seenEvents
)

func (d *decoder) request() {
	d.loc = location{event: -1}
	if d.s.kind() != kindObject {
		if d.s.pos < len(d.s.src) {
			d.at("must be a JSON object")
			return
		}
		d.s.fail("unexpected end of JSON input")
		return
	}
	d.s.pos++
	var seen int
	for first := true; !d.stop() && d.s.next('}', &first); {
		d.loc = location{event: -1}
		key, ok := d.s.key()
		if !ok {
			return
		}
		d.loc.field = key
		var bit int
		switch key {
		case "siteKey":
			bit = seenSiteKey
		case "visitorId":
			bit = seenVisitorID
		case "sessionId":
			bit = seenSessionID
		case "sentAt":
			bit = seenSentAt
		case "context":
			bit = seenContext
		case "events":
			bit = seenEvents
		default:
			d.at("is not a known field")
			d.s.skip()
			continue
		}
		if seen&bit != 0 {
			d.at("is a duplicate key")
			d.s.skip()
			continue
		}
		seen |= bit
		switch bit {
		case seenSiteKey:
			d.req.SiteKey, _ = d.stringValue(MaxSiteKeyLen)
		case seenVisitorID:
			d.req.VisitorID = d.clientID()
		case seenSessionID:
			d.req.SessionID = d.clientID()
		case seenSentAt:
			d.sentAt, d.hasSentAt = d.millis()
		case seenContext:
			d.context()
		case seenEvents:
			d.events()
		}
	}
	if d.stop() {
		return
	}
	d.loc = location{event: -1}
	if !d.s.end() {
		return
	}
	if !d.siteKeyRequired {
		d.req.SiteKey = ""
	} else {
		d.required("/siteKey", -1, d.req.SiteKey != "")
	}
	d.required("/visitorId", -1, d.req.VisitorID != "")
	d.required("/sessionId", -1, d.req.SessionID != "")
	switch n := len(d.req.Events); {
	case d.req.Events == nil:
		d.required("/events", -1, false)
	case n == 0:
		d.v.add("/events", -1, "must hold at least 1 event")
	case n > MaxEvents:
		d.v.add("/events", -1, "holds "+strconv.Itoa(n)+" events, at most "+strconv.Itoa(MaxEvents)+" are allowed")
	}
	d.times()
}

// required records that field is required unless it is present or already
// has a violation.
func (d *decoder) required(field string, index int, present bool) {
	if !present && !d.violated(field) {
		d.v.add(field, index, "is required")
	}
}

// violated reports whether a violation names field already.
func (d *decoder) violated(field string) bool {
	for _, v := range d.v.list {
		if v.Field == field {
			return true
		}
	}
	return false
}

// violatedUnder reports whether a violation names field or a field inside it.
func (d *decoder) violatedUnder(field string) bool {
	for _, v := range d.v.list {
		if v.Field == field || strings.HasPrefix(v.Field, field+"/") {
			return true
		}
	}
	return false
}

// events reads the events array.
func (d *decoder) events() {
	switch d.s.kind() {
	case kindArray:
	case kindNull:
		d.s.null()
		return
	default:
		d.wrongType("must be an array of events")
		return
	}
	d.s.pos++
	d.req.Events = make([]RequestEvent, 0, 16)
	for first := true; !d.stop() && d.s.next(']', &first); {
		i := len(d.req.Events)
		d.req.Events = append(d.req.Events, RequestEvent{})
		d.stamps = append(d.stamps, stamp{})
		d.loc = location{event: i}
		d.event(i)
	}
}
