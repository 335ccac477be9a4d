package sealed_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
	"github.com/presage-dev/presage/internal/store/sealed"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// BenchmarkCommitWrites measures CommitWrites with and without encryption
// at rest, on both engines, in two shapes of the collector's traffic
// (storetest.Writes: every write a new visitor, with realistic URLs,
// titles, referrers and attributes):
//   - single: one write of one event per call, a lone request;
//   - batch100: 100 writes of one event per call, a group commit of 100
//     requests, each needing a new data key (the worst case);
//   - batch100-returning: the same, by 100 returning visitors whose keys
//     are created in the first iteration and cached afterwards (new
//     sessions, known visitors): the cost of sealing alone.
//
// Each iteration commits one call into a database in clear and one into a
// database behind Wrap, in alternating order, so that the machine's load (shared
// with other test runs) weighs on both alike. It reports the events/s of
// each and sealed/clear, the ratio of their times (1.10 is 10 % slower).
// ns/op is the time of both calls.
//
// The key store is the engine's own, as a node opens it (a SQLite file
// beside the database, a PostgreSQL database): the data keys of new
// visitors are stored durably before their values commit, a write the
// clear engine does not make, and visitors whose keys are cached cost no
// key-store access.
func BenchmarkCommitWrites(b *testing.B) {
	shapes := []struct {
		name             string
		writes, perWrite int
		returning        bool
	}{{"single", 1, 1, false}, {"batch100", 100, 1, false}, {"batch100-returning", 100, 1, true}}
	for _, be := range backends {
		for _, sh := range shapes {
			b.Run(be.name+"/"+sh.name, func(b *testing.B) {
				clear, _ := be.open(b)
				raw, _ := be.open(b)
				benchCommit(b, clear, sealed.Wrap(raw, newKeyringOver(b, be.keyStore(b))), sh.writes, sh.perWrite, sh.returning)
			})
		}
	}
}

// benchCommit commits, in each iteration, a call of writes writes of
// perWrite events into clear and another into enc; building the writes is
// not timed. returning gives the writes of every iteration the visitors of
// the first.
func benchCommit(b *testing.B, clear, enc store.Engine, writes, perWrite int, returning bool) {
	ctx := context.Background()
	engines := []store.Engine{clear, enc}
	orgs := make([]string, len(engines))
	for i, e := range engines {
		org := presage.Organization{ID: presage.NewID("org"), Name: "bench " + presage.RandomToken(4),
			SiteKey: "pk_" + presage.RandomToken(16), IdentitySecret: []byte("x"), CreatedAt: time.Now()}
		if err := e.CreateOrganization(ctx, org); err != nil {
			b.Fatal(err)
		}
		orgs[i] = org.ID
	}
	b.ReportAllocs()
	elapsed := make([]time.Duration, len(engines))
	events := make([]int, len(engines))
	for i := 0; b.Loop(); i++ {
		for n := range engines {
			// Alternate which goes first: on PostgreSQL both databases
			// share one WAL, and the second commit of a pair may wait on
			// the first's flush.
			j := (n + i) % len(engines)
			e := engines[j]
			b.StopTimer()
			batch := storetest.Writes(orgs[j], i, writes, perWrite)
			if returning {
				for w := range batch {
					returningVisitor(&batch[w], fmt.Sprintf("returning-%04d", w))
				}
			}
			b.StartTimer()
			start := time.Now()
			out, err := e.CommitWrites(ctx, batch)
			elapsed[j] += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out {
				events[j] += o.Stored
			}
		}
	}
	if elapsed[0] > 0 && elapsed[1] > 0 {
		b.ReportMetric(float64(events[0])/elapsed[0].Seconds(), "clear-events/s")
		b.ReportMetric(float64(events[1])/elapsed[1].Seconds(), "sealed-events/s")
		b.ReportMetric(elapsed[1].Seconds()/elapsed[0].Seconds(), "sealed/clear")
	}
}

// returningVisitor makes w a write of the visitor id.
func returningVisitor(w *collect.Write, id string) {
	w.Visitor.ID, w.Session.VisitorID = id, id
	for i := range w.Events {
		w.Events[i].VisitorID = id
	}
}
