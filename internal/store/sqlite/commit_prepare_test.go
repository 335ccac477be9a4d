package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/sqlite"
	"github.com/presage-dev/presage/internal/store/storetest"
)

// Every statement of a commit is prepared before its transaction: one
// prepared inside it costs more than the rows it writes, which is how the
// records of pooled keys once cost a new visitor's commit 10 µs.
func TestCommitStatementsArePrepared(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	org := presage.Organization{ID: presage.NewID("org"), Name: "prepared", SiteKey: "pk_" + presage.RandomToken(16),
		IdentitySecret: []byte("x"), CreatedAt: time.Now()}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for round, n := range []int{1, 3, 16, 3} {
		writes := storetest.Writes(org.ID, round, n, 2)
		for i := range writes {
			writes[i].VisitorKeys = []collect.VisitorKey{{VisitorID: writes[i].Visitor.ID, KeyID: "dk" + presage.RandomToken(8), At: time.Now()}}
		}
		for range 2 { // new visitors and sessions, then the same ones again
			if _, err := db.CommitWrites(ctx, writes); err != nil {
				t.Fatal(err)
			}
			for i := range writes {
				for j := range writes[i].Events {
					writes[i].Events[j].ID += "-again"
				}
			}
		}
	}
	if n := sqlite.Unprepared(db); n != 0 {
		t.Fatalf("%d statements were prepared inside commits", n)
	}
}
