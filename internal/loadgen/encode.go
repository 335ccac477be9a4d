package loadgen

import (
	"math"
	"strconv"

	"github.com/presage-dev/presage/internal/jsonwire"
)

// The load generator shares the machine with the server it measures, so it
// encodes its bodies with a small append-based encoder instead of
// encoding/json over maps: each batch is encoded once, when generated, and an
// attempt only splices the current sentAt into it.

// obj is a JSON object whose keys keep the order they are listed in.
type obj []kv

type kv struct {
	k string
	v any // string, int, float64, bool or typedValue
}

// typedValue is a {"dataType": …, "value": …} attribute value.
type typedValue struct {
	dataType string
	value    any
}

func typed(dataType string, value any) typedValue { return typedValue{dataType, value} }

// encoded is a batch body split around its sentAt value.
type encoded struct {
	head, tail []byte
}

// encodeBatch encodes w with sentAt left out, to be spliced in per attempt.
func encodeBatch(w *wireBatch) encoded {
	b := make([]byte, 0, 256+len(w.Events)*320)
	b = append(b, `{"siteKey":`...)
	b = jsonwire.AppendString(b, w.SiteKey)
	b = append(b, `,"visitorId":`...)
	b = jsonwire.AppendString(b, w.VisitorID)
	b = append(b, `,"sessionId":`...)
	b = jsonwire.AppendString(b, w.SessionID)
	b = append(b, `,"sentAt":`...)
	head := b
	tail := make([]byte, 0, cap(b)-len(b))
	tail = append(tail, `,"context":{"tz":`...)
	tail = jsonwire.AppendString(tail, w.Context.TZ)
	tail = append(tail, `,"lang":`...)
	tail = jsonwire.AppendString(tail, w.Context.Lang)
	tail = append(tail, `,"screen":`...)
	tail = jsonwire.AppendString(tail, w.Context.Screen)
	tail = append(tail, `},"events":[`...)
	for i := range w.Events {
		if i > 0 {
			tail = append(tail, ',')
		}
		tail = appendEvent(tail, &w.Events[i])
	}
	tail = append(tail, "]}"...)
	return encoded{head: head, tail: tail}
}

// body returns the request body with sentAt set.
func (e encoded) body(sentAt int64) []byte {
	b := make([]byte, 0, len(e.head)+20+len(e.tail))
	b = append(b, e.head...)
	b = strconv.AppendInt(b, sentAt, 10)
	return append(b, e.tail...)
}

func appendEvent(b []byte, e *wireEvent) []byte {
	b = append(b, `{"id":`...)
	b = jsonwire.AppendString(b, e.ID)
	b = append(b, `,"type":`...)
	b = jsonwire.AppendString(b, e.Type)
	if e.Name != "" {
		b = append(b, `,"name":`...)
		b = jsonwire.AppendString(b, e.Name)
	}
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, e.TS, 10)
	if e.URL != "" {
		b = append(b, `,"url":`...)
		b = jsonwire.AppendString(b, e.URL)
	}
	if e.Title != "" {
		b = append(b, `,"title":`...)
		b = jsonwire.AppendString(b, e.Title)
	}
	if e.Referrer != "" {
		b = append(b, `,"referrer":`...)
		b = jsonwire.AppendString(b, e.Referrer)
	}
	if len(e.Attributes) > 0 {
		b = append(b, `,"attributes":`...)
		b = appendObj(b, e.Attributes)
	}
	if len(e.Traits) > 0 {
		b = append(b, `,"traits":`...)
		b = appendObj(b, e.Traits)
	}
	return append(b, '}')
}

func appendObj(b []byte, o obj) []byte {
	b = append(b, '{')
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonwire.AppendString(b, f.k)
		b = append(b, ':')
		b = appendValue(b, f.v)
	}
	return append(b, '}')
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return jsonwire.AppendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case float64:
		return appendFloat(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case typedValue:
		b = append(b, `{"dataType":`...)
		b = jsonwire.AppendString(b, v.dataType)
		b = append(b, `,"value":`...)
		b = appendValue(b, v.value)
		return append(b, '}')
	case nil:
		return append(b, "null"...)
	default:
		panic("loadgen: cannot encode a value of this type")
	}
}

// appendFloat formats f like encoding/json (finite values only).
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		panic("loadgen: non-finite number")
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}
