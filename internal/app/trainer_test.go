package app

import (
	"context"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/testwait"
)

// stopMidPass ends the trainer's run while a pass reads the store, as a
// shutdown does when it arrives in the middle of a pass.
type stopMidPass struct {
	predict.Store
	stop context.CancelFunc
}

func (s stopMidPass) ModelVersions(ctx context.Context, orgID string) (map[string]int64, error) {
	s.stop()
	return nil, ctx.Err()
}

// TestTrainerStoppedMidPassReleasesItsLeases: a trainer stopped in the
// middle of a pass still releases the leases it holds, so another node takes
// over at once rather than after the lease's TTL.
func TestTrainerStoppedMidPassReleasesItsLeases(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		cfg.NoTrainer = true   // the test drives its own trainer
		n := startNode(t, cfg) // the demo organization has outcomes to train
		org := n.App.Demo.Org.ID
		now := time.Now()
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		tr := predict.NewTrainer(stopMidPass{n.App.Engine, stop}, predict.TrainerOptions{Holder: "node-a",
			LeaseTTL: time.Hour, Now: func() time.Time { return now }})
		done := make(chan error, 1)
		go func() { done <- tr.Run(ctx) }()
		if err := testwait.Recv(t, done, testwait.Timeout, "the trainer to stop"); err != nil {
			t.Fatalf("run: %v", err)
		}
		if tr.Leads(org) {
			t.Errorf("the stopped trainer still leads %s", org)
		}
		if ok, err := n.App.Engine.AcquireLease(context.Background(), "trainer/"+org, "node-b", now, time.Hour); err != nil || !ok {
			t.Errorf("another node cannot take the lease after the trainer stopped: %v %v", ok, err)
		}
	})
}
