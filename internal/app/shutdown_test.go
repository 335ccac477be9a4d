package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

// TestGracefulShutdownDrainsInFlightBatches stops a node while clients post;
// every batch it acknowledged must be in the database afterwards.
func TestGracefulShutdownDrainsInFlightBatches(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	n := startNode(t, Config{DataDir: dir})
	shop := newTenant(t, n, "Drain")

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				prefix := fmt.Sprintf("evt-drain-%02d-%05d-", c, i)
				body, _ := json.Marshal(batch(shop.Org.SiteKey, fmt.Sprintf("visitor-drain-%02d", c),
					fmt.Sprintf("session-drain-%02d", c), prefix, 20, time.Now()))
				req, _ := http.NewRequest("POST", n.URL+"/v1/events", bytes.NewReader(body))
				req.Header.Set("Origin", shop.origin())
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the listener is closed: shutdown has begun
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					for j := 0; j < 20; j++ {
						acked = append(acked, fmt.Sprintf("%s%04d", prefix, j))
					}
					mu.Unlock()
				}
			}
		}(c)
	}
	// Stop the node while the clients post, once each has had about one
	// batch acknowledged (not after a fixed time, which a slow machine may
	// spend before the first answer).
	testwait.Until(t, 30*time.Second, "acknowledged batches", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 16*20
	})
	n.stop()
	close(stop)
	testwait.Wait(t, &wg, 30*time.Second, "the clients to stop")
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged before shutdown")
	}

	// Reopen the same database: every acknowledged event is there.
	again := startNode(t, Config{DataDir: dir})
	ctx := presage.WithPrincipal(context.Background(), presage.Principal{OrgID: shop.Org.ID, Scopes: presage.AllScopes})
	stored := map[string]bool{}
	for c := 0; c < 16; c++ {
		cursor := ""
		for {
			l, err := again.App.Journeys.Events(ctx, fmt.Sprintf("session-drain-%02d", c), 1000, cursor)
			if presage.IsNotFound(err) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range l.Items {
				stored[e.ID] = true
			}
			if l.Next == "" {
				break
			}
			cursor = l.Next
		}
	}
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("acknowledged event %s lost in shutdown (%d acknowledged, %d stored)", id, len(acked), len(stored))
		}
	}
	t.Logf("%d events acknowledged during the run, all stored", len(acked))
}
