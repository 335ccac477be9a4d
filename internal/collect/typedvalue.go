package collect

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/jsonwire"
)

// typedValue reads a {"dataType": …, "value": …} object, checks that the
// value matches its type and appends the canonical form.
func (d *decoder) typedValue() bool {
	d.s.pos++
	var (
		dataType            string
		haveType, haveVal   bool
		kind                valueKind
		str, lit            string
		boolVal, bad, kinds bool
	)
	for first := true; !d.stop() && d.s.next('}', &first); {
		d.loc.sub = ""
		key, ok := d.s.key()
		if !ok {
			return false
		}
		switch key {
		case "dataType", "value":
			d.loc.sub = key
		default:
			if !kinds {
				d.at(valueKinds)
				kinds = true
			}
			bad = true
			d.s.skip()
			continue
		}
		if key == "dataType" && haveType || key == "value" && haveVal {
			d.at("is a duplicate key")
			bad = true
			d.s.skip()
			continue
		}
		if key == "dataType" {
			haveType = true
			if k := d.s.kind(); k != kindString {
				d.wrongType("must be one of " + strings.Join(dataTypes, ", "))
				bad = true
				continue
			}
			dataType, _, _ = d.s.str()
			continue
		}
		haveVal = true
		switch kind = d.s.kind(); kind {
		case kindString:
			str, _, _ = d.s.str()
		case kindNumber:
			lit, _ = d.s.number()
		case kindBool:
			boolVal, _ = d.s.boolean()
		default:
			d.wrongType("must be a string, number or boolean")
			bad = true
		}
	}
	d.loc.sub = ""
	if d.stop() {
		return false
	}
	if kinds {
		return false
	}
	if !haveType {
		d.loc.sub = "dataType"
		d.at("is required")
		bad = true
	}
	if !haveVal {
		d.loc.sub = "value"
		d.at("is required")
		bad = true
	}
	if bad {
		d.loc.sub = ""
		return false
	}
	d.loc.sub = "value"
	defer func() { d.loc.sub = "" }()
	mismatch := func() bool {
		d.at("does not match dataType " + dataType)
		return false
	}
	d.buf = append(d.buf, `{"dataType":"`...)
	d.buf = append(d.buf, dataType...)
	d.buf = append(d.buf, `","value":`...)
	switch dataType {
	case "string":
		if kind != kindString {
			return mismatch()
		}
		if len(str) > MaxStringValue && utf8.RuneCountInString(str) > MaxStringValue {
			d.at("is longer than " + strconv.Itoa(MaxStringValue) + " characters")
			return false
		}
		d.buf = jsonwire.AppendString(d.buf, str)
	case "number":
		if kind != kindNumber || !finite(lit) {
			return mismatch()
		}
		d.buf = append(d.buf, lit...)
	case "integer":
		if kind != kindNumber || !safeInteger(lit) {
			return mismatch()
		}
		d.buf = append(d.buf, lit...)
	case "boolean":
		if kind != kindBool {
			return mismatch()
		}
		d.buf = strconv.AppendBool(d.buf, boolVal)
	case "date":
		if _, err := time.Parse(time.DateOnly, str); kind != kindString || err != nil {
			return mismatch()
		}
		d.buf = jsonwire.AppendString(d.buf, str)
	case "datetime":
		if _, err := time.Parse(time.RFC3339Nano, str); kind != kindString || err != nil {
			return mismatch()
		}
		d.buf = jsonwire.AppendString(d.buf, str)
	default:
		d.loc.sub = "dataType"
		d.at("must be one of " + strings.Join(dataTypes, ", "))
		return false
	}
	d.buf = append(d.buf, '}')
	return true
}

// finite reports whether a JSON number literal fits a float64.
func finite(lit string) bool {
	if len(lit) < 16 && strings.IndexAny(lit, ".eE") < 0 {
		return true
	}
	f, err := strconv.ParseFloat(lit, 64)
	return err == nil || !math.IsInf(f, 0)
}

// safeInteger reports whether a JSON number literal is a whole number a
// JavaScript number holds exactly.
func safeInteger(lit string) bool {
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return n >= -maxSafeInteger && n <= maxSafeInteger
	}
	f, err := strconv.ParseFloat(lit, 64)
	return err == nil && f == math.Trunc(f) && math.Abs(f) <= maxSafeInteger
}
