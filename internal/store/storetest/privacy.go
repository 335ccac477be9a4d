package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
	"github.com/presage-dev/presage/internal/store"
)

// The privacy store: data subject requests and their job queue, exports,
// the audit log, tombstones, settings and subject resolution.

func testPrivacy(t *testing.T, open Opener) {
	t.Run("requests", func(t *testing.T) { testRequests(t, open) })
	t.Run("list requests", func(t *testing.T) { testListRequests(t, open) })
	t.Run("claim order", func(t *testing.T) { testClaimOrder(t, open) })
	t.Run("claim exclusivity", func(t *testing.T) { testClaimExclusive(t, open) })
	t.Run("fencing", func(t *testing.T) { testRequestFencing(t, open) })
	t.Run("exports", func(t *testing.T) { testExports(t, open) })
	t.Run("audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("concurrent audit", func(t *testing.T) { testConcurrentAudit(t, open) })
	t.Run("audit append-only", func(t *testing.T) { testAuditGuard(t, open) })
	t.Run("tombstones", func(t *testing.T) { testTombstones(t, open) })
	t.Run("settings", func(t *testing.T) { testPrivacySettings(t, open) })
	t.Run("subjects", func(t *testing.T) { testSubjectResolution(t, open) })
}

// dsr returns a new export request of orgID received at received.
func dsr(orgID, id string, received time.Time) privacy.Request {
	at := presage.StoredTime(received)
	return privacy.Request{OrgID: orgID, ID: id, Type: privacy.RequestExport, Status: privacy.StatusInitiated,
		Terms: []privacy.Term{{Type: privacy.SearchEmail, Value: "ada@example.com"}}, RequestedBy: "key_1",
		ReceivedAt: at, DueAt: at.AddDate(0, 1, 0), NextRunAt: at, UpdatedAt: at}
}

func (f *fixture) createRequest(r privacy.Request) {
	f.t.Helper()
	if err := f.e.CreateRequest(f.ctx, r); err != nil {
		f.t.Fatalf("create request %s: %v", r.ID, err)
	}
}

func (f *fixture) request(orgID, id string) privacy.Request {
	f.t.Helper()
	r, err := f.e.GetRequest(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("get request %s: %v", id, err)
	}
	return r
}

// sameJSON compares got and want by their JSON: times compare by instant
// and zone (a time read back outside UTC prints another offset), maps by
// content, and nil against empty where the field says omitempty.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func testRequests(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	r := dsr(org, "dsr_1", base)
	f.createRequest(r)
	got := f.request(org, r.ID)
	sameJSON(t, "new request", got, r)
	if got.ReceivedAt.Location() != time.UTC || !got.LeaseUntil.IsZero() || !got.CompletedAt.IsZero() || got.Result != nil {
		t.Fatalf("new request read back as %+v", got)
	}
	wantCode(t, "create a request id twice", f.e.CreateRequest(f.ctx, r), presage.CodeConflict)
	if _, err := f.e.GetRequest(f.ctx, other, r.ID); !presage.IsNotFound(err) {
		t.Fatalf("request of another organization: %v", err)
	}
	if _, err := f.e.GetRequest(f.ctx, org, "dsr_missing"); !presage.IsNotFound(err) {
		t.Fatalf("missing request: %v", err)
	}

	// Every mutable field is written; org, id, type, requester and receipt
	// are not (a save cannot move a request).
	expires := presage.StoredTime(base.Add(7 * 24 * time.Hour))
	saved := r
	saved.Type, saved.RequestedBy, saved.ReceivedAt = privacy.RequestErase, "forged", base.Add(time.Hour)
	saved.Status = privacy.StatusCompleted
	saved.Terms = nil
	saved.Replacements = []privacy.Replacement{{Type: privacy.SearchName, Existing: "Ada", Updated: "Ada L."}}
	saved.DueAt = presage.StoredTime(base.AddDate(0, 3, 0))
	saved.ExtensionReason = "complex request"
	saved.Progress = privacy.Progress{Step: "export", CustomerIDs: []string{"cus_1"}, VisitorIDs: []string{"v1", "v2"},
		Counts: privacy.Counts{"events": 12, "sessions": 2}, Done: privacy.Counts{"events": 12}, Percent: 100}
	saved.Result = &privacy.Result{Counts: privacy.Counts{"events": 12}, ExportID: r.ID, ExpiresAt: &expires}
	saved.Error, saved.Attempts = "timeout", 3
	saved.NextRunAt = presage.StoredTime(base.Add(time.Minute))
	saved.LeaseHolder, saved.LeaseUntil = "node-a", presage.StoredTime(base.Add(2*time.Minute))
	saved.UpdatedAt = presage.StoredTime(base.Add(3 * time.Minute))
	saved.CompletedAt = presage.StoredTime(base.Add(4 * time.Minute))
	saved.Scrubbed = true
	if err := f.e.SaveRequest(f.ctx, saved, ""); err != nil {
		t.Fatalf("save request: %v", err)
	}
	want := saved
	want.Type, want.RequestedBy, want.ReceivedAt = r.Type, r.RequestedBy, r.ReceivedAt
	sameJSON(t, "saved request", f.request(org, r.ID), want)

	// NULL columns return to NULL.
	cleared := want
	cleared.Result, cleared.LeaseHolder, cleared.LeaseUntil, cleared.CompletedAt = nil, "", time.Time{}, time.Time{}
	if err := f.e.SaveRequest(f.ctx, cleared, ""); err != nil {
		t.Fatalf("save request: %v", err)
	}
	got = f.request(org, r.ID)
	sameJSON(t, "cleared request", got, cleared)
	if got.Result != nil || !got.LeaseUntil.IsZero() || !got.CompletedAt.IsZero() {
		t.Fatalf("cleared request read back as %+v", got)
	}
}

func testListRequests(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other, empty := f.org.ID, f.newOrg("Other").ID, f.newOrg("Empty").ID
	for i := range 5 {
		f.createRequest(dsr(org, fmt.Sprintf("dsr_%d", i), base.Add(time.Duration(i)*time.Minute)))
	}
	// Two requests received in the same millisecond order by id.
	f.createRequest(dsr(org, "dsr_4b", base.Add(4*time.Minute)))
	f.createRequest(dsr(other, "dsr_other", base.Add(time.Hour)))
	for _, c := range []struct {
		org          string
		size, number int
		want         []string
		total        int
	}{
		{org, 2, 1, []string{"dsr_4b", "dsr_4"}, 6},
		{org, 2, 2, []string{"dsr_3", "dsr_2"}, 6},
		{org, 2, 3, []string{"dsr_1", "dsr_0"}, 6},
		{org, 2, 4, nil, 6},
		{org, 4, 2, []string{"dsr_1", "dsr_0"}, 6},
		{org, 100, 1, []string{"dsr_4b", "dsr_4", "dsr_3", "dsr_2", "dsr_1", "dsr_0"}, 6},
		{other, 10, 1, []string{"dsr_other"}, 1},
		{empty, 10, 1, nil, 0},
	} {
		rs, total, err := f.e.ListRequests(f.ctx, c.org, c.size, c.number)
		if err != nil {
			t.Fatalf("list requests size %d page %d: %v", c.size, c.number, err)
		}
		got := ids(rs, func(r privacy.Request) string { return r.ID })
		if !slices.Equal(got, c.want) || total != c.total {
			t.Fatalf("list requests size %d page %d = %v (total %d), want %v (total %d)",
				c.size, c.number, got, total, c.want, c.total)
		}
		for _, r := range rs {
			if r.OrgID != c.org {
				t.Fatalf("list requests of %s returned one of %s", c.org, r.OrgID)
			}
		}
	}
	for _, page := range [][2]int{{0, 1}, {10, 0}, {-1, 1}} {
		_, _, err := f.e.ListRequests(f.ctx, org, page[0], page[1])
		wantCode(t, fmt.Sprintf("list requests size %d page %d", page[0], page[1]), err, presage.CodeInvalid)
	}
}

func testClaimOrder(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	now := base.Add(time.Hour)
	const ttl = 5 * time.Minute
	req := func(orgID, id string, received time.Duration, edit func(*privacy.Request)) {
		r := dsr(orgID, id, base.Add(received))
		if edit != nil {
			edit(&r)
		}
		f.createRequest(r)
	}
	req(org, "free", time.Minute, nil)
	req(other, "oldest-free", 0, nil) // the queue serves every organization
	req(org, "completed", -time.Hour, func(r *privacy.Request) { r.Status = privacy.StatusCompleted })
	req(org, "failed", -2*time.Hour, func(r *privacy.Request) { r.Status = privacy.StatusError })
	req(org, "backing-off", -3*time.Hour, func(r *privacy.Request) {
		r.Status, r.NextRunAt = privacy.StatusSearching, presage.StoredTime(now.Add(time.Hour))
	})
	req(org, "leased", -4*time.Hour, func(r *privacy.Request) {
		r.LeaseHolder, r.LeaseUntil = "live-node", presage.StoredTime(now.Add(time.Hour))
	})
	req(org, "orphaned", 2*time.Minute, func(r *privacy.Request) {
		// Its node died mid-job: the lease expired, the job resumes.
		r.Status, r.LeaseHolder, r.LeaseUntil = privacy.StatusDeleting, "dead-node", presage.StoredTime(now.Add(-time.Second))
		r.Progress = privacy.Progress{Step: "events", Percent: 40}
	})
	for _, c := range []struct {
		at   time.Time
		want []string // claimed in order, then none
	}{
		{now, []string{"oldest-free", "free", "orphaned"}},
		// Later, the back-off has passed and the live node's lease expired;
		// the three claimed above are leased until now+ttl.
		{now.Add(2 * time.Hour), []string{"leased", "backing-off", "oldest-free", "free", "orphaned"}},
	} {
		var got []string
		for range len(c.want) + 1 {
			r, ok, err := f.e.ClaimRequest(f.ctx, "node-a", c.at, ttl)
			if err != nil {
				t.Fatalf("claim at %v: %v", c.at, err)
			}
			if !ok {
				break
			}
			got = append(got, r.ID)
			if r.LeaseHolder != "node-a" || !r.LeaseUntil.Equal(presage.StoredTime(c.at.Add(ttl))) {
				t.Fatalf("claimed %s leased to %q until %v", r.ID, r.LeaseHolder, r.LeaseUntil)
			}
			stored := f.request(r.OrgID, r.ID)
			sameJSON(t, "claimed request as stored", stored, r)
			if r.ID == "orphaned" && r.Progress.Step != "events" {
				t.Fatalf("resumed request lost its checkpoint: %+v", r.Progress)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("claims at %v = %v, want %v", c.at, got, c.want)
		}
	}
	for _, id := range []string{"completed", "failed"} {
		if r := f.request(org, id); r.LeaseHolder != "" {
			t.Fatalf("terminal request %s was claimed by %q", id, r.LeaseHolder)
		}
	}
}

func testClaimExclusive(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	now := base.Add(time.Hour)
	// claimAll has workers claim until the queue is empty and returns, per
	// request id, the holders that claimed it.
	claimAll := func(workers int) map[string][]string {
		var mu sync.Mutex
		claims := map[string][]string{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, workers)
		for w := range workers {
			holder := fmt.Sprintf("node-%d", w)
			wg.Go(func() {
				<-start
				for {
					r, ok, err := f.e.ClaimRequest(f.ctx, holder, now, time.Minute)
					if err != nil {
						errs <- err
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					claims[r.ID] = append(claims[r.ID], holder)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent claim: %v", err)
		}
		return claims
	}
	for round := range 10 {
		id := fmt.Sprintf("dsr_single_%d", round)
		f.createRequest(dsr(org, id, base))
		claims := claimAll(2)
		if len(claims) != 1 || len(claims[id]) != 1 {
			t.Fatalf("round %d: claims %v, want %s claimed once", round, claims, id)
		}
		if r := f.request(org, id); r.LeaseHolder != claims[id][0] {
			t.Fatalf("round %d: stored holder %q, winner %q", round, r.LeaseHolder, claims[id][0])
		}
	}
	const n = 30
	for i := range n {
		f.createRequest(dsr(org, fmt.Sprintf("dsr_many_%02d", i), base.Add(time.Duration(i)*time.Millisecond)))
	}
	claims := claimAll(4)
	if len(claims) != n {
		t.Fatalf("%d requests claimed, want %d", len(claims), n)
	}
	for id, holders := range claims {
		if len(holders) != 1 {
			t.Fatalf("%s claimed by %v", id, holders)
		}
	}
}

func testRequestFencing(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	now := base.Add(time.Hour)
	f.createRequest(dsr(org, "dsr_1", base))
	claimed, ok, err := f.e.ClaimRequest(f.ctx, "node-a", now, time.Minute)
	if err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	step := func(r privacy.Request, s privacy.Status) privacy.Request {
		r.Status, r.Progress.Step = s, string(s)
		return r
	}
	save := func(r privacy.Request, holder string) error { return f.e.SaveRequest(f.ctx, r, holder) }
	if err := save(step(claimed, privacy.StatusSearching), "node-a"); err != nil {
		t.Fatalf("save by the holder: %v", err)
	}
	wantCode(t, "save by another node", save(step(claimed, privacy.StatusCompleted), "node-b"), presage.CodeConflict)
	if got := f.request(org, "dsr_1"); got.Status != privacy.StatusSearching {
		t.Fatalf("a refused save wrote status %s", got.Status)
	}
	// node-a stalls past its lease; node-b resumes the job.
	reclaimed, ok, err := f.e.ClaimRequest(f.ctx, "node-b", now.Add(2*time.Minute), time.Minute)
	if err != nil || !ok || reclaimed.ID != "dsr_1" || reclaimed.Status != privacy.StatusSearching {
		t.Fatalf("re-claim after the lease expired: %+v, %v, %v", reclaimed, ok, err)
	}
	for _, c := range []struct {
		name   string
		r      privacy.Request
		holder string
		code   presage.Code // "" for success
		status privacy.Status
	}{
		{"stale holder", step(claimed, privacy.StatusCompleted), "node-a", presage.CodeConflict, privacy.StatusSearching},
		{"new holder", step(reclaimed, privacy.StatusDeleting), "node-b", "", privacy.StatusDeleting},
		{"no lease check", step(reclaimed, privacy.StatusFinalizing), "", "", privacy.StatusFinalizing},
		{"missing request", func() privacy.Request { r := reclaimed; r.ID = "dsr_missing"; return r }(),
			"node-b", presage.CodeNotFound, privacy.StatusFinalizing},
		{"another organization", func() privacy.Request { r := reclaimed; r.OrgID = other; return r }(),
			"", presage.CodeNotFound, privacy.StatusFinalizing},
	} {
		err := save(c.r, c.holder)
		if c.code == "" && err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.code != "" {
			wantCode(t, c.name, err, c.code)
		}
		if got := f.request(org, "dsr_1"); got.Status != c.status {
			t.Fatalf("%s: status %s, want %s", c.name, got.Status, c.status)
		}
	}
	// A holder releasing its lease makes the request claimable at once.
	released := f.request(org, "dsr_1")
	released.LeaseHolder, released.LeaseUntil = "", time.Time{}
	if err := save(released, "node-b"); err != nil {
		t.Fatalf("release: %v", err)
	}
	if r, ok, err := f.e.ClaimRequest(f.ctx, "node-c", now.Add(2*time.Minute), time.Minute); err != nil || !ok || r.ID != "dsr_1" {
		t.Fatalf("claim after release: %+v, %v, %v", r, ok, err)
	}
}

func testExports(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	exp := func(orgID, id, content string, expires time.Duration) privacy.Export {
		return privacy.Export{OrgID: orgID, RequestID: id, Content: content, Size: int64(len(content)),
			CreatedAt: presage.StoredTime(base), ExpiresAt: presage.StoredTime(base.Add(expires))}
	}
	big := strings.Repeat(`{"events":[{"url":"https://shop.example/p/1"}]}`, 64<<10) // ~3 MB
	exports := []privacy.Export{
		exp(org, "dsr_big", big, time.Hour),
		exp(org, "dsr_soon", "sealed-1", time.Minute),
		exp(other, "dsr_other", "sealed-2", time.Minute),
		exp(other, "dsr_later", "sealed-3", 48*time.Hour),
	}
	for _, e := range exports {
		if err := f.e.PutExport(f.ctx, e); err != nil {
			t.Fatalf("put export %s: %v", e.RequestID, err)
		}
	}
	for _, e := range exports {
		got, err := f.e.GetExport(f.ctx, e.OrgID, e.RequestID)
		if err != nil {
			t.Fatalf("get export %s: %v", e.RequestID, err)
		}
		if got.Content != e.Content {
			t.Fatalf("export %s content: %d bytes, want %d", e.RequestID, len(got.Content), len(e.Content))
		}
		got.Content, e.Content = "", ""
		sameJSON(t, "export "+e.RequestID, got, e)
	}
	if _, err := f.e.GetExport(f.ctx, other, "dsr_big"); !presage.IsNotFound(err) {
		t.Fatalf("export of another organization: %v", err)
	}
	// A retried job writes its bundle again.
	again := exp(org, "dsr_soon", "sealed-1b", 2*time.Minute)
	if err := f.e.PutExport(f.ctx, again); err != nil {
		t.Fatalf("put export again: %v", err)
	}
	if got, err := f.e.GetExport(f.ctx, org, "dsr_soon"); err != nil || got.Content != "sealed-1b" ||
		!got.ExpiresAt.Equal(again.ExpiresAt) {
		t.Fatalf("replaced export: %+v, %v", got, err)
	}
	for _, c := range []struct {
		before time.Time
		n      int64
		left   []string
	}{
		{base, 0, []string{"dsr_big", "dsr_soon", "dsr_other", "dsr_later"}},
		{base.Add(90 * time.Second), 1, []string{"dsr_big", "dsr_soon", "dsr_later"}},
		{base.Add(3 * time.Hour), 2, []string{"dsr_later"}},
		{base.Add(3 * time.Hour), 0, []string{"dsr_later"}},
	} {
		gone, err := f.e.DeleteExports(f.ctx, c.before)
		if err != nil || int64(len(gone)) != c.n {
			t.Fatalf("delete exports before %v: %d, %v; want %d", c.before, len(gone), err, c.n)
		}
		var left []string
		for _, e := range exports {
			_, err := f.e.GetExport(f.ctx, e.OrgID, e.RequestID)
			if err == nil {
				left = append(left, e.RequestID)
			} else if !presage.IsNotFound(err) {
				t.Fatalf("get export %s: %v", e.RequestID, err)
			}
		}
		if !slices.Equal(left, c.left) {
			t.Fatalf("after deleting before %v: %v left, want %v", c.before, left, c.left)
		}
	}
}

func auditEntry(orgID, action, target string, at time.Time) privacy.AuditEntry {
	return privacy.AuditEntry{OrgID: orgID, At: presage.StoredTime(at), Actor: "key_1", Action: action, Target: target,
		Detail: json.RawMessage(`{"type":"erase"}`)}
}

func testAudit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other, quiet := f.org.ID, f.newOrg("Other").ID, f.newOrg("Quiet").ID
	first := []privacy.AuditEntry{
		auditEntry(org, "gdpr.request.created", "dsr_1", base),
		auditEntry(other, "gdpr.request.created", "dsr_9", base),
		auditEntry(org, "gdpr.search", "", base.Add(time.Second)),
		auditEntry(org, "gdpr.request.completed", "dsr_1", base.Add(2*time.Second)),
		auditEntry(other, "retention.purge", "", base.Add(3*time.Second)),
	}
	first[2].Detail = nil // stored as {}
	if err := f.e.AppendAudit(f.ctx, first); err != nil {
		t.Fatalf("append audit: %v", err)
	}
	if got := ids(first, func(e privacy.AuditEntry) string { return fmt.Sprint(e.Seq) }); !slices.Equal(got,
		[]string{"1", "1", "2", "3", "2"}) {
		t.Fatalf("assigned seqs %v", got)
	}
	second := []privacy.AuditEntry{auditEntry(org, "gdpr.request.created", "dsr_2", base.Add(time.Minute))}
	if err := f.e.AppendAudit(f.ctx, second); err != nil {
		t.Fatalf("append audit: %v", err)
	}
	if second[0].Seq != 4 {
		t.Fatalf("next seq %d, want 4", second[0].Seq)
	}
	if err := f.e.AppendAudit(f.ctx, nil); err != nil {
		t.Fatalf("append no entries: %v", err)
	}
	all := append(append([]privacy.AuditEntry{}, first...), second...)
	for _, c := range []struct {
		org, target string
		after       int64
		limit       int
		want        []int // indexes into all
	}{
		{org, "", 0, 10, []int{0, 2, 3, 5}},
		{org, "dsr_1", 0, 10, []int{0, 3}},
		{org, "dsr_1", 1, 10, []int{3}},
		{org, "", 2, 10, []int{3, 5}},
		{org, "", 0, 2, []int{0, 2}},
		{org, "", 4, 10, nil},
		{other, "", 0, 10, []int{1, 4}},
		{other, "dsr_1", 0, 10, nil},
		{quiet, "", 0, 10, nil},
	} {
		got, err := f.e.ListAudit(f.ctx, c.org, c.target, c.after, c.limit)
		if err != nil {
			t.Fatalf("list audit: %v", err)
		}
		var want []privacy.AuditEntry
		for _, i := range c.want {
			e := all[i]
			if e.Detail == nil {
				e.Detail = json.RawMessage(`{}`)
			}
			want = append(want, e)
		}
		sameJSON(t, fmt.Sprintf("audit of %s target %q after %d limit %d", c.org, c.target, c.after, c.limit), got, want)
	}
}

func testConcurrentAudit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	const workers, appends = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*appends)
	for w := range workers {
		wg.Go(func() {
			for i := range appends {
				// Two organizations per append, in either order: the
				// appends must neither deadlock nor share a seq.
				entries := []privacy.AuditEntry{auditEntry(org, "a", fmt.Sprint(w), base.Add(time.Duration(i))),
					auditEntry(other, "a", fmt.Sprint(w), base)}
				if w%2 == 1 {
					entries[0], entries[1] = entries[1], entries[0]
				}
				if err := f.e.AppendAudit(f.ctx, entries); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	for _, o := range []string{org, other} {
		got, err := f.e.ListAudit(f.ctx, o, "", 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != workers*appends {
			t.Fatalf("%d entries, want %d", len(got), workers*appends)
		}
		for i, e := range got {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d: gaps or duplicates", i, e.Seq)
			}
		}
	}
}

// testAuditGuard checks that even the consent ledger's controlled rewrite
// path (ExecRaw) cannot touch the audit log; AuditAppendOnly checks plain
// connections.
func testAuditGuard(t *testing.T, open Opener) {
	f := newFixture(t, open)
	raw, ok := f.e.(RawExecer)
	if !ok {
		t.Fatalf("%s engine has no ExecRaw", f.e.Engine())
	}
	auditRefused(t, f, func(ctx context.Context, query string) error { return raw.ExecRaw(ctx, query) })
}

// AuditAppendOnly checks on e that plain SQL, run by plain on a connection
// of its own, can neither update nor delete audit entries. Engine packages
// call it with a raw connection to the database e opened.
func AuditAppendOnly(t *testing.T, e store.Engine, plain func(ctx context.Context, query string) error) {
	f := &fixture{t: t, ctx: context.Background(), e: e}
	f.org = f.newOrg("Acme")
	auditRefused(t, f, plain)
}

func auditRefused(t *testing.T, f *fixture, exec func(ctx context.Context, query string) error) {
	t.Helper()
	org := f.org.ID
	entries := []privacy.AuditEntry{auditEntry(org, "gdpr.search", "", base),
		auditEntry(org, "gdpr.request.created", "dsr_1", base.Add(time.Second))}
	if err := f.e.AppendAudit(f.ctx, entries); err != nil {
		t.Fatalf("append audit: %v", err)
	}
	before, err := f.e.ListAudit(f.ctx, org, "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Each statement matches rows of org: a row trigger fires only for rows
	// a statement touches.
	ofOrg := ` WHERE org_id = '` + org + `'`
	refused := []string{
		`UPDATE audit_log SET actor = 'forged'` + ofOrg,
		`UPDATE audit_log SET seq = seq + 100`,
		`DELETE FROM audit_log` + ofOrg + ` AND seq = 1`,
		`DELETE FROM audit_log`,
	}
	if f.e.Engine() == "postgres" {
		refused = append(refused, `TRUNCATE audit_log`)
	}
	for _, q := range refused {
		if err := exec(f.ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%q was not refused by the audit log's guard: %v", q, err)
		}
	}
	after, err := f.e.ListAudit(f.ctx, org, "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "audit log after refused statements", after, before)
}

func testTombstones(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	ts := func(orgID, kind, hash string, at time.Time) privacy.Tombstone {
		return privacy.Tombstone{OrgID: orgID, Kind: kind, Hash: hash, CreatedAt: presage.StoredTime(at)}
	}
	if err := f.e.AddTombstones(f.ctx, []privacy.Tombstone{
		ts(org, "visitor", "h-v2", base), ts(org, "visitor", "h-v1", base), ts(org, "email", "h-ada", base),
		ts(other, "visitor", "h-v3", base),
	}); err != nil {
		t.Fatalf("add tombstones: %v", err)
	}
	// A second erasure of the same identifier keeps the first date.
	if err := f.e.AddTombstones(f.ctx, []privacy.Tombstone{ts(org, "visitor", "h-v1", base.Add(time.Hour))}); err != nil {
		t.Fatalf("add a tombstone twice: %v", err)
	}
	if err := f.e.AddTombstones(f.ctx, nil); err != nil {
		t.Fatalf("add no tombstones: %v", err)
	}
	for _, c := range []struct {
		org, kind string
		hashes    []string
		want      []string
	}{
		{org, "visitor", []string{"h-v3", "h-v2", "h-none", "h-v1"}, []string{"h-v1", "h-v2"}},
		{org, "email", []string{"h-v1", "h-ada"}, []string{"h-ada"}},
		{org, "customer", []string{"h-v1"}, nil},
		{org, "visitor", nil, nil},
		{other, "visitor", []string{"h-v1", "h-v3"}, []string{"h-v3"}},
	} {
		got, err := f.e.Tombstoned(f.ctx, c.org, c.kind, c.hashes)
		if err != nil {
			t.Fatalf("tombstoned: %v", err)
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("tombstoned %s %v of %s = %v, want %v", c.kind, c.hashes, c.org, got, c.want)
		}
	}
	for _, c := range []struct {
		org  string
		want []privacy.Tombstone
	}{
		{org, []privacy.Tombstone{ts(org, "email", "h-ada", base), ts(org, "visitor", "h-v1", base),
			ts(org, "visitor", "h-v2", base)}},
		{other, []privacy.Tombstone{ts(other, "visitor", "h-v3", base)}},
		{f.newOrg("Quiet").ID, nil},
	} {
		got, err := f.e.AllTombstones(f.ctx, c.org)
		if err != nil {
			t.Fatalf("all tombstones: %v", err)
		}
		sameJSON(t, "tombstones of "+c.org, got, c.want)
	}
}

func testPrivacySettings(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	def := func(orgID string) privacy.Settings {
		return privacy.Settings{OrgID: orgID, Retention: privacy.DefaultRetention}
	}
	custom := privacy.Settings{OrgID: org, UpdatedAt: presage.StoredTime(base),
		Retention: privacy.Retention{SessionsDays: 30, VisitorsDays: 60, CustomersDays: 0, ExportsDays: 1}}
	changed := custom
	changed.Retention.CustomersDays, changed.UpdatedAt = 365, presage.StoredTime(base.Add(time.Hour))
	for _, c := range []struct {
		name string
		put  *privacy.Settings
		want map[string]privacy.Settings
	}{
		{"never saved", nil, map[string]privacy.Settings{org: def(org), other: def(other)}},
		{"saved", &custom, map[string]privacy.Settings{org: custom, other: def(other)}},
		{"saved again", &changed, map[string]privacy.Settings{org: changed, other: def(other)}},
	} {
		if c.put != nil {
			if err := f.e.PutPrivacySettings(f.ctx, *c.put); err != nil {
				t.Fatalf("%s: put: %v", c.name, err)
			}
		}
		for o, want := range c.want {
			got, err := f.e.GetPrivacySettings(f.ctx, o)
			if err != nil {
				t.Fatalf("%s: get settings of %s: %v", c.name, o, err)
			}
			sameJSON(t, c.name+": settings of "+o, got, want)
		}
	}
	got, err := f.e.OrganizationIDs(f.ctx)
	if err != nil {
		t.Fatalf("organization ids: %v", err)
	}
	if want := slices.Sorted(slices.Values([]string{org, other})); !slices.Equal(got, want) {
		t.Fatalf("organization ids %v, want %v", got, want)
	}
}

func testSubjectResolution(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	ada := f.identify(org, "v-ada-phone", identification("", base, `{}`, email("ada"))).ID
	f.identify(org, "v-ada-laptop", identification("", base, `{}`, email("ada")))
	bob := f.identify(org, "v-bob", identification("", base, `{}`, email("bob"), extID("42"))).ID
	f.commit(write(org, "v-anonymous", "s-anonymous", ev("e-"+presage.RandomToken(8), base)))
	adaOther := f.identify(other, "v-ada-other", identification("", base, `{}`, email("ada"))).ID
	// Lookups are not unique: two customers share a name, and one lookup
	// repeats an identifier (the union is distinct).
	raw, ok := f.e.(RawExecer)
	if !ok {
		t.Fatalf("%s engine has no ExecRaw", f.e.Engine())
	}
	for _, l := range [][3]string{{org, "name", ada}, {org, "name", bob}, {other, "name", adaOther}} {
		if err := raw.ExecRaw(f.ctx, `INSERT INTO customer_lookups (org_id, kind, hash, customer_id) VALUES ('`+
			l[0]+`', '`+l[1]+`', 'h-name-ada', '`+l[2]+`')`); err != nil {
			t.Fatalf("insert lookup: %v", err)
		}
	}
	if err := raw.ExecRaw(f.ctx, `INSERT INTO customer_lookups (org_id, kind, hash, customer_id)
		VALUES ('`+org+`', 'email', 'h-ada', '`+ada+`') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatalf("insert lookup: %v", err)
	}
	sorted := func(s ...string) []string { return slices.Sorted(slices.Values(s)) }
	many := make([]string, 40000) // beyond any limit on bound parameters
	for i := range many {
		many[i] = fmt.Sprintf("v-none-%d", i)
	}
	many[len(many)/2] = "v-bob"
	for _, c := range []struct {
		name string
		got  func() ([]string, error)
		want []string
	}{
		{"customers by email", func() ([]string, error) {
			return f.e.CustomersByIndex(f.ctx, org, "email", []string{"h-ada", "h-bob", "h-none"})
		}, sorted(ada, bob)},
		{"customers by name lookup", func() ([]string, error) {
			return f.e.CustomersByIndex(f.ctx, org, "name", []string{"h-name-ada"})
		}, sorted(ada, bob)},
		{"customers by a hash of another kind", func() ([]string, error) {
			return f.e.CustomersByIndex(f.ctx, org, "external_id", []string{"h-ada", "h-42"})
		}, []string{bob}},
		{"customers by index of another organization", func() ([]string, error) {
			return f.e.CustomersByIndex(f.ctx, other, "email", []string{"h-ada", "h-bob"})
		}, []string{adaOther}},
		{"customers by no hash", func() ([]string, error) { return f.e.CustomersByIndex(f.ctx, org, "email", nil) }, nil},
		{"visitors of customers", func() ([]string, error) {
			return f.e.VisitorsOfCustomers(f.ctx, org, []string{ada, adaOther, ada})
		}, []string{"v-ada-laptop", "v-ada-phone"}},
		{"visitors of customers of another organization", func() ([]string, error) {
			return f.e.VisitorsOfCustomers(f.ctx, other, []string{ada, adaOther})
		}, []string{"v-ada-other"}},
		{"existing visitors", func() ([]string, error) {
			return f.e.ExistingVisitors(f.ctx, org, []string{"v-bob", "v-anonymous", "v-none", "v-ada-other", "v-bob"})
		}, []string{"v-anonymous", "v-bob"}},
		{"existing visitors among many", func() ([]string, error) { return f.e.ExistingVisitors(f.ctx, org, many) },
			[]string{"v-bob"}},
		{"existing customers", func() ([]string, error) {
			return f.e.ExistingCustomers(f.ctx, org, []string{bob, adaOther, "cus_none"})
		}, []string{bob}},
		{"customers of visitors", func() ([]string, error) {
			return f.e.CustomersOfVisitors(f.ctx, org, []string{"v-ada-phone", "v-ada-laptop", "v-bob", "v-anonymous",
				"v-ada-other"})
		}, sorted(ada, bob)},
		{"customers of no visitor", func() ([]string, error) { return f.e.CustomersOfVisitors(f.ctx, org, nil) }, nil},
	} {
		got, err := c.got()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		org       string
		customers []string
		want      []privacy.Tombstone
	}{
		{org, []string{bob, adaOther}, []privacy.Tombstone{{OrgID: org, Kind: "email", Hash: "h-bob"},
			{OrgID: org, Kind: "external_id", Hash: "h-42"}}},
		{org, []string{ada, bob}, []privacy.Tombstone{{OrgID: org, Kind: "email", Hash: "h-ada"},
			{OrgID: org, Kind: "email", Hash: "h-bob"}, {OrgID: org, Kind: "external_id", Hash: "h-42"}}},
		{other, []string{ada, adaOther}, []privacy.Tombstone{{OrgID: other, Kind: "email", Hash: "h-ada"}}},
		{org, nil, nil},
	} {
		got, err := f.e.CustomerIdentifiers(f.ctx, c.org, c.customers)
		if err != nil {
			t.Fatalf("customer identifiers: %v", err)
		}
		sameJSON(t, fmt.Sprintf("identifiers of %v", c.customers), got, c.want)
	}
}
