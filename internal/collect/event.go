package collect

import (
	"net/url"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

const (
	seenID = 1 << iota
	seenType
	seenName
	seenTS
	seenURL
	seenTitle
	seenReferrer
	seenAttributes
	seenTraits
)

var eventFields = map[string]int{"id": seenID, "type": seenType, "name": seenName, "ts": seenTS, "url": seenURL,
	"title": seenTitle, "referrer": seenReferrer, "attributes": seenAttributes, "traits": seenTraits}

// event reads events[i].
func (d *decoder) event(i int) {
	if d.s.kind() != kindObject {
		d.wrongType("must be an object")
		return
	}
	d.s.pos++
	e := &d.req.Events[i]
	var seen int
	for first := true; !d.stop() && d.s.next('}', &first); {
		d.loc = location{event: i}
		key, ok := d.s.key()
		if !ok {
			return
		}
		d.loc.field = key
		bit := eventFields[key]
		switch {
		case bit == 0:
			d.at("is not a known field")
			d.s.skip()
			continue
		case seen&bit != 0:
			d.at("is a duplicate key")
			d.s.skip()
			continue
		}
		seen |= bit
		switch bit {
		case seenID:
			e.ID = d.clientID()
		case seenType:
			if v, ok := d.stringValue(MaxNameLen); ok {
				if !validEventType(v) {
					d.at("must be one of " + eventTypeList)
				} else {
					e.Type = presage.EventType(v)
				}
			}
		case seenName:
			e.Name, _ = d.stringValue(MaxNameLen)
		case seenTS:
			d.stamps[i].ms, d.stamps[i].set = d.millis()
		case seenURL:
			if v, ok := d.stringValue(MaxURLLen); ok && v != "" {
				if !absoluteHTTPURL(v) {
					d.at("must be an absolute http or https URL")
				} else {
					e.URL = v
				}
			}
		case seenTitle:
			e.Title, _ = d.stringValue(MaxTitleLen)
		case seenReferrer:
			e.Referrer, _ = d.stringValue(MaxURLLen)
		case seenAttributes:
			e.Attributes = d.attributes(false, nil)
		case seenTraits:
			e.Traits = d.attributes(true, &e.Identity)
		}
	}
	if !d.stop() {
		d.checkEvent(i, e)
	}
}

// checkEvent applies the rules that depend on several fields of an event.
func (d *decoder) checkEvent(i int, e *RequestEvent) {
	ptr := eventPointer(i)
	d.required(ptr+"/id", i, e.ID != "")
	d.required(ptr+"/type", i, e.Type != "")
	if e.Type == presage.EventCustom && e.Name == "" && !d.violated(ptr+"/name") {
		d.v.add(ptr+"/name", i, "is required on custom events")
	}
	switch traits := ptr + "/traits"; {
	case e.Type == "" || d.violatedUnder(traits):
	case e.Type != presage.EventIdentify:
		if e.Traits != nil {
			d.v.add(traits, i, "is only allowed on identify events")
		}
		e.Traits, e.Identity = nil, IdentityTraits{}
	case e.Traits == nil:
		d.v.add(traits, i, "is required on identify events")
	case e.Identity == IdentityTraits{}:
		d.v.add(traits, i, "must hold at least one of email, phone, customerId")
	}
}

// times checks every ts against its bounds and corrects it for clock skew:
// occurredAt = receivedAt − (sentAt − ts).
func (d *decoder) times() {
	now := d.req.ReceivedAt.UnixMilli()
	ref, ahead := now, MaxFutureNoClock
	behindMsg, aheadMsg := "is more than 7 days before the server time", "is more than 10 minutes after the server time"
	if d.hasSentAt {
		d.req.SentAt = time.UnixMilli(d.sentAt).UTC()
		ref, ahead = d.sentAt, MaxFutureSentAt
		behindMsg, aheadMsg = "is more than 7 days before sentAt", "is more than 60 seconds after sentAt"
	}
	for i, st := range d.stamps {
		if i >= len(d.req.Events) {
			break
		}
		ptr := eventPointer(i) + "/ts"
		switch {
		case !st.set:
			d.required(ptr, i, false)
			continue
		case st.ms < ref-MaxPastSkew.Milliseconds():
			d.v.add(ptr, i, behindMsg)
			continue
		case st.ms > ref+ahead.Milliseconds():
			d.v.add(ptr, i, aheadMsg)
			continue
		}
		d.req.Events[i].OccurredAt = time.UnixMilli(now - (ref - st.ms)).UTC()
	}
}

// eventTypeList names the accepted event types for messages.
var eventTypeList = func() string {
	names := make([]string, len(presage.EventTypes))
	for i, t := range presage.EventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}()

func validEventType(s string) bool {
	for _, t := range presage.EventTypes {
		if string(t) == s {
			return true
		}
	}
	return false
}

// absoluteHTTPURL reports whether s is an absolute http or https URL with a host.
func absoluteHTTPURL(s string) bool {
	if len(s) < 8 || !strings.EqualFold(s[:7], "http://") && !strings.EqualFold(s[:8], "https://") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != ""
}
