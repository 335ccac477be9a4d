package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// This file checks requests against docs/collector-protocol.md, independently
// of the generator's own types.

type gotBatch struct {
	SiteKey   string `json:"siteKey"`
	VisitorID string `json:"visitorId"`
	SessionID string `json:"sessionId"`
	SentAt    int64  `json:"sentAt"`
	Context   struct {
		TZ     string `json:"tz"`
		Lang   string `json:"lang"`
		Screen string `json:"screen"`
	} `json:"context"`
	Events []gotEvent `json:"events"`

	// From the request headers.
	Origin, UserAgent string
}

type gotEvent struct {
	ID         string                     `json:"id"`
	Type       string                     `json:"type"`
	Name       string                     `json:"name"`
	TS         int64                      `json:"ts"`
	URL        string                     `json:"url"`
	Title      string                     `json:"title"`
	Referrer   string                     `json:"referrer"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	Traits     map[string]json.RawMessage `json:"traits"`
}

var attributeKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// readBatch reads and validates one POST /v1/events request.
func readBatch(r *http.Request, siteKey, origin string) (gotBatch, error) {
	var b gotBatch
	if r.Method != http.MethodPost || r.URL.Path != "/v1/events" {
		return b, fmt.Errorf("got %s %s, want POST /v1/events", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		return b, fmt.Errorf("Content-Type %q, want text/plain", ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return b, err
	}
	if len(body) > 64<<10 {
		return b, fmt.Errorf("body of %d bytes exceeds 64 KiB", len(body))
	}
	if b, err = decodeBatch(body); err != nil {
		return b, err
	}
	if now := time.Now().UnixMilli(); b.SentAt > now+1000 || b.SentAt < now-60_000 {
		return b, fmt.Errorf("sentAt %d is not the current time %d", b.SentAt, now)
	}
	b.Origin, b.UserAgent = r.Header.Get("Origin"), r.Header.Get("User-Agent")
	if b.Origin != origin {
		return b, fmt.Errorf("Origin %q, want %q", b.Origin, origin)
	}
	if b.UserAgent == "" || strings.HasPrefix(b.UserAgent, "Go-http-client") {
		return b, fmt.Errorf("User-Agent %q is not a browser's", b.UserAgent)
	}
	return b, b.validate(siteKey)
}

// decodeBatch decodes a body strictly: unknown fields are errors.
func decodeBatch(body []byte) (gotBatch, error) {
	var b gotBatch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Errorf("decode: %v", err)
	}
	if dec.More() {
		return b, fmt.Errorf("trailing data after the JSON object")
	}
	return b, nil
}

func (b gotBatch) validate(siteKey string) error {
	if b.SiteKey != siteKey {
		return fmt.Errorf("siteKey %q, want %q", b.SiteKey, siteKey)
	}
	if !presage.ValidClientID(b.VisitorID) || !presage.ValidClientID(b.SessionID) {
		return fmt.Errorf("invalid visitorId %q or sessionId %q", b.VisitorID, b.SessionID)
	}
	if b.SentAt == 0 {
		return fmt.Errorf("sentAt missing")
	}
	if len(b.Context.TZ) == 0 || len(b.Context.TZ) > 64 || len(b.Context.Lang) == 0 || len(b.Context.Lang) > 35 ||
		len(b.Context.Screen) == 0 || len(b.Context.Screen) > 20 {
		return fmt.Errorf("bad context %+v", b.Context)
	}
	if n := len(b.Events); n < 1 || n > 100 {
		return fmt.Errorf("%d events", n)
	}
	for i, e := range b.Events {
		if err := e.validate(b.SentAt); err != nil {
			return fmt.Errorf("events[%d] (%s): %v", i, e.Type, err)
		}
	}
	return nil
}

func (e gotEvent) validate(sentAt int64) error {
	if !presage.ValidClientID(e.ID) {
		return fmt.Errorf("invalid id %q", e.ID)
	}
	if !slices.Contains(presage.EventTypes, presage.EventType(e.Type)) {
		return fmt.Errorf("unknown type %q", e.Type)
	}
	if e.Type == "custom" && (e.Name == "" || utf8.RuneCountInString(e.Name) > 128) {
		return fmt.Errorf("custom event name %q", e.Name)
	}
	if e.TS < sentAt-7*24*3600*1000 || e.TS > sentAt+60_000 {
		return fmt.Errorf("ts %d outside [sentAt-7d, sentAt+60s] (sentAt %d)", e.TS, sentAt)
	}
	if e.URL != "" {
		u, err := url.Parse(e.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(e.URL) > 2048 {
			return fmt.Errorf("url %q", e.URL)
		}
	}
	if utf8.RuneCountInString(e.Title) > 512 || len(e.Referrer) > 2048 {
		return fmt.Errorf("title or referrer too long")
	}
	if err := validateObject(e.Attributes); err != nil {
		return fmt.Errorf("attributes: %v", err)
	}
	if e.Type == "identify" {
		if e.Traits == nil {
			return fmt.Errorf("identify without traits")
		}
		if e.Traits["email"] == nil && e.Traits["phone"] == nil && e.Traits["customerId"] == nil {
			return fmt.Errorf("identify traits lack email, phone and customerId")
		}
		if err := validateObject(e.Traits); err != nil {
			return fmt.Errorf("traits: %v", err)
		}
	} else if e.Traits != nil {
		return fmt.Errorf("traits on a %s event", e.Type)
	}
	return nil
}

func validateObject(m map[string]json.RawMessage) error {
	if len(m) > 50 {
		return fmt.Errorf("%d keys", len(m))
	}
	for k, raw := range m {
		if !attributeKey.MatchString(k) {
			return fmt.Errorf("key %q", k)
		}
		if err := validateValue(raw); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	return nil
}

func validateValue(raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		if utf8.RuneCountInString(v) > 1024 {
			return fmt.Errorf("string too long")
		}
	case float64, bool:
	case map[string]any:
		if len(v) != 2 {
			return fmt.Errorf("typed value %s has %d keys", raw, len(v))
		}
		val := v["value"]
		switch v["dataType"] {
		case "string":
			_, ok := val.(string)
			return check(ok, raw)
		case "number":
			_, ok := val.(float64)
			return check(ok, raw)
		case "integer":
			f, ok := val.(float64)
			return check(ok && f == float64(int64(f)), raw)
		case "boolean":
			_, ok := val.(bool)
			return check(ok, raw)
		case "date":
			s, ok := val.(string)
			_, err := time.Parse(time.DateOnly, s)
			return check(ok && err == nil, raw)
		case "datetime":
			s, ok := val.(string)
			_, err := time.Parse(time.RFC3339, s)
			return check(ok && err == nil, raw)
		default:
			return fmt.Errorf("unknown dataType in %s", raw)
		}
	default:
		return fmt.Errorf("value %s is not a string, number, boolean or typed value", raw)
	}
	return nil
}

func check(ok bool, raw json.RawMessage) error {
	if !ok {
		return fmt.Errorf("value does not match its dataType: %s", raw)
	}
	return nil
}
