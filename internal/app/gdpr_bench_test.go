package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// BenchmarkGDPR measures serving a data subject request about a subject
// holding 100,000 events, on both engines:
//
//	go test -run '^$' -bench GDPR -benchtime 1x ./internal/app/
//
// The subject (one identified visitor, 100 sessions of 1,000 events) is
// written once per engine through the app's Storage.Engine, so its rows are
// sealed with its data keys as the collector's would be; a second subject
// of 1,000 events shares the organization, so an erasure has to pick the
// subject's rows out of others. "export" then serves export requests and
// "erase" one erasure per iteration (a later iteration writes a fresh
// subject first, untimed), each through privacy.Service.Work until the
// request completes, as a node's job runner does. ns/op is the time from
// creating the request to its completion; events/s is the subject's events
// over that time. An erasure includes privacy's fixed TombstoneWait (2 s),
// the pause that lets every node's collector see the tombstones first.
func BenchmarkGDPR(b *testing.B) {
	for _, eng := range []struct {
		name   string
		config func(b *testing.B) Config
	}{
		{"sqlite", func(b *testing.B) Config { return Config{DataDir: filepath.Join(b.TempDir(), "data")} }},
		{"postgres", func(b *testing.B) Config {
			return Config{DataDir: b.TempDir(), DatabaseURL: storetest.PostgresURL(b)}
		}},
	} {
		b.Run(eng.name, func(b *testing.B) {
			a := openBenchApp(b, eng.config(b))
			ctx := context.Background()
			created, err := a.Tenants.CreateOrganization(presage.AsOperator(ctx, ""), "dsr bench", []string{"https://dsr.example"})
			if err != nil {
				b.Fatal(err)
			}
			// The engine returns the identity secret unwrapped; the blind
			// indexes of the identify are computed with it, as the collector does.
			org, err := a.Engine.GetOrganization(ctx, created.ID)
			if err != nil {
				b.Fatal(err)
			}
			dpo := presage.WithPrincipal(ctx, presage.Principal{OrgID: org.ID, KeyID: "key_bench", Scopes: []presage.Scope{presage.ScopeGDPR}})
			writeSubject(b, a, org, "grace@dsr.example", 1, 1000)
			email := func(i int) string { return fmt.Sprintf("ada%d@dsr.example", i) }
			start := time.Now()
			events := writeSubject(b, a, org, email(0), benchSessions, benchPerSession)
			b.Logf("%s: wrote a subject of %d events in %s", eng.name, events, time.Since(start).Round(time.Millisecond))

			b.Run("export", func(b *testing.B) {
				var busy time.Duration
				for b.Loop() {
					r, took := serveRequest(b, a, dpo, privacy.RequestExport, email(0))
					busy += took
					if got := r.Result.Counts["events"]; got != int64(events) {
						b.Fatalf("export of %d events, want %d: %+v", got, events, r.Result.Counts)
					}
				}
				b.ReportMetric(float64(events*b.N)/busy.Seconds(), "events/s")
			})
			b.Run("erase", func(b *testing.B) {
				var busy time.Duration
				for i := 0; b.Loop(); i++ {
					if i > 0 {
						b.StopTimer()
						writeSubject(b, a, org, email(i), benchSessions, benchPerSession)
						b.StartTimer()
					}
					r, took := serveRequest(b, a, dpo, privacy.RequestErase, email(i))
					busy += took
					if got := r.Result.Counts["events"]; got != int64(events) {
						b.Fatalf("erasure of %d events, want %d: %+v", got, events, r.Result.Counts)
					}
				}
				b.ReportMetric(float64(events*b.N)/busy.Seconds(), "events/s")
			})
		})
	}
}

const (
	benchSessions   = 100
	benchPerSession = 1000
)

// openBenchApp opens the app's storage and services (no HTTP server, no job
// runner: the benchmark calls Work itself) and closes them when b ends.
func openBenchApp(b *testing.B, cfg Config) *App {
	b.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := Open(context.Background(), cfg)
	if err != nil {
		b.Fatalf("open app: %v", err)
	}
	b.Cleanup(func() {
		if err := a.Close(context.Background()); err != nil {
			b.Errorf("close app: %v", err)
		}
	})
	return a
}

// writeSubject commits, through the sealed engine, an identified visitor
// with sessions × perSession events (plus its identify event), one session
// per transaction, and returns how many events were stored.
func writeSubject(b *testing.B, a *App, org presage.Organization, email string, sessions, perSession int) int {
	b.Helper()
	ctx := context.Background()
	visitor := "v" + presage.RandomToken(12)
	enr := presage.Enrichment{Device: "desktop", Browser: "Firefox", OS: "Linux", ReferrerClass: "email",
		UTM: presage.UTM{Source: "news", Medium: "email"}}
	base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Millisecond)
	stored := 0
	for s := range sessions {
		session := "s" + presage.RandomToken(12)
		start := base.Add(time.Duration(s) * time.Minute)
		w := collect.Write{OrgID: org.ID,
			Visitor: presage.Visitor{OrgID: org.ID, ID: visitor},
			Session: presage.Session{OrgID: org.ID, ID: session, VisitorID: visitor, Context: enr,
				IPPrefix: "203.0.113.0/24", TimeZone: "Europe/Paris", Language: "fr-FR"}}
		if s == 0 {
			traits := json.RawMessage(fmt.Sprintf(`{"email":%q,"givenName":"Ada"}`, email))
			w.Events = append(w.Events, presage.Event{ID: "e" + presage.RandomToken(12), Type: presage.EventIdentify,
				OccurredAt: start, URL: "https://dsr.example/account", Attributes: json.RawMessage("{}")})
			w.Identifications = []collect.Identification{{VisitorID: visitor,
				Identifiers: collect.Identifiers(org.IdentitySecret, org.PhoneRegion, collect.IdentityTraits{Email: email}),
				Lookups:     collect.Lookups(org.IdentitySecret, org.PhoneRegion, traits),
				Traits:      traits, At: start, NewCustomerID: presage.NewID("cus")}}
		}
		for i := range perSession {
			e := presage.Event{ID: fmt.Sprintf("e%s%04d", session, i), Type: presage.EventPageview,
				OccurredAt: start.Add(time.Duration(i) * 50 * time.Millisecond),
				URL:        fmt.Sprintf("https://dsr.example/products/item-%d?utm_source=news&utm_medium=email", i%97),
				Title:      fmt.Sprintf("Item %d — DSR Example", i%97), Referrer: "https://www.google.com/",
				Attributes: json.RawMessage("{}")}
			if i%5 == 4 {
				e.Type, e.Name = presage.EventCustom, "product_added"
				e.Attributes = json.RawMessage(fmt.Sprintf(`{"sku":"SKU-%04d","price":23.5,"currency":"EUR"}`, i%97))
			}
			w.Events = append(w.Events, e)
		}
		for i := range w.Events {
			w.Events[i].OrgID, w.Events[i].VisitorID, w.Events[i].SessionID = org.ID, visitor, session
			w.Events[i].ReceivedAt, w.Events[i].Context = w.Events[i].OccurredAt, enr
		}
		first, last := w.Events[0].OccurredAt, w.Events[len(w.Events)-1].OccurredAt
		w.Visitor.FirstSeenAt, w.Visitor.LastSeenAt = first, last
		w.Session.StartedAt, w.Session.LastEventAt, w.Session.LandingURL = first, last, w.Events[0].URL
		out, err := a.Engine.CommitWrites(ctx, []collect.Write{w})
		if err != nil {
			b.Fatalf("commit session %d of %s: %v", s, email, err)
		}
		stored += out[0].Stored
	}
	if want := sessions*perSession + 1; stored != want {
		b.Fatalf("%s: %d events stored, want %d", email, stored, want)
	}
	return stored
}

// serveRequest creates a request of type typ about email and calls Work
// until it completes, and returns it with the time that took.
func serveRequest(b *testing.B, a *App, dpo context.Context, typ privacy.RequestType, email string) (privacy.Request, time.Duration) {
	b.Helper()
	start := time.Now()
	r, err := a.Privacy.CreateRequest(dpo, privacy.RequestInput{Type: typ, Terms: []privacy.Term{{Type: privacy.SearchEmail, Value: email}},
		Confirm: typ == privacy.RequestErase})
	if err != nil {
		b.Fatalf("create %s request: %v", typ, err)
	}
	for {
		found, err := a.Privacy.Work(context.Background())
		if err != nil {
			b.Fatalf("work: %v", err)
		}
		r, err = a.Privacy.Request(dpo, r.ID)
		if err != nil {
			b.Fatalf("read request %s: %v", r.ID, err)
		}
		if r.Status == privacy.StatusCompleted {
			return r, time.Since(start)
		}
		// A failed step is retried only after a backoff of seconds: in a
		// benchmark that is a failure to report, not to wait out.
		if r.Status == privacy.StatusError || r.Error != "" || !found {
			b.Fatalf("%s request %s: status %s, step %s, attempts %d, error %q", typ, r.ID, r.Status, r.Progress.Step, r.Attempts, r.Error)
		}
	}
}
