package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
)

// Writes returns n realistic writes of perWrite events for orgID, each a new
// visitor and session, with unique ids; round distinguishes successive calls.
func Writes(orgID string, round, n, perWrite int) []collect.Write {
	now := time.Now().UTC()
	writes := make([]collect.Write, n)
	for w := range n {
		visitor := fmt.Sprintf("v%06d%06d%s", round, w, presage.RandomToken(5))
		session := fmt.Sprintf("s%06d%06d%s", round, w, presage.RandomToken(5))
		evs := make([]presage.Event, perWrite)
		for i := range evs {
			at := now.Add(time.Duration(i) * 150 * time.Millisecond)
			evs[i] = presage.Event{
				OrgID: orgID, ID: fmt.Sprintf("e%s%04d", session, i), SessionID: session, VisitorID: visitor,
				Type: presage.EventPageview, OccurredAt: at, ReceivedAt: now,
				URL:        fmt.Sprintf("https://shop.example/products/category-%d/item-%d?utm_source=news&utm_medium=email", i%7, i),
				Title:      fmt.Sprintf("Item %d — Shop Example, the finest goods", i),
				Referrer:   "https://www.google.com/",
				Attributes: json.RawMessage(fmt.Sprintf(`{"price":%d.5,"sku":"SKU-%05d","gift":false,"currency":"EUR","qty":1}`, i, i)),
				Context:    enrichment,
			}
			if i%5 == 4 {
				evs[i].Type, evs[i].Name = presage.EventCustom, "product_added"
			}
		}
		writes[w] = write(orgID, visitor, session, evs...)
	}
	return writes
}

// BenchmarkCommitWrites commits calls of writesPerCall writes of 50 events
// into e and reports events/s.
func BenchmarkCommitWrites(b *testing.B, e store.Engine, writesPerCall int) {
	ctx := context.Background()
	org := presage.Organization{ID: presage.NewID("org"), Name: "bench " + presage.RandomToken(4),
		SiteKey: "pk_" + presage.RandomToken(16), IdentitySecret: []byte("x"), CreatedAt: time.Now()}
	if err := e.CreateOrganization(ctx, org); err != nil {
		b.Fatal(err)
	}
	const perWrite = 50
	b.ReportAllocs()
	var elapsed time.Duration
	events := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		writes := Writes(org.ID, i, writesPerCall, perWrite)
		b.StartTimer()
		start := time.Now()
		out, err := e.CommitWrites(ctx, writes)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			events += o.Stored
		}
	}
	if elapsed > 0 {
		b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	}
}
