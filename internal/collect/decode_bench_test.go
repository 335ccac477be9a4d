package collect

import (
	"fmt"
	"testing"
)

// benchBatch is a realistic 50-event tracker batch: page views with a
// referrer, custom events with typed attributes, and one identify.
func benchBatch(b *testing.B) []byte {
	events := make([]any, 50)
	for i := range events {
		e := map[string]any{"id": fmt.Sprintf("evt-bench-%08d", i), "ts": testSentAt - int64(50-i)*100,
			"url": fmt.Sprintf("https://shop.example/products/%d?utm_source=news&utm_medium=email", i), "title": "Product page"}
		switch i % 5 {
		case 0:
			e["type"] = "pageview"
			e["referrer"] = "https://www.google.com/"
		case 4:
			e["type"] = "scroll"
			e["attributes"] = map[string]any{"percent": 75}
		default:
			e["type"] = "custom"
			e["name"] = "product_added"
			e["attributes"] = map[string]any{"price": 23.5, "sku": "A-1", "gift": false, "category": "shoes",
				"added": map[string]any{"dataType": "date", "value": "2026-11-29"}}
		}
		events[i] = e
	}
	events[49] = map[string]any{"id": "evt-bench-identify", "type": "identify", "ts": testSentAt,
		"traits": map[string]any{"email": "ada@example.com", "givenName": "Ada", "plan": "gold"}}
	body := map[string]any{"siteKey": "pk_test", "visitorId": "visitor-bench-0001", "sessionId": "session-bench-0001",
		"sentAt": testSentAt, "context": map[string]any{"tz": "Europe/Paris", "lang": "fr-FR", "screen": "1920x1080"},
		"events": events}
	return encode(b, body)
}

func BenchmarkDecode(b *testing.B) {
	body := benchBatch(b)
	if _, err := Decode(body, testReceivedAt, true); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body, testReceivedAt, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/50, "ns/event")
}

// BenchmarkDecodeEnrich adds the enrichment the service does per request.
func BenchmarkDecodeEnrich(b *testing.B) {
	body := benchBatch(b)
	b.ReportAllocs()
	for b.Loop() {
		req, err := Decode(body, testReceivedAt, true)
		if err != nil {
			b.Fatal(err)
		}
		Enrich(req, chromeLinux)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/50, "ns/event")
}
