package postgres_test

import (
	"testing"

	"github.com/presage-dev/presage/internal/store/storetest"
)

// BenchmarkCommitWrites: calls of 100 writes of 50 events (5000 events).
func BenchmarkCommitWrites(b *testing.B) {
	storetest.BenchmarkCommitWrites(b, open(b), 100)
}
