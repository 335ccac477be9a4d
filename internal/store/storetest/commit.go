package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
)

func testCommit(t *testing.T, open Opener) {
	t.Run("new events", func(t *testing.T) {
		f := newFixture(t, open)
		w := write(f.org.ID, "visitor-1", "session-1", ev("event-01", base), ev("event-02", base.Add(time.Second)), ev("event-03", base.Add(2*time.Second)))
		out := f.commit(w)
		if out[0] != (collect.CommitResult{Stored: 3}) {
			t.Fatalf("outcome %+v", out[0])
		}
		for i := 1; i < len(w.Events); i++ {
			if w.Events[i].Seq <= w.Events[i-1].Seq || w.Events[0].Seq == 0 {
				t.Fatalf("seqs not assigned in client order: %d, %d", w.Events[i-1].Seq, w.Events[i].Seq)
			}
		}
		s := f.session(f.org.ID, "session-1")
		if s.EventCount != 3 || !s.StartedAt.Equal(presage.StoredTime(base)) || !s.LastEventAt.Equal(presage.StoredTime(base.Add(2*time.Second))) {
			t.Fatalf("session %+v", s)
		}
		v := f.visitor(f.org.ID, "visitor-1")
		if v.SessionCount != 1 || v.CustomerID != "" || !v.FirstSeenAt.Equal(presage.StoredTime(base)) || !v.LastSeenAt.Equal(presage.StoredTime(base.Add(2*time.Second))) {
			t.Fatalf("visitor %+v", v)
		}
		if got, err := f.e.CommitWrites(f.ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("empty commit: %v, %v", got, err)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		f := newFixture(t, open)
		paris := time.FixedZone("CET", 3600)
		e := ev("event-rt-1", base.In(paris))
		e.Type, e.Name = presage.EventCustom, "product_added"
		e.Attributes = json.RawMessage(`{"price":23.5,"added":{"dataType":"date","value":"2026-11-29"},"note":"é \"q\""}`)
		e.ReceivedAt = base.Add(1234567 * time.Nanosecond)
		plain := ev("event-rt-2", base.Add(time.Millisecond))
		plain.Attributes, plain.Name, plain.Context = nil, "", presage.Enrichment{}
		w := write(f.org.ID, "visitor-rt", "session-rt", e, plain)
		w.Session.Context.UTM.Content = "banner"
		f.commit(w)
		got := f.events(f.org.ID, "session-rt")
		if len(got) != 2 {
			t.Fatalf("%d events", len(got))
		}
		g := got[0]
		if g.ID != e.ID || g.OrgID != f.org.ID || g.SessionID != "session-rt" || g.VisitorID != "visitor-rt" ||
			g.Type != presage.EventCustom || g.Name != "product_added" || g.URL != e.URL || g.Title != e.Title ||
			g.Referrer != e.Referrer || g.Context != enrichment || g.Seq != w.Events[0].Seq {
			t.Fatalf("event %+v", g)
		}
		if !g.OccurredAt.Equal(presage.StoredTime(base)) || g.OccurredAt.Location() != time.UTC || g.OccurredAt.Nanosecond()%int(time.Millisecond) != 0 ||
			!g.ReceivedAt.Equal(presage.StoredTime(e.ReceivedAt)) || g.ReceivedAt.Location() != time.UTC {
			t.Fatalf("times %v %v, want %v %v in UTC", g.OccurredAt, g.ReceivedAt, presage.StoredTime(base), presage.StoredTime(e.ReceivedAt))
		}
		jsonEqual(t, "attributes", g.Attributes, e.Attributes)
		if got[1].Attributes != nil || got[1].Name != "" || got[1].Context != (presage.Enrichment{}) {
			t.Fatalf("empty fields came back as %+v", got[1])
		}
		s := f.session(f.org.ID, "session-rt")
		want := w.Session
		if s.VisitorID != "visitor-rt" || s.LandingURL != want.LandingURL || s.Referrer != want.Referrer ||
			s.Context != want.Context || s.IPPrefix != want.IPPrefix || s.TimeZone != want.TimeZone ||
			s.Language != want.Language || s.OrgID != f.org.ID || s.StartedAt.Location() != time.UTC {
			t.Fatalf("session %+v, want %+v", s, want)
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		w1 := write(org, "visitor-d", "session-d", ev("event-d1", base), ev("event-d2", base.Add(time.Second)))
		f.commit(w1)
		seq := w1.Events[0].Seq
		cases := []struct {
			name   string
			writes []collect.Write
			want   []collect.CommitResult
		}{
			{"across calls", []collect.Write{write(org, "visitor-d", "session-d", ev("event-d1", base), ev("event-d2", base))},
				[]collect.CommitResult{{Duplicates: 2}}},
			{"within a write", []collect.Write{write(org, "visitor-d", "session-d", ev("event-d3", base), ev("event-d3", base), ev("event-d1", base))},
				[]collect.CommitResult{{Stored: 1, Duplicates: 2}}},
			{"within a call", []collect.Write{
				write(org, "visitor-d", "session-d", ev("event-d4", base), ev("event-d5", base)),
				write(org, "visitor-d", "session-d", ev("event-d5", base), ev("event-d6", base))},
				[]collect.CommitResult{{Stored: 2}, {Stored: 1, Duplicates: 1}}},
		}
		for _, c := range cases {
			if got := f.commit(c.writes...); !slices.Equal(got, c.want) {
				t.Fatalf("%s: outcomes %+v, want %+v", c.name, got, c.want)
			}
		}
		evs := f.events(org, "session-d")
		if len(evs) != 6 || f.session(org, "session-d").EventCount != 6 {
			t.Fatalf("%d events stored, session counts %d, want 6", len(evs), f.session(org, "session-d").EventCount)
		}
		if evs[0].ID != "event-d1" || evs[0].Seq != seq || evs[0].URL != w1.Events[0].URL {
			t.Fatalf("a duplicate changed the stored event: %+v", evs[0])
		}
		if v := f.visitor(org, "visitor-d"); v.SessionCount != 1 {
			t.Fatalf("session count %d after re-sending one session", v.SessionCount)
		}
	})

	t.Run("session and visitor span", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		first := write(org, "visitor-s", "session-s1", ev("event-s1", base.Add(time.Hour)))
		f.commit(first)
		later := write(org, "visitor-s", "session-s1", ev("event-s2", base), ev("event-s3", base.Add(2*time.Hour)))
		later.Session.LandingURL, later.Session.TimeZone = "https://shop.example/other", "UTC"
		second := write(org, "visitor-s", "session-s2", ev("event-s4", base.Add(3*time.Hour)))
		again := write(org, "visitor-s", "session-s2", ev("event-s5", base.Add(4*time.Hour)))
		f.commit(later, second, again)
		s := f.session(org, "session-s1")
		if !s.StartedAt.Equal(presage.StoredTime(base)) || !s.LastEventAt.Equal(presage.StoredTime(base.Add(2*time.Hour))) || s.EventCount != 3 {
			t.Fatalf("session span %v..%v count %d", s.StartedAt, s.LastEventAt, s.EventCount)
		}
		if s.LandingURL != first.Session.LandingURL || s.TimeZone != "Europe/Paris" {
			t.Fatalf("landing fields changed by a later batch: %+v", s)
		}
		if s2 := f.session(org, "session-s2"); s2.EventCount != 2 || !s2.StartedAt.Equal(presage.StoredTime(base.Add(3*time.Hour))) {
			t.Fatalf("session 2 %+v", s2)
		}
		v := f.visitor(org, "visitor-s")
		if v.SessionCount != 2 || !v.FirstSeenAt.Equal(presage.StoredTime(base)) || !v.LastSeenAt.Equal(presage.StoredTime(base.Add(4*time.Hour))) {
			t.Fatalf("visitor %+v", v)
		}
	})

	t.Run("later batches extend spans and counts", func(t *testing.T) {
		// The engines may update only counters and last-seen times when a
		// start does not move; the visible result must be the same.
		f := newFixture(t, open)
		org := f.org.ID
		first := write(org, "visitor-t", "session-t1", ev("event-t1", base), ev("event-t2", base.Add(time.Minute)))
		f.commit(first)
		next := write(org, "visitor-t", "session-t1", ev("event-t3", base.Add(2*time.Minute)))
		next.Session.LandingURL = "https://shop.example/elsewhere"
		f.commit(next)
		f.commit(write(org, "visitor-t", "session-t1", ev("event-t3", base.Add(2*time.Minute)))) // a retry: nothing changes
		f.commit(write(org, "visitor-t", "session-t2", ev("event-t4", base.Add(time.Hour))))
		s := f.session(org, "session-t1")
		if !s.StartedAt.Equal(presage.StoredTime(base)) || !s.LastEventAt.Equal(presage.StoredTime(base.Add(2*time.Minute))) || s.EventCount != 3 {
			t.Fatalf("session span %v..%v count %d", s.StartedAt, s.LastEventAt, s.EventCount)
		}
		if s.LandingURL != first.Session.LandingURL {
			t.Fatalf("landing URL changed by a later batch: %q", s.LandingURL)
		}
		v := f.visitor(org, "visitor-t")
		if v.SessionCount != 2 || !v.FirstSeenAt.Equal(presage.StoredTime(base)) || !v.LastSeenAt.Equal(presage.StoredTime(base.Add(time.Hour))) {
			t.Fatalf("visitor %+v", v)
		}
		// An event earlier than the session's end but after its start moves
		// nothing but the count.
		f.commit(write(org, "visitor-t", "session-t1", ev("event-t5", base.Add(30*time.Second))))
		if s := f.session(org, "session-t1"); !s.LastEventAt.Equal(presage.StoredTime(base.Add(2*time.Minute))) || s.EventCount != 4 {
			t.Fatalf("session span %v..%v count %d", s.StartedAt, s.LastEventAt, s.EventCount)
		}
		if v := f.visitor(org, "visitor-t"); v.SessionCount != 2 || !v.LastSeenAt.Equal(presage.StoredTime(base.Add(time.Hour))) {
			t.Fatalf("visitor %+v", v)
		}
	})

	t.Run("seq orders equal times", func(t *testing.T) {
		f := newFixture(t, open)
		var evs []presage.Event
		for _, id := range []string{"event-z", "event-a", "event-m", "event-b"} {
			evs = append(evs, ev(id, base))
		}
		f.commit(write(f.org.ID, "visitor-q", "session-q", evs...))
		got := ids(f.events(f.org.ID, "session-q"), func(e presage.Event) string { return e.ID })
		if want := []string{"event-z", "event-a", "event-m", "event-b"}; !slices.Equal(got, want) {
			t.Fatalf("order %v, want client order %v", got, want)
		}
	})

	t.Run("rejects a write without ids", func(t *testing.T) {
		f := newFixture(t, open)
		w := write(f.org.ID, "visitor-x", "session-x", ev("event-x", base))
		w.Session.ID = ""
		if _, err := f.e.CommitWrites(context.Background(), []collect.Write{w}); err == nil {
			t.Fatal("write without a session id was committed")
		}
	})
}
