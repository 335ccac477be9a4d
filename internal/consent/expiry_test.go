package consent

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

func TestExpireDue(t *testing.T) {
	e := newEnv(t)
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics", "support"}})
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"sales"}})
	_ = e.svc.Signal(bg, e.org, visitorA, presage.PrivacySignals{GPC: true}, "", "") // marketing objected: never expires
	e.decide(t, DecisionInput{VisitorID: visitorKnown, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics"}})
	e.clock.Advance(time.Hour)
	e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics"}})

	if n, err := e.svc.ExpireDue(bg, 100); err != nil || n != 0 {
		t.Fatalf("ExpireDue before the TTL = %d, %v", n, err)
	}
	e.clock.Advance(DefaultTTL - time.Hour)
	// visitorKnown renews just in time: it must not expire.
	e.decide(t, DecisionInput{VisitorID: visitorKnown, Action: ActionGrant, NoticeVersion: 1, Purposes: []string{"analytics"}})

	n, err := e.svc.ExpireDue(bg, 100)
	if err != nil || n != 2 {
		t.Fatalf("ExpireDue = %d, %v; want analytics and support of visitor A (sales was objected by GPC)", n, err)
	}
	want := map[string]Decision{"analytics": Expired, "support": Expired, "sales": Objected, "marketing": Objected}
	if got := e.states(t, visitorA); !equalDecisions(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
	recs, _ := e.store.SubjectRecords(bg, testOrg, visitorA, "")
	last := recs[len(recs)-1]
	if last.Action != ActionExpire || last.Method != MethodSystem || last.NoticeVersion != 0 || len(last.Decisions) != 2 {
		t.Errorf("expire record = %+v", last)
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); ok {
		t.Error("tracking allowed after expiry")
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorKnown); !ok {
		t.Error("a renewed grant expired")
	}
	if n, _ := e.svc.ExpireDue(bg, 100); n != 0 {
		t.Errorf("a second run expired %d more", n)
	}
	e.clock.Advance(time.Hour)
	if n, _ := e.svc.ExpireDue(bg, 100); n != 1 {
		t.Errorf("visitor B's grant: expired %d", n)
	}
	if rep, _ := e.svc.verifyChain(bg, testOrg); !rep.OK {
		t.Errorf("chain broken by expiry: %+v", rep.Problem)
	}
}

func TestExpireDueOnTwoNodes(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{visitorA, visitorB, visitorKnown, "visitor-dddd", "visitor-eeee"} {
		e.decide(t, grantAll(v))
	}
	e.clock.Advance(DefaultTTL)
	other := NewService(e.store, nil, Options{Now: e.clock.Now})
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, s := range []*Service{e.svc, other, e.svc, other} {
		wg.Go(func() {
			n, err := s.ExpireDue(bg, 3)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	testwait.Wait(t, &wg, testwait.Timeout, "the concurrent expiry passes")
	for {
		n, err := e.svc.ExpireDue(bg, 3)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != 20 {
		t.Errorf("expired %d states in all, want 20 (5 visitors × 4 purposes, each once)", total)
	}
	if recs, _ := e.store.Records(bg, testOrg, 0, 100); len(recs) != 10 {
		t.Errorf("%d records, want 5 decisions + 5 expiries", len(recs))
	}
}

func TestRunExpiry(t *testing.T) {
	e := newEnv(t)
	e.decide(t, grantAll(visitorA))
	e.clock.Advance(DefaultTTL)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { e.svc.RunExpiry(ctx, time.Millisecond); close(done) }()
	// RunExpiry's first pass comes at once, the next ones every millisecond
	// of real time: poll until one has expired the grant.
	testwait.Until(t, testwait.Timeout, "RunExpiry to expire the grant", func() bool {
		return e.states(t, visitorA)["analytics"] == Expired
	})
	cancel()
	testwait.Closed(t, done, testwait.Timeout, "RunExpiry to return once cancelled")
}
