package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
)

// TestTrainerLearnsEachSessionOnceInAnyArrivalOrder stores sessions in an
// order unrelated to their events' times — some days old, as a tracker
// resending its queue or a backfill sends them — while the trainer runs
// between the batches, and extends some sessions after their end. Every
// session is learned exactly once, positives included: the trainer walks
// sessions in the order they end by the server's clock, and a batch
// received after a session's end does not make it learnable again.
func TestTrainerLearnsEachSessionOnceInAnyArrivalOrder(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		cfg, clock := predictionConfig(cfg)
		cfg.NoTrainer = true // the test steps its own trainer between batches
		n := startNode(t, cfg)
		sh := newShop(t, n, "Arrivals", clock)
		tr := predict.NewTrainer(n.App.Engine, predict.TrainerOptions{Holder: "node-a", Settle: testSettle,
			LeaseTTL: 24 * time.Hour, CheckpointEvery: time.Hour, Now: clock.Now})
		learn := func() {
			t.Helper()
			for {
				worked, err := tr.Step(context.Background(), true)
				if err != nil {
					t.Fatal(err)
				}
				if !worked {
					return
				}
			}
		}
		rng := rand.New(rand.NewPCG(21, 22))
		const sessions = 60
		type sent struct {
			visitor, session string
			buys             bool
		}
		var learnedBefore []sent // sessions stored before the latest pass: ended and learned
		var stored []sent
		buyers := 0
		for j, i := range rng.Perm(sessions) {
			s := newShopper(sh.rng)
			id := fmt.Sprintf("a%02d", i)
			// Events' own times: in session order i, hours to days before
			// the server receives them, in no relation to arrival order j.
			end := sh.now().Add(-time.Duration(sessions-i)*time.Hour - time.Duration(i%3)*48*time.Hour)
			evs := s.events("event-"+id, end)
			half := max(len(evs)/2, 1)
			sh.send(n, "visitor-"+id, "session-"+id, evs[:half])
			if j%3 == 0 {
				clock.Advance(10 * time.Minute) // its second batch arrives while it is open
			}
			if half < len(evs) {
				sh.send(n, "visitor-"+id, "session-"+id, evs[half:])
			}
			stored = append(stored, sent{"visitor-" + id, "session-" + id, s.buys})
			if s.buys {
				buyers++
			}
			if j%10 == 9 {
				clock.Advance(testSessionTimeout + testSettle + time.Second)
				learn()
				learnedBefore = append(learnedBefore[:0], stored...)
			}
			if j%7 == 6 && len(learnedBefore) > 0 {
				// A session learned already gets a late batch, a purchase
				// among it: stored, not learned again.
				late := learnedBefore[rng.IntN(len(learnedBefore))]
				sh.send(n, late.visitor, late.session, []map[string]any{{"id": fmt.Sprintf("late-%s-%d", late.session, j),
					"type": "custom", "name": "purchase", "ts": sh.now().Add(-time.Hour).UnixMilli(),
					"url": "https://shop.example/thanks", "attributes": map[string]any{"amount": 1}}})
			}
		}
		clock.Advance(testSessionTimeout + testSettle + time.Second)
		learn()
		m := sh.model(n)
		if m.Sessions != sessions || m.Total.Sessions != sessions || m.Total.Positives != buyers {
			t.Fatalf("model learned %d sessions (monitor %d, %d positives), want each of %d once (%d positives)",
				m.Sessions, m.Total.Sessions, m.Total.Positives, sessions, buyers)
		}
	})
}
