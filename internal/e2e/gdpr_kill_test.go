package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/testwait"
)

// TestGDPRErasureSurvivesAKill erases a subject holding 100,000 events,
// kills the server with SIGKILL while the erasure is deleting, restarts it
// on the same storage and checks through the API that the job resumed and
// completed exactly once: one "gdpr.request.completed" in the audit log,
// nothing of the subject left, and a second subject untouched.
//
// The restarted process is a new node: it claims the job only when the
// killed node's lease expires (privacy.Options.LeaseTTL, 30 s, not
// configurable from presage serve), so each engine takes at least that long.
func TestGDPRErasureSurvivesAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-event subject and waits out a 30 s lease per engine")
	}
	t.Run("sqlite", func(t *testing.T) { testGDPRKill(t, sqliteStorage(t)) })
	t.Run("postgres", func(t *testing.T) { testGDPRKill(t, postgresStorage(t)) })
}

const (
	gdprOrigin = "http://dsr.e2e.test"
	// A subject of gdprSessions sessions of gdprPerSession events, plus its
	// identify event: 100,001 events.
	gdprSessions   = 100
	gdprPerSession = 1000
	// gdprBatch is the collector's limit of events per request
	// (docs/collector-protocol.md).
	gdprBatch = 100
	// gdprKillStep is the checkpoint (Progress.Step) after which the server
	// is killed: the data keys are destroyed and the holders are deleting
	// rows, the longest step and the one a crash is likeliest to interrupt.
	gdprKillStep = "shredded"
)

// gdprRequest is a data subject request as GET /api/v1/gdpr/requests/{id}
// answers it (docs/api.md#data-subject-requests), reduced to what is checked.
type gdprRequest struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Progress struct {
		Step        string           `json:"step"`
		Percent     int              `json:"percent"`
		CustomerIDs []string         `json:"customerIds"`
		VisitorIDs  []string         `json:"visitorIds"`
		Counts      map[string]int64 `json:"counts"`
		Done        map[string]int64 `json:"done"`
	} `json:"progress"`
	Result *struct {
		NothingHeld bool             `json:"nothingHeld"`
		Counts      map[string]int64 `json:"counts"`
	} `json:"result"`
	Subject struct {
		Terms []json.RawMessage `json:"terms"`
	} `json:"subject"`
	Error    string      `json:"error"`
	Attempts int         `json:"attempts"`
	Scrubbed bool        `json:"scrubbed"`
	Audit    []gdprAudit `json:"audit"`
}

type gdprAudit struct {
	Seq    int64  `json:"seq"`
	Action string `json:"action"`
	Target string `json:"target"`
}

// gdprSubject is one identified visitor posted through the collector.
type gdprSubject struct {
	Email      string
	VisitorID  string
	SessionIDs []string
	Events     int // stored, the identify event included
}

// postSubject posts, through POST /v1/events, an identify event naming email
// and then sessions × perSession pageviews of the same visitor, in batches of
// the collector's maximum size sent by a few concurrent clients (each with
// its own sessions, like tabs of one browser).
func postSubject(t testing.TB, srv *Server, siteKey, email string, sessions, perSession int) gdprSubject {
	t.Helper()
	sub := gdprSubject{Email: email, VisitorID: clientID("v")}
	for range sessions {
		sub.SessionIDs = append(sub.SessionIDs, clientID("s"))
	}
	base := time.Now().Add(-2 * time.Hour)
	identify := trackerBatch{SiteKey: siteKey, VisitorID: sub.VisitorID, SessionID: sub.SessionIDs[0], Events: []trackerEvent{{
		ID: clientID("e"), Type: "identify", TS: base.UnixMilli(), URL: gdprOrigin + "/account",
		Traits: map[string]any{"email": email, "givenName": "Ada"},
	}}}
	if status, body := postBatch(t, srv, gdprOrigin, identify); status != http.StatusOK {
		t.Fatalf("identify %s: status %d: %s", email, status, body)
	}
	sub.Events = 1

	const clients = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		stored   int
	)
	for c := range clients {
		wg.Go(func() {
			for s := c; s < sessions; s += clients {
				start := base.Add(time.Duration(s) * time.Minute)
				for from := 0; from < perSession; from += gdprBatch {
					b := trackerBatch{SiteKey: siteKey, VisitorID: sub.VisitorID, SessionID: sub.SessionIDs[s]}
					for i := from; i < min(from+gdprBatch, perSession); i++ {
						ev := trackerEvent{ID: clientID("e"), Type: "pageview", TS: start.Add(time.Duration(i) * 50 * time.Millisecond).UnixMilli(),
							URL: fmt.Sprintf("%s/products/item-%d?utm_source=news&utm_medium=email", gdprOrigin, i%97)}
						if i%5 == 4 {
							ev.Type, ev.Name = "custom", "product_added"
							ev.Attributes = map[string]any{"sku": fmt.Sprintf("SKU-%04d", i%97), "price": 23.5, "currency": "EUR"}
						}
						b.Events = append(b.Events, ev)
					}
					status, body, err := sendBatch(srv, gdprOrigin, b)
					var ack struct{ Stored int }
					if err == nil && status != http.StatusOK {
						err = fmt.Errorf("POST /v1/events: status %d: %s", status, body)
					}
					if err == nil {
						err = json.Unmarshal(body, &ack)
					}
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					stored += ack.Stored
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}
		})
	}
	testwait.Wait(t, &wg, 5*time.Minute, "the subject's batches to be acknowledged")
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if want := sessions * perSession; stored != want {
		t.Fatalf("%s: the collector stored %d events, want %d", email, stored, want)
	}
	sub.Events += stored
	return sub
}

// checkHeld checks through the read API that sub's visitor, customer,
// sessions and events are all there (reads has the read and gdpr scopes),
// and returns its customer id.
func checkHeld(t *testing.T, reads *api, sub gdprSubject) string {
	t.Helper()
	var visitor struct {
		CustomerID string `json:"customerId"`
	}
	reads.must(http.StatusOK, http.MethodGet, "/api/v1/visitors/"+sub.VisitorID, nil, &visitor)
	if visitor.CustomerID == "" {
		t.Fatalf("visitor %s of %s has no customer: the identify was not applied", sub.VisitorID, sub.Email)
	}
	reads.must(http.StatusOK, http.MethodGet, "/api/v1/customers/"+visitor.CustomerID, nil, nil)
	sessions := listAll[apiSession](reads, "/api/v1/sessions?visitorId="+sub.VisitorID)
	events := 0
	for _, s := range sessions {
		events += s.EventCount
	}
	if len(sessions) != len(sub.SessionIDs) || events != sub.Events {
		t.Fatalf("%s: %d sessions holding %d events listed, want %d holding %d", sub.Email, len(sessions), events, len(sub.SessionIDs), sub.Events)
	}
	var found struct {
		Data []struct {
			CustomerID *string `json:"customerId"`
		} `json:"data"`
	}
	reads.must(http.StatusOK, http.MethodGet, "/api/v1/gdpr/subjects?type=email&value="+url.QueryEscape(sub.Email), nil, &found)
	if len(found.Data) != 1 || found.Data[0].CustomerID == nil || *found.Data[0].CustomerID != visitor.CustomerID {
		t.Fatalf("subject search for %s: %+v, want customer %s", sub.Email, found.Data, visitor.CustomerID)
	}
	return visitor.CustomerID
}

// within bounds a wait by want and by what is left before the test's
// deadline (less a margin for the cleanup and the failure report).
func within(t *testing.T, want time.Duration) time.Duration {
	if d, ok := t.Deadline(); ok {
		if left := time.Until(d) - 30*time.Second; left < want {
			return max(left, time.Second)
		}
	}
	return want
}

func testGDPRKill(t *testing.T, st Storage) {
	org := createOrg(t, st, "dsr", gdprOrigin)
	admin := createKey(t, st, org.ID, "dpo", "read", "gdpr")
	// The trainer is not under test; leave the machine to the erasure.
	// A short lease: the restarted process is a new node, which may resume
	// the job only once the killed one's lease has expired.
	srv := startServer(t, "server", st, "--train=false", "--gdpr-lease=8s")

	began := time.Now()
	subject := postSubject(t, srv, org.SiteKey, "ada@dsr.example", gdprSessions, gdprPerSession)
	control := postSubject(t, srv, org.SiteKey, "grace@dsr.example", 1, gdprBatch)
	t.Logf("posted %d + %d events in %s", subject.Events, control.Events, time.Since(began).Round(time.Millisecond))

	reads := newAPI(t, srv, admin.Key)
	subjectCustomer := checkHeld(t, reads, subject)
	controlCustomer := checkHeld(t, reads, control)

	var req gdprRequest
	reads.must(http.StatusAccepted, http.MethodPost, "/api/v1/gdpr/requests?confirm=true", map[string]any{
		"type": "erase", "subject": map[string]any{"terms": []map[string]string{{"type": "email", "value": subject.Email}}},
	}, &req)
	requested := time.Now()
	get := func(a *api) gdprRequest {
		var r gdprRequest
		a.must(http.StatusOK, http.MethodGet, "/api/v1/gdpr/requests/"+req.ID, nil, &r)
		return r
	}

	// Kill once the erasure is past gdprKillStep and still deleting.
	var atKill gdprRequest
	underway := testwait.Poll(within(t, 2*time.Minute), func() bool {
		atKill = get(reads)
		if atKill.Status == "completed" || atKill.Status == "error" {
			return true
		}
		return atKill.Status == "deleting" && atKill.Progress.Step == gdprKillStep
	})
	if !underway {
		t.Fatalf("request %s never reached step %q while deleting; last: status %q, step %q, error %q",
			req.ID, gdprKillStep, atKill.Status, atKill.Progress.Step, atKill.Error)
	}
	if atKill.Status != "deleting" {
		t.Fatalf("request %s ended %q (step %q, error %q) before the poll saw it at step %q: the kill would interrupt nothing",
			req.ID, atKill.Status, atKill.Progress.Step, atKill.Error, gdprKillStep)
	}
	srv.Kill()
	killed := time.Now()
	t.Logf("killed %s after the request, at status %q, step %q, %d%%, done %v",
		killed.Sub(requested).Round(time.Millisecond), atKill.Status, atKill.Progress.Step, atKill.Progress.Percent, atKill.Progress.Done)

	srv.Start()
	reads = newAPI(t, srv, admin.Key)
	// The killed node's lease still holds the job: it must not read as done.
	if r := get(reads); r.Status == "completed" {
		t.Fatalf("request %s reads completed right after the restart (step %q): the kill interrupted nothing", req.ID, r.Progress.Step)
	}

	var done gdprRequest
	if !testwait.Poll(within(t, 3*time.Minute), func() bool {
		done = get(reads)
		return done.Status == "completed" || done.Status == "error"
	}) {
		t.Fatalf("request %s not completed %s after the restart: status %q, step %q, attempts %d, error %q",
			req.ID, time.Since(killed).Round(time.Second), done.Status, done.Progress.Step, done.Attempts, done.Error)
	}
	t.Logf("completed %s after the kill (%s after the request); attempts %d; result %+v; done %v",
		time.Since(killed).Round(time.Millisecond), time.Since(requested).Round(time.Millisecond), done.Attempts, done.Result, done.Progress.Done)
	if done.Status != "completed" {
		t.Fatalf("request %s ended %q: %s", req.ID, done.Status, done.Error)
	}
	if done.Result == nil || done.Result.NothingHeld || done.Result.Counts["events"] != int64(subject.Events) {
		t.Errorf("result %+v, want %d events erased", done.Result, subject.Events)
	}
	if !done.Scrubbed || len(done.Subject.Terms) != 0 || len(done.Progress.VisitorIDs) != 0 || len(done.Progress.CustomerIDs) != 0 {
		t.Errorf("the completed erasure still names its subject: scrubbed %v, %d terms, visitors %v, customers %v",
			done.Scrubbed, len(done.Subject.Terms), done.Progress.VisitorIDs, done.Progress.CustomerIDs)
	}

	// Exactly once: in the request's trail and in the organization's log.
	count := func(entries []gdprAudit, action string) int {
		n := 0
		for _, e := range entries {
			if e.Action == action && e.Target == req.ID {
				n++
			}
		}
		return n
	}
	if n := count(done.Audit, "gdpr.request.completed"); n != 1 {
		t.Errorf("the request's audit trail holds %d gdpr.request.completed entries, want 1: %+v", n, done.Audit)
	}
	var log []gdprAudit
	for after := int64(0); ; {
		var page struct {
			Data      []gdprAudit `json:"data"`
			NextAfter int64       `json:"nextAfter"`
		}
		reads.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/audit?limit=1000&after=%d", after), nil, &page)
		log = append(log, page.Data...)
		if len(page.Data) == 0 || page.NextAfter == after {
			break
		}
		after = page.NextAfter
	}
	if n := count(log, "gdpr.request.completed"); n != 1 {
		t.Errorf("GET /api/v1/audit holds %d gdpr.request.completed entries for %s, want 1", n, req.ID)
	}
	if n := count(log, "gdpr.request.error"); n != 0 {
		t.Errorf("GET /api/v1/audit holds %d gdpr.request.error entries for %s", n, req.ID)
	}

	// Nothing of the subject is left.
	for _, path := range []string{"/api/v1/visitors/" + subject.VisitorID, "/api/v1/customers/" + subjectCustomer} {
		if status, body := reads.do(http.MethodGet, path, nil); status != http.StatusNotFound {
			t.Errorf("GET %s after the erasure: status %d, want 404: %.200s", path, status, body)
		}
	}
	if left := listAll[apiSession](reads, "/api/v1/sessions?visitorId="+subject.VisitorID); len(left) != 0 {
		t.Errorf("%d sessions of the erased visitor still listed", len(left))
	}
	for _, id := range subject.SessionIDs {
		if status, _ := reads.do(http.MethodGet, "/api/v1/sessions/"+id, nil); status != http.StatusNotFound {
			t.Errorf("GET /api/v1/sessions/%s after the erasure: status %d, want 404", id, status)
		}
		status, body := reads.do(http.MethodGet, "/api/v1/sessions/"+id+"/events", nil)
		var page struct {
			Data []apiEvent `json:"data"`
		}
		if status == http.StatusOK {
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("decode events of %s: %v", id, err)
			}
		}
		if (status != http.StatusOK && status != http.StatusNotFound) || len(page.Data) != 0 {
			t.Errorf("GET /api/v1/sessions/%s/events after the erasure: status %d, %d events", id, status, len(page.Data))
		}
	}
	var found struct {
		Data []json.RawMessage `json:"data"`
	}
	reads.must(http.StatusOK, http.MethodGet, "/api/v1/gdpr/subjects?type=email&value="+url.QueryEscape(subject.Email), nil, &found)
	if len(found.Data) != 0 {
		t.Errorf("subject search still finds the erased subject: %s", found.Data)
	}

	// The control subject is intact, down to each event.
	if got := checkHeld(t, reads, control); got != controlCustomer {
		t.Errorf("control subject's customer is %s, was %s", got, controlCustomer)
	}
	if events := listAll[apiEvent](reads, "/api/v1/sessions/"+control.SessionIDs[0]+"/events"); len(events) != control.Events {
		t.Errorf("control session lists %d events, want %d", len(events), control.Events)
	}
}
