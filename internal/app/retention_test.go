package app

import (
	"context"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// TestRetentionPurge ages a journey past the organization's retention
// periods and checks that the purge removes it in order — sessions first,
// then the visitor, then the customer once no device is left — destroys
// their data keys, and accounts for it in the audit log.
func TestRetentionPurge(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		clock := newTestClock()
		cfg.Now = clock.Now
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Retention")
		ada := backupSubject{visitor: "visitor-retention", email: "ada@retention.example", name: "Ada Lovelace", query: "engines"}
		ada.write(t, n, shop)
		ctx := context.Background()
		gdpr := presage.AsOperator(ctx, shop.Org.ID)
		matches, err := n.App.Privacy.Search(gdpr, privacy.Term{Type: privacy.SearchEmail, Value: ada.email})
		if err != nil || len(matches) != 1 {
			t.Fatalf("search: %v %+v", err, matches)
		}
		customer := matches[0].CustomerID
		if _, err := n.App.Privacy.SetRetention(gdpr, privacy.Retention{SessionsDays: 30, VisitorsDays: 60, CustomersDays: 90, ExportsDays: 7}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			after                             time.Duration
			session, visitor, customerPresent bool
		}{
			{10 * 24 * time.Hour, true, true, true},   // within every period
			{35 * 24 * time.Hour, false, true, true},  // the session is past 30 days
			{65 * 24 * time.Hour, false, false, true}, // the visitor was last seen 65 days ago
			{95 * 24 * time.Hour, false, false, false},
		}
		elapsed := time.Duration(0)
		for _, st := range steps {
			clock.Advance(st.after - elapsed)
			elapsed = st.after
			if _, err := n.App.Privacy.Purge(ctx, shop.Org.ID); err != nil {
				t.Fatalf("purge at +%v: %v", st.after, err)
			}
			if _, err := n.App.Journeys.Session(gdpr, "session-"+ada.visitor); presage.IsNotFound(err) == st.session {
				t.Errorf("+%v: session present %v, want %v (%v)", st.after, !presage.IsNotFound(err), st.session, err)
			}
			if _, err := n.App.Journeys.Visitor(gdpr, ada.visitor); presage.IsNotFound(err) == st.visitor {
				t.Errorf("+%v: visitor present %v, want %v (%v)", st.after, !presage.IsNotFound(err), st.visitor, err)
			}
			if _, err := n.App.Journeys.Customer(gdpr, customer); presage.IsNotFound(err) == st.customerPresent {
				t.Errorf("+%v: customer present %v, want %v (%v)", st.after, !presage.IsNotFound(err), st.customerPresent, err)
			}
		}
		keys, err := n.App.Storage.keyStore.DataKeysOf(ctx, shop.Org.ID, []string{ada.visitor, "customer:" + customer})
		if err != nil || len(keys) != 0 {
			t.Errorf("data keys of the purged visitor and customer: %d left (%v)", len(keys), err)
		}
		log, err := n.App.Privacy.Audit(gdpr, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		purges := 0
		for _, e := range log {
			if e.Action == "retention.purge" {
				purges++
			}
		}
		if purges != 3 {
			t.Errorf("%d retention.purge entries in the audit log, want 3 (one per purge that removed something)", purges)
		}
	})
}
