package storetest

import (
	"context"
	"testing"
)

// Run runs the contract suite against the engine open returns. open must
// return a fresh, migrated, empty engine and close it when t ends; Run calls
// it once per subtest.
func Run(t *testing.T, open Opener) {
	t.Run("Lifecycle", func(t *testing.T) {
		e := open(t)
		if err := e.Ping(context.Background()); err != nil {
			t.Fatalf("ping: %v", err)
		}
		if name := e.Engine(); name != "sqlite" && name != "postgres" {
			t.Fatalf("Engine() = %q", name)
		}
		if err := e.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	})
	t.Run("Organizations", func(t *testing.T) { testOrganizations(t, open) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, open) })
	t.Run("Commit", func(t *testing.T) { testCommit(t, open) })
	t.Run("Identify", func(t *testing.T) { testIdentify(t, open) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, open) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open) })
	t.Run("Isolation", func(t *testing.T) { testIsolation(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("Consent", func(t *testing.T) { testConsent(t, open) })
	t.Run("Erase", func(t *testing.T) { testErase(t, open) })
	t.Run("Subject", func(t *testing.T) { testSubject(t, open) })
	t.Run("Outcomes", func(t *testing.T) { testOutcomes(t, open) })
	t.Run("Achievements", func(t *testing.T) { testAchievements(t, open) })
	t.Run("Predictions", func(t *testing.T) { testPredictions(t, open) })
	t.Run("ScoringReads", func(t *testing.T) { testScoringReads(t, open) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open) })
	t.Run("Checkpoints", func(t *testing.T) { testCheckpoints(t, open) })
	t.Run("Training", func(t *testing.T) { testTraining(t, open) })
	t.Run("Privacy", func(t *testing.T) { testPrivacy(t, open) })
}
