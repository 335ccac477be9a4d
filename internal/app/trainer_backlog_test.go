package app

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// TestTrainerLearnsABacklog stores 50,000 ended sessions, then defines an
// outcome over them: one node learns them all, in passes that renew their
// lease while they work and checkpoint as they go. Its lease (200 ms) is
// shorter than a batch of 2,000 sessions takes to learn, as the 15 s
// default was on a large PostgreSQL store: a pass that outlived its lease
// had its checkpoint refused, dropped its learning and started again from
// the same cursor, for ever.
// Under the race detector it stores 5,000 (the same passes, ten times
// slower); scripts/test runs it once more without, at 50,000.
// PRESAGE_BACKLOG_SESSIONS sets another size (docs/prediction.md).
func TestTrainerLearnsABacklog(t *testing.T) {
	total := 50_000
	if raceEnabled {
		total = 5_000
	}
	if v, err := strconv.Atoi(os.Getenv("PRESAGE_BACKLOG_SESSIONS")); err == nil && v > 0 {
		total = v
	}
	engines(t, func(t *testing.T, cfg Config) {
		cfg.NoTrainer = true // the test runs its own, with a short lease
		n := startNode(t, cfg)
		tf := newTenant(t, n, "Backlog")
		ctx := context.Background()
		start := time.Now()
		const perCommit, perSession = 500, 4
		buyers := 0
		ended := time.Now().Add(-2 * presage.DefaultSessionTimeout)
		for round := 0; round*perCommit < total; round++ {
			writes := storetest.Writes(tf.Org.ID, round, min(perCommit, total-round*perCommit), perSession)
			for i := range writes {
				w := &writes[i]
				w.Session.ReceivedAt, w.Session.EndsAt = ended, ended.Add(presage.DefaultSessionTimeout)
				if (round*perCommit+i)%4 == 0 {
					last := &w.Events[len(w.Events)-1]
					last.Type, last.Name = presage.EventCustom, "purchase"
					buyers++
				}
			}
			if _, err := n.App.Engine.CommitWrites(ctx, writes); err != nil {
				t.Fatal(err)
			}
		}
		stored := time.Since(start)
		var out struct {
			ID string `json:"id"`
		}
		if code := n.call(http.MethodPost, "/api/v1/outcomes", tf.Key, map[string]any{"name": "purchase", "direction": "maximize",
			"condition": map[string]any{"kind": "event", "eventName": "purchase"}}, nil, &out); code != http.StatusCreated {
			t.Fatalf("create outcome: %d", code)
		}
		tr := predict.NewTrainer(n.App.Engine, predict.TrainerOptions{Holder: "backlog", Settle: time.Millisecond,
			LeaseTTL: 200 * time.Millisecond, Batch: 2000, CheckpointEvery: 500 * time.Millisecond, Interval: 10 * time.Millisecond})
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = tr.Run(runCtx) }()
		defer func() { stop(); <-done }()
		learnStart := time.Now()
		deadline := learnStart.Add(15 * time.Minute)
		var ck predict.Checkpoint
		for {
			var err error
			ck, err = n.App.Engine.LoadCheckpoint(ctx, tf.Org.ID, out.ID)
			if err == nil && ck.Sessions >= int64(total) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v: %d of %d sessions learned (%v)", time.Since(learnStart), ck.Sessions, total, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		learned := time.Since(learnStart)
		stop()
		<-done
		if ck, err := n.App.Engine.LoadCheckpoint(ctx, tf.Org.ID, out.ID); err != nil || ck.Sessions != int64(total) || ck.Positives != int64(buyers) {
			t.Fatalf("final model: %d sessions, %d positives (%v); want %d and %d, each once", ck.Sessions, ck.Positives, err, total, buyers)
		}
		t.Logf("%d sessions of %d events: stored in %v, learned in %v (%.0f sessions/s, %d checkpoints)",
			total, perSession, stored.Round(time.Millisecond), learned.Round(time.Millisecond),
			float64(total)/learned.Seconds(), ck.Version)
	})
}
