package loadgen

import (
	"github.com/presage-dev/presage/internal/jsonwire"

	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// asJSON is what encoding/json makes of v, with obj and typedValue as maps.
func asJSON(v any) any {
	switch v := v.(type) {
	case obj:
		m := map[string]any{}
		for _, f := range v {
			m[f.k] = asJSON(f.v)
		}
		return m
	case typedValue:
		return map[string]any{"dataType": v.dataType, "value": asJSON(v.value)}
	default:
		return v
	}
}

// reference encodes w with encoding/json, the encoder the hand-written one
// replaces.
func reference(t *testing.T, w *wireBatch) []byte {
	t.Helper()
	type event struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Name       string `json:"name,omitempty"`
		TS         int64  `json:"ts"`
		URL        string `json:"url,omitempty"`
		Title      string `json:"title,omitempty"`
		Referrer   string `json:"referrer,omitempty"`
		Attributes any    `json:"attributes,omitempty"`
		Traits     any    `json:"traits,omitempty"`
	}
	events := make([]event, len(w.Events))
	for i, e := range w.Events {
		events[i] = event{ID: e.ID, Type: e.Type, Name: e.Name, TS: e.TS, URL: e.URL, Title: e.Title, Referrer: e.Referrer}
		if len(e.Attributes) > 0 {
			events[i].Attributes = asJSON(e.Attributes)
		}
		if len(e.Traits) > 0 {
			events[i].Traits = asJSON(e.Traits)
		}
	}
	b, err := json.Marshal(map[string]any{"siteKey": w.SiteKey, "visitorId": w.VisitorID, "sessionId": w.SessionID,
		"sentAt": w.SentAt, "context": w.Context, "events": events})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncoderMatchesEncodingJSON(t *testing.T) {
	g := newGenerator(testOrigin, testSiteKey)
	visitors := []*visitor{g.newVisitor(10), g.newVisitor(10), g.newVisitor(10)}
	now := time.Now()
	for i := range 500 {
		b := g.batch(visitors[i%len(visitors)], 1+i%100, now)
		body, err := b.encode(now)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("batch %d: %v\n%s", i, err, body)
		}
		if err := json.Unmarshal(reference(t, &b.wire), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batch %d differs from encoding/json:\n%s", i, body)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "tab\tnl\ncr\r", "\x00\x1f\x7f", "Products – Example", "bad\xffutf8", "<&>"} {
		var got string
		if err := json.Unmarshal(jsonwire.AppendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want, _ := json.Marshal(s)
		var w string
		json.Unmarshal(want, &w)
		if got != w {
			t.Errorf("%q: got %q, want %q", s, got, w)
		}
	}
}

func BenchmarkGenerateBatch(b *testing.B) {
	g := newGenerator(testOrigin, testSiteKey)
	v := g.newVisitor(10)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		bt := g.batch(v, 50, now)
		if _, err := bt.encode(now); err != nil {
			b.Fatal(err)
		}
	}
}
