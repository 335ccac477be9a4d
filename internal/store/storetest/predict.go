package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// prediction returns the prediction of outcomeID after events events, the
// last at at: its history has a point per event, one second apart, rising
// to p.
func prediction(sessionID, visitorID, outcomeID string, p float64, at time.Time, events int) presage.Prediction {
	h := make([]presage.ProbabilityPoint, events)
	for i := range h {
		h[i] = presage.ProbabilityPoint{At: at.Add(time.Duration(i-events+1) * time.Second), Probability: p * float64(i+1) / float64(events)}
	}
	return presage.Prediction{SessionID: sessionID, VisitorID: visitorID, OutcomeID: outcomeID, Probability: p,
		MaxProbability: p, Percentile: 100 * p, ModelVersion: 3, Events: events, UpdatedAt: at, History: h}
}

// samePrediction checks got against want, whose MaxProbability is the one
// the store keeps.
func samePrediction(t *testing.T, got, want presage.Prediction) {
	t.Helper()
	if got.OrgID != want.OrgID || got.SessionID != want.SessionID || got.VisitorID != want.VisitorID ||
		got.OutcomeID != want.OutcomeID || got.Probability != want.Probability || got.MaxProbability != want.MaxProbability ||
		got.Percentile != want.Percentile || got.ModelVersion != want.ModelVersion || got.Events != want.Events ||
		!got.UpdatedAt.Equal(presage.StoredTime(want.UpdatedAt)) || got.UpdatedAt.Location() != time.UTC || len(got.History) != len(want.History) {
		t.Fatalf("prediction = %+v,\nwant %+v", got, want)
	}
	for i, p := range got.History {
		w := want.History[i]
		// History is for charts: probabilities keep 6 significant digits.
		if !p.At.Equal(presage.StoredTime(w.At)) || p.At.Location() != time.UTC || math.Abs(p.Probability-w.Probability) > 1e-6 {
			t.Fatalf("history point %d = %+v, want %+v", i, p, w)
		}
	}
}

func (f *fixture) predictions(orgID, sessionID string) []presage.Prediction {
	f.t.Helper()
	ps, err := f.e.SessionPredictions(f.ctx, orgID, sessionID)
	if err != nil {
		f.t.Fatalf("session predictions: %v", err)
	}
	slices.SortFunc(ps, func(a, b presage.Prediction) int { return cmp.Compare(a.OutcomeID, b.OutcomeID) })
	return ps
}

func (f *fixture) sessionAchievements(orgID, sessionID string) []presage.Achievement {
	f.t.Helper()
	as, err := f.e.SessionAchievements(f.ctx, orgID, sessionID)
	if err != nil {
		f.t.Fatalf("session achievements: %v", err)
	}
	return as
}

// learn saves the next checkpoint of the outcome, holding the organization's
// training lease.
func (f *fixture) learn(orgID, outcomeID string) {
	f.t.Helper()
	lease := "train/" + orgID
	if ok, err := f.e.AcquireLease(f.ctx, lease, "node-test", base, time.Hour); err != nil || !ok {
		f.t.Fatalf("acquire lease: %v %v", ok, err)
	}
	version := int64(1)
	if c, err := f.e.LoadCheckpoint(f.ctx, orgID, outcomeID); err == nil {
		version = c.Version + 1
	} else if !presage.IsNotFound(err) {
		f.t.Fatal(err)
	}
	c := predict.Checkpoint{OrgID: orgID, OutcomeID: outcomeID, Version: version, Model: []byte("model"),
		Monitor: []byte("monitor"), Reference: []byte("reference"), UpdatedAt: base}
	if err := f.e.SaveCheckpoint(f.ctx, c, lease, "node-test"); err != nil {
		f.t.Fatalf("save checkpoint: %v", err)
	}
}

func testPredictions(t *testing.T, open Opener) {
	t.Run("stored with the events", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		w := write(org, "visitor-1", "session-1", ev("event-1", base), ev("event-2", base.Add(time.Second)))
		w.Predictions = []presage.Prediction{
			prediction("session-1", "visitor-1", outSignup, 0.125, base.Add(time.Second), 2),
			prediction("session-1", "visitor-1", outPurchase, 0.625, base.Add(time.Second), 2),
		}
		w.Achievements = []presage.Achievement{achievement("session-1", "visitor-1", outPurchase, "event-2", base.Add(time.Second), num(99.5))}
		if out := f.commit(w); out[0] != (collect.CommitResult{Stored: 2}) {
			t.Fatalf("outcome %+v", out[0])
		}
		got := f.predictions(org, "session-1")
		if len(got) != 2 {
			t.Fatalf("%d predictions", len(got))
		}
		for i, want := range []presage.Prediction{w.Predictions[1], w.Predictions[0]} {
			want.OrgID = org
			samePrediction(t, got[i], want)
		}
		as := f.sessionAchievements(org, "session-1")
		if len(as) != 1 || as[0].OrgID != org || as[0].OutcomeID != outPurchase || as[0].VisitorID != "visitor-1" ||
			as[0].EventID != "event-2" || !as[0].AchievedAt.Equal(presage.StoredTime(base.Add(time.Second))) || as[0].Value == nil || *as[0].Value != 99.5 {
			t.Fatalf("achievements %+v", as)
		}
		if ps := f.predictions(org, "session-none"); len(ps) != 0 {
			t.Fatalf("predictions of an unknown session: %+v", ps)
		}
	})

	t.Run("the maximum stays across commits", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		steps := []struct {
			p, max float64
		}{{0.7, 0.7}, {0.2, 0.7}, {0.9, 0.9}, {0.5, 0.9}}
		for i, s := range steps {
			at := base.Add(time.Duration(i) * time.Minute)
			w := write(org, "visitor-m", "session-m", ev(fmt.Sprintf("event-m%d", i), at))
			p := prediction("session-m", "visitor-m", outPurchase, s.p, at, i+1)
			w.Predictions = []presage.Prediction{p}
			f.commit(w)
			want := p
			want.OrgID, want.MaxProbability = org, s.max
			samePrediction(t, f.predictions(org, "session-m")[0], want)
		}
	})

	t.Run("the last write of a call wins, the maximum is of all", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		w1 := write(org, "visitor-l", "session-l", ev("event-l1", base))
		w1.Predictions = []presage.Prediction{prediction("session-l", "visitor-l", outPurchase, 0.8, base, 1)}
		w2 := write(org, "visitor-l", "session-l", ev("event-l2", base.Add(time.Second)))
		w2.Predictions = []presage.Prediction{
			prediction("session-l", "visitor-l", outPurchase, 0.3, base.Add(time.Second), 2),
			prediction("session-l", "visitor-l", outSignup, 0.05, base.Add(time.Second), 2),
		}
		w3 := write(org, "visitor-o", "session-o", ev("event-o1", base)) // no prediction
		f.commit(w1, w2, w3)
		got := f.predictions(org, "session-l")
		if len(got) != 2 {
			t.Fatalf("%d predictions", len(got))
		}
		want := w2.Predictions[0]
		want.OrgID, want.MaxProbability = org, 0.8
		samePrediction(t, got[0], want)
		if ps := f.predictions(org, "session-o"); len(ps) != 0 {
			t.Fatalf("a write without predictions stored %+v", ps)
		}
	})

	t.Run("the first achievement stays", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		w := write(org, "visitor-f", "session-f", ev("event-f1", base))
		w.Achievements = []presage.Achievement{achievement("session-f", "visitor-f", outPurchase, "event-f1", base, num(10))}
		f.commit(w)
		again := write(org, "visitor-f", "session-f", ev("event-f2", base.Add(time.Minute)))
		again.Achievements = []presage.Achievement{
			achievement("session-f", "visitor-f", outPurchase, "event-f2", base.Add(time.Minute), num(20)),
			achievement("session-f", "visitor-f", outSignup, "event-f2", base.Add(time.Minute), nil),
		}
		later := write(org, "visitor-f", "session-f", ev("event-f3", base.Add(2*time.Minute)))
		later.Achievements = []presage.Achievement{achievement("session-f", "visitor-f", outSignup, "event-f3", base.Add(2*time.Minute), num(1))}
		f.commit(again, later)
		as := f.sessionAchievements(org, "session-f")
		slices.SortFunc(as, func(a, b presage.Achievement) int { return cmp.Compare(a.OutcomeID, b.OutcomeID) })
		if len(as) != 2 || as[0].EventID != "event-f1" || *as[0].Value != 10 || as[1].EventID != "event-f2" || as[1].Value != nil {
			t.Fatalf("achievements %+v", as)
		}
	})

	t.Run("history keeps the latest points", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		n := presage.MaxPredictionHistory + 20
		w := write(org, "visitor-h", "session-h", ev("event-h", base))
		p := prediction("session-h", "visitor-h", outPurchase, 0.5, base, n)
		w.Predictions = []presage.Prediction{p}
		f.commit(w)
		want := p
		want.OrgID, want.History = org, p.History[20:]
		samePrediction(t, f.predictions(org, "session-h")[0], want)
	})

	t.Run("a bad prediction fails the whole call", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		w := write(org, "visitor-x", "session-x", ev("event-x", base))
		w.Predictions = []presage.Prediction{prediction("session-x", "visitor-x", "", 0.5, base, 1)}
		if _, err := f.e.CommitWrites(context.Background(), []collect.Write{w}); err == nil {
			t.Fatal("a prediction without an outcome was committed")
		}
		if _, err := f.e.GetSession(f.ctx, org, "session-x"); !presage.IsNotFound(err) {
			t.Fatalf("the refused call stored its session: %v", err)
		}
	})
}

func testScoringReads(t *testing.T, open Opener) {
	t.Run("session events in storage order", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		f.commit(write(org, "visitor-1", "session-1", ev("event-late", base.Add(2*time.Second)), ev("event-early", base)))
		f.commit(write(org, "visitor-1", "session-1", ev("event-mid", base.Add(time.Second))))
		evs, err := f.e.SessionEvents(f.ctx, org, "session-1")
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(evs, func(e presage.Event) string { return e.ID }); !slices.Equal(got, []string{"event-late", "event-early", "event-mid"}) {
			t.Fatalf("events %v, want the order they were stored", got)
		}
		if evs[0].Seq >= evs[1].Seq || evs[1].Seq >= evs[2].Seq || evs[0].URL == "" || evs[0].Context != enrichment {
			t.Fatalf("events %+v", evs)
		}
		if none, err := f.e.SessionEvents(f.ctx, org, "session-none"); err != nil || len(none) != 0 {
			t.Fatalf("events of an unknown session: %v %v", none, err)
		}
	})

	t.Run("visitor history", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		at := func(d time.Duration) time.Time { return base.Add(d) }
		sess := func(visitor, id string, start, last time.Duration, achieved ...string) collect.Write {
			w := write(org, visitor, id, ev("e1-"+id, at(start)), ev("e2-"+id, at(last)))
			for _, o := range achieved {
				w.Achievements = append(w.Achievements, achievement(id, visitor, o, "e2-"+id, at(last), nil))
			}
			return w
		}
		f.commit(
			sess("visitor-h", "h1", 0, 10*time.Minute, outPurchase),
			sess("visitor-h", "h2", time.Hour, time.Hour+5*time.Minute, outSignup, outPurchase),
			sess("visitor-h", "h3", 2*time.Hour, 2*time.Hour),
			sess("visitor-h", "h4", 3*time.Hour, 3*time.Hour+time.Minute, outOther),
			sess("visitor-x", "x1", 30*time.Minute, 40*time.Minute, outSignup),
		)
		cases := []struct {
			name, visitor, except string
			before                time.Duration
			want                  predict.VisitorHistory
		}{
			{"before the current session", "visitor-h", "h3", 2 * time.Hour,
				predict.VisitorHistory{PastSessions: 2, LastVisit: presage.StoredTime(at(time.Hour + 5*time.Minute)), Achieved: []string{outPurchase, outSignup}}},
			{"the given session is left out", "visitor-h", "h2", 2 * time.Hour,
				predict.VisitorHistory{PastSessions: 1, LastVisit: presage.StoredTime(at(10 * time.Minute)), Achieved: []string{outPurchase}}},
			{"a session starting at before is not earlier", "visitor-h", "h3", time.Hour,
				predict.VisitorHistory{PastSessions: 1, LastVisit: presage.StoredTime(at(10 * time.Minute)), Achieved: []string{outPurchase}}},
			{"a first session", "visitor-h", "h1", 0, predict.VisitorHistory{}},
			{"every earlier session", "visitor-h", "h5", 4 * time.Hour,
				predict.VisitorHistory{PastSessions: 4, LastVisit: presage.StoredTime(at(3*time.Hour + time.Minute)), Achieved: []string{outOther, outPurchase, outSignup}}},
			{"an unknown visitor", "visitor-none", "", 4 * time.Hour, predict.VisitorHistory{}},
			// h2 overlaps a session starting at 1h02: only what was known then counts.
			{"an overlapping session as known at before", "visitor-h", "h3", time.Hour + 2*time.Minute,
				predict.VisitorHistory{PastSessions: 2, LastVisit: presage.StoredTime(at(time.Hour + 2*time.Minute)), Achieved: []string{outPurchase}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := f.e.VisitorHistory(f.ctx, org, c.visitor, c.except, at(c.before))
				if err != nil {
					t.Fatal(err)
				}
				if got.PastSessions != c.want.PastSessions || !got.LastVisit.Equal(c.want.LastVisit) ||
					!slices.Equal(got.Achieved, c.want.Achieved) || (!got.LastVisit.IsZero() && got.LastVisit.Location() != time.UTC) {
					t.Fatalf("history %+v, want %+v", got, c.want)
				}
			})
		}
	})
}

func testLeases(t *testing.T, open Opener) {
	t.Run("acquire, renew, expire, release", func(t *testing.T) {
		f := newFixture(t, open)
		const lease = "train/org_1"
		ttl := time.Minute
		steps := []struct {
			name    string
			holder  string
			at      time.Duration
			release bool
			want    bool
		}{
			{"free", "node-a", 0, false, true},
			{"held by another", "node-b", 30 * time.Second, false, false},
			{"renewed by its holder", "node-a", 30 * time.Second, false, true},
			{"held until its expiry included", "node-b", 90 * time.Second, false, false},
			{"expired", "node-b", 90*time.Second + time.Millisecond, false, true},
			{"lost by the former holder", "node-a", 2 * time.Minute, false, false},
			{"released by another: no effect", "node-a", 0, true, false},
			{"still held", "node-c", 2 * time.Minute, false, false},
			{"released by its holder", "node-b", 0, true, false},
			{"free again", "node-c", 2 * time.Minute, false, true},
		}
		for _, s := range steps {
			if s.release {
				if err := f.e.ReleaseLease(f.ctx, lease, s.holder); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				continue
			}
			got, err := f.e.AcquireLease(f.ctx, lease, s.holder, base.Add(s.at), ttl)
			if err != nil || got != s.want {
				t.Fatalf("%s: acquire by %s = %v (%v), want %v", s.name, s.holder, got, err, s.want)
			}
		}
		if ok, err := f.e.AcquireLease(f.ctx, "train/org_2", "node-a", base, ttl); err != nil || !ok {
			t.Fatalf("another lease name: %v %v", ok, err)
		}
		if err := f.e.ReleaseLease(f.ctx, "train/none", "node-a"); err != nil {
			t.Fatalf("release of an unknown lease: %v", err)
		}
	})

	t.Run("one winner among nodes", func(t *testing.T) {
		f := newFixture(t, open)
		const workers = 8
		results := make(chan error, workers)
		won := make(chan string, workers)
		start := make(chan struct{})
		for g := range workers {
			go func() {
				<-start
				holder := fmt.Sprintf("node-%d", g)
				ok, err := f.e.AcquireLease(f.ctx, "train/race", holder, base, time.Minute)
				if ok {
					won <- holder
				}
				results <- err
			}()
		}
		close(start)
		for range workers {
			if err := <-results; err != nil {
				t.Fatalf("acquire: %v", err)
			}
		}
		close(won)
		var winners []string
		for w := range won {
			winners = append(winners, w)
		}
		if len(winners) != 1 {
			t.Fatalf("winners %v, want exactly one", winners)
		}
		if ok, err := f.e.AcquireLease(f.ctx, "train/race", winners[0], base.Add(time.Second), time.Minute); err != nil || !ok {
			t.Fatalf("the winner cannot renew: %v %v", ok, err)
		}
	})
}

func testCheckpoints(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	const lease = "train/acme"
	if ok, err := f.e.AcquireLease(f.ctx, lease, "node-a", base, time.Minute); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	checkpoint := func(outcomeID string, version int64, updated time.Duration) predict.Checkpoint {
		return predict.Checkpoint{OrgID: org, OutcomeID: outcomeID, Version: version,
			Model: []byte{0x01, 0x00, 0xff, byte(version)}, Monitor: []byte("monitor"), Reference: []byte{},
			Cursor:   presage.Cursor{T: base.Add(-time.Hour), ID: fmt.Sprintf("session-%d", version)},
			Examples: 40 * version, Sessions: 10 * version, Positives: 3 * version, UpdatedAt: base.Add(updated)}
	}
	version := func() int64 {
		t.Helper()
		c, err := f.e.LoadCheckpoint(f.ctx, org, outPurchase)
		if err != nil {
			t.Fatal(err)
		}
		return c.Version
	}

	t.Run("none yet", func(t *testing.T) {
		_, err := f.e.LoadCheckpoint(f.ctx, org, outPurchase)
		wantCode(t, "load", err, presage.CodeNotFound)
		if v, err := f.e.ModelVersions(f.ctx, org); err != nil || len(v) != 0 {
			t.Fatalf("versions %v %v", v, err)
		}
	})

	t.Run("first save and round trip", func(t *testing.T) {
		c := checkpoint(outPurchase, 1, 10*time.Second)
		if err := f.e.SaveCheckpoint(f.ctx, c, lease, "node-a"); err != nil {
			t.Fatal(err)
		}
		got, err := f.e.LoadCheckpoint(f.ctx, org, outPurchase)
		if err != nil {
			t.Fatal(err)
		}
		if got.OrgID != org || got.OutcomeID != outPurchase || got.Version != 1 || !slices.Equal(got.Model, c.Model) ||
			!slices.Equal(got.Monitor, c.Monitor) || len(got.Reference) != 0 || got.Cursor.ID != c.Cursor.ID ||
			!got.Cursor.T.Equal(presage.StoredTime(c.Cursor.T)) || got.Cursor.T.Location() != time.UTC || got.Examples != 40 ||
			got.Sessions != 10 || got.Positives != 3 || !got.UpdatedAt.Equal(presage.StoredTime(c.UpdatedAt)) || got.UpdatedAt.Location() != time.UTC {
			t.Fatalf("checkpoint %+v,\nwant %+v", got, c)
		}
		if v, err := f.e.ModelVersions(f.ctx, org); err != nil || len(v) != 1 || v[outPurchase] != 1 {
			t.Fatalf("versions %v %v", v, err)
		}
	})

	t.Run("version fencing", func(t *testing.T) {
		for _, v := range []int64{0, 1, 3} {
			err := f.e.SaveCheckpoint(f.ctx, checkpoint(outPurchase, v, 20*time.Second), lease, "node-a")
			wantCode(t, fmt.Sprintf("version %d after 1", v), err, presage.CodeConflict)
		}
		wantCode(t, "version 2 of a new model", f.e.SaveCheckpoint(f.ctx, checkpoint(outSignup, 2, 0), lease, "node-a"),
			presage.CodeConflict)
		if v := version(); v != 1 {
			t.Fatalf("a refused save wrote: version %d", v)
		}
		if err := f.e.SaveCheckpoint(f.ctx, checkpoint(outPurchase, 2, 20*time.Second), lease, "node-a"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("concurrent savers of one version", func(t *testing.T) {
		const workers = 4
		errs := make(chan error, workers)
		for range workers {
			go func() {
				errs <- f.e.SaveCheckpoint(f.ctx, checkpoint(outPurchase, 3, 30*time.Second), lease, "node-a")
			}()
		}
		saved := 0
		for range workers {
			switch err := <-errs; presage.ErrorCode(err) {
			case "":
				saved++
			case presage.CodeConflict:
			default:
				t.Fatalf("save: %v", err)
			}
		}
		if saved != 1 || version() != 3 {
			t.Fatalf("%d saves of version 3 succeeded, stored version %d", saved, version())
		}
	})

	t.Run("lease fencing", func(t *testing.T) {
		next := checkpoint(outPurchase, 4, 40*time.Second)
		refused := []struct {
			name          string
			lease, holder string
			updated       time.Duration
		}{
			{"another holder", lease, "node-b", 40 * time.Second},
			{"after the expiry", lease, "node-a", time.Minute + time.Millisecond},
			{"an unknown lease", "train/other", "node-a", 40 * time.Second},
		}
		for _, r := range refused {
			c := next
			c.UpdatedAt = base.Add(r.updated)
			wantCode(t, r.name, f.e.SaveCheckpoint(f.ctx, c, r.lease, r.holder), presage.CodeConflict)
		}
		if v := version(); v != 3 {
			t.Fatalf("a refused save wrote: version %d", v)
		}
		// Held up to its expiry included.
		c := next
		c.UpdatedAt = base.Add(time.Minute)
		if err := f.e.SaveCheckpoint(f.ctx, c, lease, "node-a"); err != nil {
			t.Fatalf("save at the expiry: %v", err)
		}
		// Another node takes the expired lease: the former holder is fenced
		// off, whatever time it claims.
		if ok, err := f.e.AcquireLease(f.ctx, lease, "node-b", base.Add(2*time.Minute), time.Minute); err != nil || !ok {
			t.Fatalf("acquire expired lease: %v %v", ok, err)
		}
		late := checkpoint(outPurchase, 5, 50*time.Second)
		wantCode(t, "former holder", f.e.SaveCheckpoint(f.ctx, late, lease, "node-a"), presage.CodeConflict)
		late.UpdatedAt = base.Add(2 * time.Minute)
		if err := f.e.SaveCheckpoint(f.ctx, late, lease, "node-b"); err != nil {
			t.Fatalf("new holder: %v", err)
		}
	})
}

func testTraining(t *testing.T, open Opener) {
	t.Run("ended sessions", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		other := f.newOrg("Other").ID
		// received: when each session's batch reached the server, which
		// orders the ends (the session timeout after it), whatever its
		// events' own times: e1's are days old, e5's in the future.
		receipt := map[string]time.Duration{"e1": 0, "e2": time.Minute, "e3": time.Minute, "e4": 2 * time.Minute, "e5": 10 * time.Minute}
		occurred := map[string]time.Duration{"e1": -72 * time.Hour, "e2": 3 * time.Minute, "e3": -time.Minute, "e4": 0, "e5": 20 * time.Minute}
		var writes []collect.Write
		for id, d := range receipt {
			w := write(org, "visitor-"+id, id, ev("a-"+id, base.Add(occurred[id]-time.Hour)), ev("b-"+id, base.Add(occurred[id])))
			writes = append(writes, received(w, base.Add(d)))
		}
		writes = append(writes, received(write(other, "visitor-o", "o1", ev("a-o1", base)), base))
		f.commit(writes...)
		endedBefore := base.Add(presage.DefaultSessionTimeout + 5*time.Minute)
		var got []string
		after := presage.Cursor{}
		for range 10 {
			page, err := f.e.EndedSessions(f.ctx, org, after, endedBefore, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 2 {
				t.Fatalf("page of %d", len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, ids(page, func(s presage.Session) string { return s.ID })...)
			s := page[len(page)-1]
			wantEnd := presage.StoredTime(base.Add(receipt[s.ID] + presage.DefaultSessionTimeout))
			if s.OrgID != org || !s.EndsAt.Equal(wantEnd) || !s.ReceivedAt.Equal(presage.StoredTime(base.Add(receipt[s.ID]))) ||
				!s.LastEventAt.Equal(presage.StoredTime(base.Add(occurred[s.ID]))) || s.EventCount != 2 {
				t.Fatalf("session %+v, want it to end at %v", s, wantEnd)
			}
			after = presage.Cursor{T: s.EndsAt, ID: s.ID}
		}
		if want := []string{"e1", "e2", "e3", "e4"}; !slices.Equal(got, want) {
			t.Fatalf("ended sessions %v, want %v", got, want)
		}
		mid, err := f.e.EndedSessions(f.ctx, org, presage.Cursor{T: base.Add(time.Minute + presage.DefaultSessionTimeout), ID: "e2"}, endedBefore, 10)
		if err != nil || !slices.Equal(ids(mid, func(s presage.Session) string { return s.ID }), []string{"e3", "e4"}) {
			t.Fatalf("after e2: %v (%v)", ids(mid, func(s presage.Session) string { return s.ID }), err)
		}
		if none, err := f.e.EndedSessions(f.ctx, org, presage.Cursor{}, base.Add(presage.DefaultSessionTimeout), 10); err != nil || len(none) != 0 {
			t.Fatalf("nothing ended before the first end: %v %v", len(none), err)
		}
	})

	t.Run("a session ends by the batches received while it was open", func(t *testing.T) {
		f := newFixture(t, open)
		org := f.org.ID
		end := func(id string) presage.Session {
			t.Helper()
			s, err := f.e.GetSession(f.ctx, org, id)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		timeout := presage.DefaultSessionTimeout
		f.commit(received(write(org, "visitor-x", "x", ev("x1", base)), base))
		// Received while open: the end moves to the timeout after it.
		f.commit(received(write(org, "visitor-x", "x", ev("x2", base.Add(time.Minute))), base.Add(20*time.Minute)))
		if s := end("x"); !s.EndsAt.Equal(presage.StoredTime(base.Add(20*time.Minute + timeout))) {
			t.Fatalf("after a batch received while open: ends %v", s.EndsAt)
		}
		// A retried batch (nothing new stored) does not extend it.
		f.commit(received(write(org, "visitor-x", "x", ev("x2", base.Add(time.Minute))), base.Add(40*time.Minute)))
		if s := end("x"); !s.EndsAt.Equal(presage.StoredTime(base.Add(20*time.Minute+timeout))) ||
			!s.ReceivedAt.Equal(presage.StoredTime(base.Add(20*time.Minute))) {
			t.Fatalf("after a retried batch: received %v, ends %v", s.ReceivedAt, s.EndsAt)
		}
		// Received after the end (a queue resent days later): stored, and
		// the end stays where the trainer learned it.
		late := base.Add(72 * time.Hour)
		f.commit(received(write(org, "visitor-x", "x", ev("x3", base.Add(2*time.Minute))), late))
		s := end("x")
		if !s.EndsAt.Equal(presage.StoredTime(base.Add(20*time.Minute+timeout))) || !s.ReceivedAt.Equal(presage.StoredTime(late)) || s.EventCount != 3 {
			t.Fatalf("after a batch received after the end: received %v, ends %v, %d events", s.ReceivedAt, s.EndsAt, s.EventCount)
		}
		// Two batches of one session in one commit: the later ends it.
		w1 := received(write(org, "visitor-y", "y", ev("y1", base)), base)
		w2 := received(write(org, "visitor-y", "y", ev("y2", base.Add(time.Second))), base.Add(time.Second))
		f.commit(w1, w2)
		if s := end("y"); !s.EndsAt.Equal(presage.StoredTime(base.Add(time.Second + timeout))) {
			t.Fatalf("two batches in one commit: ends %v", s.EndsAt)
		}
	})

	t.Run("organizations with outcomes", func(t *testing.T) {
		f := newFixture(t, open)
		a, b := f.org.ID, f.newOrg("Beta").ID
		f.newOrg("Gamma")
		if got, err := f.e.OrganizationsWithOutcomes(f.ctx); err != nil || len(got) != 0 {
			t.Fatalf("before any outcome: %v %v", got, err)
		}
		f.createOutcome(newOutcome(a, outPurchase, "purchase", base))
		f.createOutcome(newOutcome(a, outSignup, "signup", base))
		f.createOutcome(newOutcome(b, outPurchase, "purchase", base))
		got, err := f.e.OrganizationsWithOutcomes(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{a, b}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("organizations %v, want %v", got, want)
		}
	})
}
