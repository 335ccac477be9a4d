package collect

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// FuzzDecode checks that Decode never panics and either returns a request
// satisfying every rule of the protocol or an invalid / too_large error with
// violations. Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, siteKeyRequired bool) {
		req, err := Decode(body, testReceivedAt, siteKeyRequired)
		if err != nil {
			checkDecodeError(t, body, req, err)
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		checkRequest(t, req, siteKeyRequired)
	})
}

func checkDecodeError(t *testing.T, body []byte, req *Request, err error) {
	var pe *presage.Error
	if req != nil || !errors.As(err, &pe) {
		t.Fatalf("Decode = %v, %v: want nil and a *presage.Error", req, err)
	}
	switch pe.Code {
	case presage.CodeTooLarge:
		if len(body) <= MaxBodyBytes {
			t.Fatalf("too_large for %d bytes", len(body))
		}
	case presage.CodeInvalid:
		if len(pe.Violations) == 0 || len(pe.Violations) > maxViolations || pe.Message == "" {
			t.Fatalf("invalid error with %d violations: %v", len(pe.Violations), pe)
		}
		for _, v := range pe.Violations {
			if v.Field != "" && !strings.HasPrefix(v.Field, "/") || v.Index < -1 || v.Detail == "" {
				t.Fatalf("bad violation %+v", v)
			}
			if v.Index >= 0 && !strings.HasPrefix(v.Field+"/", eventPointer(v.Index)+"/") {
				t.Fatalf("violation %+v: index does not match its pointer", v)
			}
		}
	default:
		t.Fatalf("unexpected code %s", pe.Code)
	}
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func checkRequest(t *testing.T, req *Request, siteKeyRequired bool) {
	if siteKeyRequired != (req.SiteKey != "") || runes(req.SiteKey) > MaxSiteKeyLen {
		t.Fatalf("siteKey %q with required=%v", req.SiteKey, siteKeyRequired)
	}
	if !presage.ValidClientID(req.VisitorID) || !presage.ValidClientID(req.SessionID) {
		t.Fatalf("ids %q %q", req.VisitorID, req.SessionID)
	}
	c := req.Context
	if runes(c.TimeZone) > MaxTimeZoneLen || runes(c.Language) > MaxLanguageLen || runes(c.Screen) > MaxScreenLen {
		t.Fatalf("context %+v", c)
	}
	if n := len(req.Events); n < 1 || n > MaxEvents {
		t.Fatalf("%d events", n)
	}
	low, high := testReceivedAt.Add(-MaxPastSkew), testReceivedAt.Add(MaxFutureNoClock)
	if !req.SentAt.IsZero() {
		high = testReceivedAt.Add(MaxFutureSentAt)
	}
	for i, e := range req.Events {
		switch {
		case !presage.ValidClientID(e.ID), !validEventType(string(e.Type)):
			t.Fatalf("event %d: id %q type %q", i, e.ID, e.Type)
		case e.Type == presage.EventCustom && e.Name == "", runes(e.Name) > MaxNameLen:
			t.Fatalf("event %d: name %q", i, e.Name)
		case e.OccurredAt.Before(low), e.OccurredAt.After(high), e.OccurredAt.Location() != time.UTC:
			t.Fatalf("event %d: occurredAt %v outside [%v, %v]", i, e.OccurredAt, low, high)
		case e.URL != "" && (!absoluteHTTPURL(e.URL) || runes(e.URL) > MaxURLLen):
			t.Fatalf("event %d: url %q", i, e.URL)
		case runes(e.Title) > MaxTitleLen, runes(e.Referrer) > MaxURLLen:
			t.Fatalf("event %d: title or referrer too long", i)
		case (e.Type == presage.EventIdentify) != (e.Traits != nil):
			t.Fatalf("event %d: traits %s on %s", i, e.Traits, e.Type)
		case e.Type == presage.EventIdentify && e.Identity == IdentityTraits{}:
			t.Fatalf("event %d: identify without an identifying trait", i)
		}
		checkObject(t, e.Attributes)
		checkObject(t, e.Traits)
	}
}

// checkObject re-validates a normalized attributes or traits object with
// encoding/json.
func checkObject(t *testing.T, raw json.RawMessage) {
	if raw == nil {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("normalized object %s: %v", raw, err)
	}
	if len(m) > MaxAttributes || len(m) == 0 && string(raw) != "{}" {
		t.Fatalf("object with %d keys: %s", len(m), raw)
	}
	for k, v := range m {
		if !ValidAttributeKey(k) {
			t.Fatalf("key %q", k)
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			t.Fatal(err)
		}
		switch x := x.(type) {
		case string:
			if runes(x) > MaxStringValue {
				t.Fatalf("string of %d characters", runes(x))
			}
		case float64, bool:
		case map[string]any:
			checkTyped(t, x, v)
		default:
			t.Fatalf("value %s", v)
		}
	}
	if strings.ContainsAny(string(raw), "\n\t") {
		t.Fatalf("not compact: %q", raw)
	}
}

func checkTyped(t *testing.T, x map[string]any, raw json.RawMessage) {
	if len(x) != 2 || !strings.HasPrefix(string(raw), `{"dataType":`) {
		t.Fatalf("typed value %s", raw)
	}
	v := x["value"]
	ok := false
	switch x["dataType"] {
	case "string":
		s, isStr := v.(string)
		ok = isStr && runes(s) <= MaxStringValue
	case "number":
		_, ok = v.(float64)
	case "integer":
		n, isNum := v.(float64)
		ok = isNum && n == float64(int64(n)) && n <= maxSafeInteger && n >= -maxSafeInteger
	case "boolean":
		_, ok = v.(bool)
	case "date":
		s, _ := v.(string)
		_, err := time.Parse(time.DateOnly, s)
		ok = err == nil
	case "datetime":
		s, _ := v.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		ok = err == nil
	}
	if !ok {
		t.Fatalf("typed value %s does not match its type", raw)
	}
}
