package collect

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// stringValue reads an optional string of at most max characters. null reads
// as absent; a wrong type or length is a violation and reads as "".
func (d *decoder) stringValue(max int) (string, bool) {
	switch d.s.kind() {
	case kindString:
		v, _, ok := d.s.str()
		if !ok {
			return "", false
		}
		if len(v) > max && utf8.RuneCountInString(v) > max {
			d.at("is longer than " + strconv.Itoa(max) + " characters")
			return "", false
		}
		return v, true
	case kindNull:
		d.s.null()
		return "", false
	default:
		d.wrongType("must be a string")
		return "", false
	}
}

// wrongType records detail at the current location and skips the value.
func (d *decoder) wrongType(detail string) {
	if d.s.kind() == kindInvalid {
		d.s.skip() // records the syntax error
		return
	}
	d.at(detail)
	d.s.skip()
}

// clientID reads a visitor, session or event id.
func (d *decoder) clientID() string {
	v, ok := d.stringValue(64)
	if ok && !presage.ValidClientID(v) {
		d.at("must be 8 to 64 characters of [A-Za-z0-9_-]")
		return ""
	}
	return v
}

// millis reads a Unix-millisecond time stamp.
func (d *decoder) millis() (int64, bool) {
	switch d.s.kind() {
	case kindNumber:
		lit, ok := d.s.number()
		if !ok {
			return 0, false
		}
		ms, ok := parseMillis(lit)
		if !ok {
			d.at("must be a whole number of milliseconds since 1970 before year 10000")
			return 0, false
		}
		return ms, true
	case kindNull:
		d.s.null()
		return 0, false
	default:
		d.wrongType("must be a number of milliseconds since 1970")
		return 0, false
	}
}

// parseMillis accepts integers in [0, maxMillis], also written with a
// fraction or exponent as long as the value is whole.
func parseMillis(lit string) (int64, bool) {
	if ms, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return ms, ms >= 0 && ms <= maxMillis
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > maxMillis {
		return 0, false
	}
	return int64(f), true
}

// context reads the client context object.
func (d *decoder) context() {
	switch d.s.kind() {
	case kindNull:
		d.s.null()
		return
	case kindObject:
	default:
		d.wrongType("must be an object")
		return
	}
	d.s.pos++
	var seen [3]bool
	for first := true; !d.stop() && d.s.next('}', &first); {
		d.loc.clearKey()
		key, ok := d.s.key()
		if !ok {
			return
		}
		d.loc.setKey(key)
		i, max := -1, 0
		switch key {
		case "tz":
			i, max = 0, MaxTimeZoneLen
		case "lang":
			i, max = 1, MaxLanguageLen
		case "screen":
			i, max = 2, MaxScreenLen
		default:
			d.at("is not a known field")
			d.s.skip()
			continue
		}
		if seen[i] {
			d.at("is a duplicate key")
			d.s.skip()
			continue
		}
		seen[i] = true
		v, _ := d.stringValue(max)
		switch i {
		case 0:
			d.req.Context.TimeZone = v
		case 1:
			d.req.Context.Language = v
		case 2:
			d.req.Context.Screen = v
		}
	}
}
