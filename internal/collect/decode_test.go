package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// The clock of the decode tests: the client's clock runs 2 s behind.
const (
	testSentAt   = int64(1764384000000)
	testReceived = testSentAt + 2000
)

var testReceivedAt = time.UnixMilli(testReceived)

// batch returns a valid three-event request as a value to mutate.
func batch() map[string]any {
	return map[string]any{
		"siteKey": "pk_test", "visitorId": "visitor-0001", "sessionId": "session-0001", "sentAt": testSentAt,
		"context": map[string]any{"tz": "Europe/Paris", "lang": "fr-FR", "screen": "1920x1080"},
		"events": []any{
			map[string]any{"id": "event-0000", "type": "pageview", "ts": testSentAt - 300,
				"url": "https://shop.example/?utm_source=news", "title": "Home", "referrer": "https://www.google.com/"},
			map[string]any{"id": "event-0001", "type": "custom", "name": "product_added", "ts": testSentAt - 200,
				"url": "https://shop.example/p/1", "attributes": map[string]any{"price": 23.5, "sku": "A-1"}},
			map[string]any{"id": "event-0002", "type": "identify", "ts": testSentAt - 100,
				"traits": map[string]any{"email": "ada@example.com", "givenName": "Ada"}},
		},
	}
}

func ev(b map[string]any, i int) map[string]any { return b["events"].([]any)[i].(map[string]any) }

func attrs(b map[string]any, i int) map[string]any {
	e := ev(b, i)
	if e["attributes"] == nil {
		e["attributes"] = map[string]any{}
	}
	return e["attributes"].(map[string]any)
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func manyEvents(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"id": fmt.Sprintf("event-%04d", i), "type": "pageview", "ts": testSentAt}
	}
	return out
}

// invalidError asserts err is a CodeInvalid *presage.Error and returns it.
func invalidError(t *testing.T, err error) *presage.Error {
	t.Helper()
	var pe *presage.Error
	if !errors.As(err, &pe) || pe.Code != presage.CodeInvalid || len(pe.Violations) == 0 {
		t.Fatalf("err = %v, want an invalid error with violations", err)
	}
	return pe
}

func TestDecodeRules(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(b map[string]any)
		raw   string // used instead of mod when set
		field string
		index int
	}{
		// top level
		{name: "siteKey required", mod: func(b map[string]any) { delete(b, "siteKey") }, field: "/siteKey", index: -1},
		{name: "siteKey empty", mod: func(b map[string]any) { b["siteKey"] = "" }, field: "/siteKey", index: -1},
		{name: "siteKey string", mod: func(b map[string]any) { b["siteKey"] = 5 }, field: "/siteKey", index: -1},
		{name: "visitorId required", mod: func(b map[string]any) { delete(b, "visitorId") }, field: "/visitorId", index: -1},
		{name: "visitorId short", mod: func(b map[string]any) { b["visitorId"] = "v123456" }, field: "/visitorId", index: -1},
		{name: "visitorId long", mod: func(b map[string]any) { b["visitorId"] = strings.Repeat("v", 65) }, field: "/visitorId", index: -1},
		{name: "visitorId charset", mod: func(b map[string]any) { b["visitorId"] = "visitor 0001" }, field: "/visitorId", index: -1},
		{name: "sessionId required", mod: func(b map[string]any) { delete(b, "sessionId") }, field: "/sessionId", index: -1},
		{name: "sessionId charset", mod: func(b map[string]any) { b["sessionId"] = "session/0001" }, field: "/sessionId", index: -1},
		{name: "sentAt number", mod: func(b map[string]any) { b["sentAt"] = "now" }, field: "/sentAt", index: -1},
		{name: "sentAt whole", mod: func(b map[string]any) { b["sentAt"] = 1.5 }, field: "/sentAt", index: -1},
		{name: "sentAt negative", mod: func(b map[string]any) { b["sentAt"] = -1 }, field: "/sentAt", index: -1},
		{name: "context object", mod: func(b map[string]any) { b["context"] = "x" }, field: "/context", index: -1},
		{name: "context.tz length", mod: func(b map[string]any) { b["context"].(map[string]any)["tz"] = strings.Repeat("z", 65) }, field: "/context/tz", index: -1},
		{name: "context.lang length", mod: func(b map[string]any) { b["context"].(map[string]any)["lang"] = strings.Repeat("l", 36) }, field: "/context/lang", index: -1},
		{name: "context.screen length", mod: func(b map[string]any) { b["context"].(map[string]any)["screen"] = strings.Repeat("1", 21) }, field: "/context/screen", index: -1},
		{name: "context unknown", mod: func(b map[string]any) { b["context"].(map[string]any)["viewport"] = "1x1" }, field: "/context/viewport", index: -1},
		{name: "unknown top-level field", mod: func(b map[string]any) { b["visitorID"] = "visitor-0001" }, field: "/visitorID", index: -1},
		{name: "events required", mod: func(b map[string]any) { delete(b, "events") }, field: "/events", index: -1},
		{name: "events null", mod: func(b map[string]any) { b["events"] = nil }, field: "/events", index: -1},
		{name: "events empty", mod: func(b map[string]any) { b["events"] = []any{} }, field: "/events", index: -1},
		{name: "events at most 100", mod: func(b map[string]any) { b["events"] = manyEvents(101) }, field: "/events", index: -1},
		{name: "events array", mod: func(b map[string]any) { b["events"] = map[string]any{} }, field: "/events", index: -1},
		// events
		{name: "event object", mod: func(b map[string]any) { b["events"].([]any)[1] = "pageview" }, field: "/events/1", index: 1},
		{name: "event unknown field", mod: func(b map[string]any) { ev(b, 1)["timestamp"] = 1 }, field: "/events/1/timestamp", index: 1},
		{name: "id required", mod: func(b map[string]any) { delete(ev(b, 1), "id") }, field: "/events/1/id", index: 1},
		{name: "id format", mod: func(b map[string]any) { ev(b, 2)["id"] = "e-1" }, field: "/events/2/id", index: 2},
		{name: "type required", mod: func(b map[string]any) { delete(ev(b, 0), "type") }, field: "/events/0/type", index: 0},
		{name: "type known", mod: func(b map[string]any) { ev(b, 0)["type"] = "teleport" }, field: "/events/0/type", index: 0},
		{name: "type string", mod: func(b map[string]any) { ev(b, 0)["type"] = 1 }, field: "/events/0/type", index: 0},
		{name: "custom name required", mod: func(b map[string]any) { delete(ev(b, 1), "name") }, field: "/events/1/name", index: 1},
		{name: "custom name empty", mod: func(b map[string]any) { ev(b, 1)["name"] = "" }, field: "/events/1/name", index: 1},
		{name: "name length", mod: func(b map[string]any) { ev(b, 0)["name"] = strings.Repeat("n", 129) }, field: "/events/0/name", index: 0},
		{name: "ts required", mod: func(b map[string]any) { delete(ev(b, 2), "ts") }, field: "/events/2/ts", index: 2},
		{name: "ts whole", mod: func(b map[string]any) { ev(b, 2)["ts"] = 1764384000000.5 }, field: "/events/2/ts", index: 2},
		{name: "ts number", mod: func(b map[string]any) { ev(b, 2)["ts"] = "1764384000000" }, field: "/events/2/ts", index: 2},
		{name: "ts 7 days before sentAt", mod: func(b map[string]any) { ev(b, 1)["ts"] = testSentAt - 7*24*3600*1000 - 1 }, field: "/events/1/ts", index: 1},
		{name: "ts 60 s after sentAt", mod: func(b map[string]any) { ev(b, 1)["ts"] = testSentAt + 60001 }, field: "/events/1/ts", index: 1},
		{name: "ts 7 days before now", mod: func(b map[string]any) { delete(b, "sentAt"); ev(b, 1)["ts"] = testReceived - 7*24*3600*1000 - 1 }, field: "/events/1/ts", index: 1},
		{name: "ts 10 min after now", mod: func(b map[string]any) { delete(b, "sentAt"); ev(b, 1)["ts"] = testReceived + 600001 }, field: "/events/1/ts", index: 1},
		{name: "url absolute", mod: func(b map[string]any) { ev(b, 0)["url"] = "/products" }, field: "/events/0/url", index: 0},
		{name: "url http", mod: func(b map[string]any) { ev(b, 0)["url"] = "ftp://shop.example/" }, field: "/events/0/url", index: 0},
		{name: "url host", mod: func(b map[string]any) { ev(b, 0)["url"] = "https:///x" }, field: "/events/0/url", index: 0},
		{name: "url length", mod: func(b map[string]any) { ev(b, 0)["url"] = "https://shop.example/" + strings.Repeat("p", 2048) }, field: "/events/0/url", index: 0},
		{name: "title length", mod: func(b map[string]any) { ev(b, 0)["title"] = strings.Repeat("é", 513) }, field: "/events/0/title", index: 0},
		{name: "referrer length", mod: func(b map[string]any) { ev(b, 0)["referrer"] = strings.Repeat("r", 2049) }, field: "/events/0/referrer", index: 0},
		// attributes
		{name: "attributes object", mod: func(b map[string]any) { ev(b, 1)["attributes"] = []any{1} }, field: "/events/1/attributes", index: 1},
		{name: "attributes at most 50 keys", mod: func(b map[string]any) {
			for i := range 51 {
				attrs(b, 1)[fmt.Sprintf("k%d", i)] = i
			}
		}, field: "/events/1/attributes", index: 1},
		{name: "attribute key charset", mod: func(b map[string]any) { attrs(b, 1)["gift wrap"] = true }, field: "/events/1/attributes/gift wrap", index: 1},
		{name: "attribute key escaped in pointer", mod: func(b map[string]any) { attrs(b, 1)["a/b~c"] = true }, field: "/events/1/attributes/a~1b~0c", index: 1},
		{name: "attribute key length", mod: func(b map[string]any) { attrs(b, 1)[strings.Repeat("k", 65)] = 1 }, field: "/events/1/attributes/" + strings.Repeat("k", 65), index: 1},
		{name: "attribute key empty", mod: func(b map[string]any) { attrs(b, 1)[""] = 1 }, field: "/events/1/attributes/", index: 1},
		{name: "attribute string length", mod: func(b map[string]any) { attrs(b, 1)["note"] = strings.Repeat("x", 1025) }, field: "/events/1/attributes/note", index: 1},
		{name: "attribute number finite", raw: `{"siteKey":"pk_test","visitorId":"visitor-0001","sessionId":"session-0001","events":[{"id":"event-0000","type":"pageview","ts":1764384000000,"attributes":{"big":1e999}}]}`, field: "/events/0/attributes/big", index: 0},
		{name: "attribute nested object", mod: func(b map[string]any) { attrs(b, 1)["nested"] = map[string]any{"a": 1} }, field: "/events/1/attributes/nested", index: 1},
		{name: "attribute array", mod: func(b map[string]any) { attrs(b, 1)["list"] = []any{1, 2} }, field: "/events/1/attributes/list", index: 1},
		{name: "attribute null", mod: func(b map[string]any) { attrs(b, 1)["gone"] = nil }, field: "/events/1/attributes/gone", index: 1},
		{name: "attribute duplicate key", raw: `{"siteKey":"pk_test","visitorId":"visitor-0001","sessionId":"session-0001","events":[{"id":"event-0000","type":"pageview","ts":1764384000000,"attributes":{"price":1,"price":2}}]}`, field: "/events/0/attributes/price", index: 0},
		{name: "typed dataType known", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "money", "value": 1} }, field: "/events/1/attributes/t/dataType", index: 1},
		{name: "typed dataType required", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"value": 1} }, field: "/events/1/attributes/t/dataType", index: 1},
		{name: "typed value required", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "number"} }, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed string", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "string", "value": 1} }, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed number", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "number", "value": "1"} }, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed integer", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "integer", "value": 1.5} }, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed integer safe", mod: func(b map[string]any) {
			attrs(b, 1)["t"] = map[string]any{"dataType": "integer", "value": int64(1) << 54}
		}, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed boolean", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "boolean", "value": "true"} }, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed date", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "date", "value": "2026-13-01"} }, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed datetime", mod: func(b map[string]any) {
			attrs(b, 1)["t"] = map[string]any{"dataType": "datetime", "value": "2026-11-29 10:00"}
		}, field: "/events/1/attributes/t/value", index: 1},
		{name: "typed value scalar", mod: func(b map[string]any) { attrs(b, 1)["t"] = map[string]any{"dataType": "string", "value": []any{"a"}} }, field: "/events/1/attributes/t/value", index: 1},
		// traits
		{name: "traits only on identify", mod: func(b map[string]any) { ev(b, 0)["traits"] = map[string]any{"email": "a@b.c"} }, field: "/events/0/traits", index: 0},
		{name: "traits required on identify", mod: func(b map[string]any) { delete(ev(b, 2), "traits") }, field: "/events/2/traits", index: 2},
		{name: "traits identify someone", mod: func(b map[string]any) { ev(b, 2)["traits"] = map[string]any{"givenName": "Ada"} }, field: "/events/2/traits", index: 2},
		{name: "traits object", mod: func(b map[string]any) { ev(b, 2)["traits"] = "ada@example.com" }, field: "/events/2/traits", index: 2},
		{name: "trait email string", mod: func(b map[string]any) { ev(b, 2)["traits"] = map[string]any{"email": 42} }, field: "/events/2/traits/email", index: 2},
		{name: "trait email address", mod: func(b map[string]any) { ev(b, 2)["traits"] = map[string]any{"email": "ada"} }, field: "/events/2/traits/email", index: 2},
		{name: "trait phone digits", mod: func(b map[string]any) { ev(b, 2)["traits"] = map[string]any{"phone": "n/a"} }, field: "/events/2/traits/phone", index: 2},
		{name: "trait customerId empty", mod: func(b map[string]any) { ev(b, 2)["traits"] = map[string]any{"customerId": " "} }, field: "/events/2/traits/customerId", index: 2},
		{name: "trait key like attributes", mod: func(b map[string]any) { ev(b, 2)["traits"].(map[string]any)["home address"] = "x" }, field: "/events/2/traits/home address", index: 2},
		// JSON
		{name: "duplicate top-level key", raw: `{"siteKey":"pk_test","visitorId":"visitor-0001","visitorId":"visitor-0002","sessionId":"session-0001","events":[{"id":"event-0000","type":"pageview","ts":1764384000000}]}`, field: "/visitorId", index: -1},
		{name: "duplicate event key", raw: `{"siteKey":"pk_test","visitorId":"visitor-0001","sessionId":"session-0001","events":[{"id":"event-0000","type":"pageview","type":"custom","ts":1764384000000}]}`, field: "/events/0/type", index: 0},
		{name: "duplicate key via escape", raw: `{"siteKey":"pk_test","visitorId":"visitor-0001","sessionId":"session-0001","events":[{"id":"event-0000","type":"pageview","ts":1764384000000,"attributes":{"a":1,"\u0061":2}}]}`, field: "/events/0/attributes/a", index: 0},
		{name: "trailing data", raw: `{"siteKey":"pk_test","visitorId":"visitor-0001","sessionId":"session-0001","events":[{"id":"event-0000","type":"pageview","ts":1764384000000}]} {}`, field: "", index: -1},
		{name: "malformed", raw: `{"siteKey":`, field: "/siteKey", index: -1},
		{name: "syntax error inside an event", raw: `{"siteKey":"pk_test","events":[{"id":"event-0000","ts":17643840000.0.0}]}`, field: "/events/0/ts", index: 0},
		{name: "not an object", raw: `[1,2]`, field: "", index: -1},
		{name: "empty body", raw: ``, field: "", index: -1},
		{name: "invalid UTF-8", raw: "{\"siteKey\":\"pk_\xff\"}", field: "/siteKey", index: -1},
		{name: "control character", raw: "{\"siteKey\":\"pk_\x01\"}", field: "/siteKey", index: -1},
		{name: "trailing comma", raw: `{"siteKey":"pk_test",}`, field: "/siteKey", index: -1},
		{name: "deep nesting", raw: `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, field: "/x", index: -1},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate case %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.raw)
			if tt.mod != nil {
				b := batch()
				tt.mod(b)
				body = encode(t, b)
			}
			req, err := Decode(body, testReceivedAt, true)
			if req != nil {
				t.Fatalf("Decode accepted the batch")
			}
			pe := invalidError(t, err)
			for _, v := range pe.Violations {
				if v.Field == tt.field && v.Index == tt.index {
					return
				}
			}
			t.Errorf("violations %+v do not name %q at index %d", pe.Violations, tt.field, tt.index)
		})
	}
}

func TestDecodeValid(t *testing.T) {
	b := batch()
	attrs(b, 1)["added"] = map[string]any{"value": "2026-11-29", "dataType": "date"}
	attrs(b, 1)["qty"] = map[string]any{"dataType": "integer", "value": 3}
	attrs(b, 1)["at"] = map[string]any{"dataType": "datetime", "value": "2026-11-29T10:00:00.000Z"}
	ev(b, 2)["traits"].(map[string]any)["customerId"] = "C-42"
	ev(b, 2)["traits"].(map[string]any)["phone"] = "+33 6 12 34 56 78"
	req, err := Decode(encode(t, b), testReceivedAt, true)
	if err != nil {
		t.Fatal(err)
	}
	if req.SiteKey != "pk_test" || req.VisitorID != "visitor-0001" || req.SessionID != "session-0001" ||
		req.Context != (ClientContext{TimeZone: "Europe/Paris", Language: "fr-FR", Screen: "1920x1080"}) ||
		!req.SentAt.Equal(time.UnixMilli(testSentAt)) || !req.ReceivedAt.Equal(testReceivedAt) || len(req.Events) != 3 {
		t.Fatalf("request = %+v", req)
	}
	// Skew correction: the client clock is 2 s behind.
	for i, e := range req.Events {
		want := time.UnixMilli(int64(ev(b, i)["ts"].(int64)) + 2000).UTC()
		if !e.OccurredAt.Equal(want) || e.OccurredAt.Location() != time.UTC {
			t.Errorf("event %d occurredAt = %v, want %v", i, e.OccurredAt, want)
		}
	}
	// json.Marshal sorts map keys; typed values are re-emitted dataType first.
	wantAttrs := `{"added":{"dataType":"date","value":"2026-11-29"},"at":{"dataType":"datetime","value":"2026-11-29T10:00:00.000Z"},"price":23.5,"qty":{"dataType":"integer","value":3},"sku":"A-1"}`
	if got := string(req.Events[1].Attributes); got != wantAttrs {
		t.Errorf("attributes = %s\nwant         %s", got, wantAttrs)
	}
	if req.Events[0].Attributes != nil || req.Events[0].Traits != nil {
		t.Errorf("pageview attributes/traits = %s / %s", req.Events[0].Attributes, req.Events[0].Traits)
	}
	e := req.Events[2]
	if e.Identity != (IdentityTraits{CustomerID: "C-42", Email: "ada@example.com", Phone: "+33 6 12 34 56 78"}) {
		t.Errorf("identity = %+v", e.Identity)
	}
	var traits map[string]any
	if err := json.Unmarshal(e.Traits, &traits); err != nil || traits["givenName"] != "Ada" || len(traits) != 4 {
		t.Errorf("traits = %s (%v)", e.Traits, err)
	}
	if req.Events[1].Type != presage.EventCustom || req.Events[1].Name != "product_added" ||
		req.Events[0].URL != "https://shop.example/?utm_source=news" || req.Events[0].Title != "Home" {
		t.Errorf("events = %+v", req.Events)
	}
}

func TestDecodeNormalizesAttributes(t *testing.T) {
	body := `{ "visitorId" : "visitor-0001", "sessionId":"session-0001", "events": [ {"id":"event-0000", "type":"pageview",
		"ts":1764384000000, "attributes": { "s" : "a\u0062\"c\n\u2028", "n" : -1.5e3, "b": true ,
		"t": { "value" : "x\/y", "dataType" : "string" } } } ] }`
	req, err := Decode([]byte(body), time.UnixMilli(1764384000000), false)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"ab\"c\n\u2028","n":-1.5e3,"b":true,"t":{"dataType":"string","value":"x/y"}}`
	if got := string(req.Events[0].Attributes); got != want {
		t.Errorf("attributes = %s\nwant         %s", got, want)
	}
	if !json.Valid(req.Events[0].Attributes) {
		t.Error("normalized attributes are not valid JSON")
	}
	if req.SentAt != (time.Time{}) || !req.Events[0].OccurredAt.Equal(time.UnixMilli(1764384000000)) {
		t.Errorf("without sentAt: sentAt %v occurredAt %v", req.SentAt, req.Events[0].OccurredAt)
	}
}

func TestDecodeOptionalNulls(t *testing.T) {
	body := `{"siteKey":"pk_test","visitorId":"visitor-0001","sessionId":"session-0001","sentAt":null,"context":{"tz":null},
		"events":[{"id":"event-0000","type":"pageview","ts":1764384000000,"url":null,"title":null,"referrer":null,"name":null,"attributes":null,"traits":null}]}`
	if _, err := Decode([]byte(body), time.UnixMilli(1764384000000), true); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeServerSide(t *testing.T) {
	b := batch()
	delete(b, "siteKey")
	req, err := Decode(encode(t, b), testReceivedAt, false)
	if err != nil {
		t.Fatal(err)
	}
	b["siteKey"] = "pk_ignored"
	if req, err = Decode(encode(t, b), testReceivedAt, false); err != nil || req.SiteKey != "" {
		t.Fatalf("server-side siteKey: %v %q", err, req.SiteKey)
	}
}

func TestDecodeBoundsInclusive(t *testing.T) {
	b := batch()
	ev(b, 0)["ts"] = testSentAt - 7*24*3600*1000
	ev(b, 1)["ts"] = testSentAt + 60000
	if _, err := Decode(encode(t, b), testReceivedAt, true); err != nil {
		t.Fatal(err)
	}
	b["events"] = manyEvents(100)
	if _, err := Decode(encode(t, b), testReceivedAt, true); err != nil {
		t.Fatalf("100 events: %v", err)
	}
}

func TestDecodeCollectsViolations(t *testing.T) {
	b := batch()
	ev(b, 0)["type"] = "teleport"
	ev(b, 1)["ts"] = "soon"
	attrs(b, 2)["bad key"] = 1
	b["visitorId"] = "x"
	pe := invalidError(t, func() error { _, err := Decode(encode(t, b), testReceivedAt, true); return err }())
	want := map[string]int{"/visitorId": -1, "/events/0/type": 0, "/events/1/ts": 1, "/events/2/attributes/bad key": 2}
	for _, v := range pe.Violations {
		if idx, ok := want[v.Field]; ok && idx == v.Index {
			delete(want, v.Field)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing violations %v in %+v", want, pe.Violations)
	}
	if !strings.Contains(pe.Message, " must be ") || !strings.HasSuffix(pe.Message, "(and 3 more)") {
		t.Errorf("message = %q", pe.Message)
	}
	// At most 20 are reported.
	events := manyEvents(60)
	for _, e := range events {
		e.(map[string]any)["type"] = "teleport"
	}
	b = batch()
	b["events"] = events
	pe = invalidError(t, func() error { _, err := Decode(encode(t, b), testReceivedAt, true); return err }())
	if len(pe.Violations) != maxViolations {
		t.Errorf("%d violations, want the cap %d", len(pe.Violations), maxViolations)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	b := batch()
	ev(b, 0)["title"] = strings.Repeat("x", 70<<10)
	_, err := Decode(encode(t, b), testReceivedAt, true)
	if presage.ErrorCode(err) != presage.CodeTooLarge {
		t.Fatalf("err = %v, want too_large", err)
	}
}

func TestDecodeMessagesHoldNoValues(t *testing.T) {
	b := batch()
	ev(b, 2)["traits"] = map[string]any{"email": "secret-person"}
	ev(b, 0)["url"] = "ftp://secret.example/"
	_, err := Decode(encode(t, b), testReceivedAt, true)
	pe := invalidError(t, err)
	text := fmt.Sprintf("%s %+v", pe.Message, pe.Violations)
	if strings.Contains(text, "secret") {
		t.Errorf("error echoes input values: %s", text)
	}
}

func TestDescribePointer(t *testing.T) {
	for in, want := range map[string]string{"": "the request body", "/events/3/ts": "events[3].ts",
		"/events/1/attributes/a~1b": "events[1].attributes.a/b", "/siteKey": "siteKey"} {
		if got := describe(in); got != want {
			t.Errorf("describe(%q) = %q, want %q", in, got, want)
		}
	}
}
