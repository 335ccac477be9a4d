package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/collect"
	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store"
)

// RawExecer is implemented by both engines' *DB: ExecRaw runs one statement
// with the consent ledger's append-only guard lifted for its transaction, so
// tests can tamper with a chain the way verification must detect.
type RawExecer interface {
	ExecRaw(ctx context.Context, query string, args ...any) error
}

func testConsent(t *testing.T, open Opener) {
	t.Run("purposes", func(t *testing.T) { testPurposes(t, open) })
	t.Run("settings", func(t *testing.T) { testConsentSettings(t, open) })
	t.Run("notices", func(t *testing.T) { testNotices(t, open) })
	t.Run("ledger", func(t *testing.T) { testLedger(t, open) })
	t.Run("concurrent appends", func(t *testing.T) { testConcurrentAppends(t, open) })
	t.Run("subject records", func(t *testing.T) { testSubjectRecords(t, open) })
	t.Run("states of visitors", func(t *testing.T) { testStatesOf(t, open) })
	t.Run("expired states", func(t *testing.T) { testExpiredStates(t, open) })
	t.Run("signing key", func(t *testing.T) { testSigningKey(t, open) })
	t.Run("tamper", func(t *testing.T) { testTamper(t, open) })
	t.Run("anonymize subject", func(t *testing.T) { testAnonymizeSubject(t, open) })
	t.Run("seal version 1 records", func(t *testing.T) { testSealV1(t, open) })
	t.Run("isolation", func(t *testing.T) { testConsentIsolation(t, open) })
}

func testPurposes(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	if got, err := f.e.ListPurposes(f.ctx, org); err != nil || len(got) != 0 {
		t.Fatalf("purposes of a new organization: %v, %v", got, err)
	}
	p := func(name string, basis consent.Basis, desc string, at time.Time) consent.Purpose {
		return consent.Purpose{OrgID: org, Name: name, Basis: basis, Description: desc, UpdatedAt: presage.StoredTime(at)}
	}
	analytics := p(consent.PurposeAnalytics, consent.BasisConsent, "Journeys", base)
	marketing := p(consent.PurposeMarketing, consent.BasisConsent, "Offers", base)
	put := func(orgID string, ps ...consent.Purpose) {
		t.Helper()
		if err := f.e.PutPurposes(f.ctx, orgID, ps); err != nil {
			t.Fatalf("put purposes: %v", err)
		}
	}
	list := func(orgID string, want ...consent.Purpose) {
		t.Helper()
		got, err := f.e.ListPurposes(f.ctx, orgID)
		if err != nil {
			t.Fatalf("list purposes: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("purposes = %+v, want %+v", got, want)
		}
		for i := range got {
			if got[i] != want[i] || got[i].UpdatedAt.Location() != time.UTC {
				t.Fatalf("purpose %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	put(org, marketing, analytics)
	list(org, analytics, marketing)

	// The store scopes by its argument, not by the purposes' OrgID.
	marketing2 := p(consent.PurposeMarketing, consent.BasisLegitimateInterest, "Offers to customers", base.Add(time.Hour))
	sales := p(consent.PurposeSales, consent.BasisContract, "", base.Add(time.Hour))
	stray := sales
	stray.OrgID = ""
	put(org, marketing2, stray)
	list(org, analytics, marketing2, sales)
	put(org)
	list(org, analytics, marketing2, sales)

	list(other)
	foreign := analytics
	foreign.OrgID, foreign.Basis = other, consent.BasisLegalObligation
	put(other, foreign)
	list(other, foreign)
	list(org, analytics, marketing2, sales)
}

func testConsentSettings(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	_, err := f.e.GetSettings(f.ctx, org)
	wantCode(t, "settings before put", err, presage.CodeNotFound)
	same := func(want consent.Settings) {
		t.Helper()
		got, err := f.e.GetSettings(f.ctx, want.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		if got.OrgID != want.OrgID || !slices.Equal(got.GPCObjects, want.GPCObjects) || got.HonourDNT != want.HonourDNT ||
			got.TTL != want.TTL || got.EraseOnWithdrawal != want.EraseOnWithdrawal || !got.UpdatedAt.Equal(presage.StoredTime(want.UpdatedAt)) ||
			got.UpdatedAt.Location() != time.UTC {
			t.Fatalf("settings = %+v, want %+v", got, want)
		}
	}
	s := consent.Settings{OrgID: org, GPCObjects: []string{consent.PurposeSales, consent.PurposeMarketing}, HonourDNT: true,
		TTL: 396 * 24 * time.Hour, EraseOnWithdrawal: true, UpdatedAt: base}
	if err := f.e.PutSettings(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	same(s)
	s.GPCObjects, s.HonourDNT, s.TTL, s.EraseOnWithdrawal, s.UpdatedAt = []string{"marketing"}, false, 30*24*time.Hour, false, base.Add(time.Hour)
	if err := f.e.PutSettings(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	same(s)
	_, err = f.e.GetSettings(f.ctx, other)
	wantCode(t, "settings of another organization", err, presage.CodeNotFound)
}

func testNotices(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	if got, err := f.e.ListNotices(f.ctx, org); err != nil || len(got) != 0 {
		t.Fatalf("notices of a new organization: %v, %v", got, err)
	}
	var created []consent.Notice
	for i, lang := range []string{"en", "fr-FR", "en"} {
		n := consent.Notice{OrgID: org, Version: i + 1, Language: lang, Title: "Your privacy " + lang,
			Texts:     map[string]string{"analytics": "We measure " + lang, "marketing": "Offers \"quoted\" ✓"},
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if i > 0 { // the first one stands for a notice stored before texts recorded their basis
			n.Bases = map[string]consent.Basis{"analytics": consent.BasisLegitimateInterest, "marketing": consent.BasisConsent}
		}
		n.SHA256 = noticeHash(n)
		if err := f.e.CreateNotice(f.ctx, n); err != nil {
			t.Fatalf("create notice: %v", err)
		}
		got := f.notice(org, i+1)
		if got.Version != i+1 {
			t.Fatalf("notice %d: version %d", i, got.Version)
		}
		if got.SHA256 != noticeHash(got) || !got.CreatedAt.Equal(presage.StoredTime(n.CreatedAt)) {
			t.Fatalf("created notice = %+v", got)
		}
		created = append(created, got)
		// A version that exists is a conflict and stays as it was.
		again := n
		again.Title, again.SHA256 = "Replaced", "replaced"
		wantCode(t, "create an existing version", f.e.CreateNotice(f.ctx, again), presage.CodeConflict)
		// Creating a version leaves every older one as it was.
		for _, old := range created {
			sameNotice(t, f.notice(org, old.Version), old)
		}
	}
	unnumbered := consent.Notice{OrgID: org, Language: "en", CreatedAt: base}
	if err := f.e.CreateNotice(f.ctx, unnumbered); err == nil {
		t.Fatal("a notice without a version was stored")
	}
	all, err := f.e.ListNotices(f.ctx, org)
	if err != nil || len(all) != 3 {
		t.Fatalf("list notices: %d, %v", len(all), err)
	}
	for i, n := range all {
		sameNotice(t, n, created[2-i])
	}
	_, err = f.e.GetNotice(f.ctx, org, 4)
	wantCode(t, "missing version", err, presage.CodeNotFound)
	_, err = f.e.GetNotice(f.ctx, org, 0)
	wantCode(t, "version 0", err, presage.CodeNotFound)

	t.Run("no way to change a notice", func(t *testing.T) {
		typ := reflect.TypeFor[store.Engine]()
		for i := range typ.NumMethod() {
			name := typ.Method(i).Name
			if strings.Contains(name, "Notice") && !slices.Contains([]string{"CreateNotice", "GetNotice", "ListNotices"}, name) {
				t.Fatalf("store.Engine has %s: notices are immutable", name)
			}
		}
	})

	t.Run("concurrent versions", func(t *testing.T) {
		// Each worker numbers its notice after the latest and, when another
		// took that version first, reads the latest again: what the domain does.
		org := f.newOrg("Busy").ID
		const workers = 16
		versions := make(chan int, workers)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				n := consent.Notice{OrgID: org, Language: "en", Title: fmt.Sprintf("worker %d", g), CreatedAt: base}
				for {
					ns, err := f.e.ListNotices(f.ctx, org)
					if err != nil {
						errs <- err
						return
					}
					n.Version = 1
					if len(ns) > 0 {
						n.Version = ns[0].Version + 1
					}
					n.SHA256 = noticeHash(n)
					err = f.e.CreateNotice(f.ctx, n)
					if presage.ErrorCode(err) == presage.CodeConflict {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					versions <- n.Version
					return
				}
			})
		}
		wg.Wait()
		close(versions)
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent create notice: %v", err)
		}
		got := slices.Sorted(func(yield func(int) bool) {
			for v := range versions {
				if !yield(v) {
					return
				}
			}
		})
		want := make([]int, workers)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(got, want) {
			t.Fatalf("versions %v, want %v", got, want)
		}
		for v := 1; v <= workers; v++ {
			if n := f.notice(org, v); n.SHA256 != noticeHash(n) {
				t.Fatalf("version %d was hashed for another version: %+v", v, n)
			}
		}
	})

	t.Run("one version, one notice", func(t *testing.T) {
		// Callers racing for one version: one stores it, every other one is
		// told of the conflict, and the stored notice is the winner's.
		org := f.newOrg("Racing").ID
		const workers = 8
		won := make(chan string, workers)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				n := consent.Notice{OrgID: org, Version: 1, Language: "en", Title: fmt.Sprintf("worker %d", g), CreatedAt: base}
				n.SHA256 = noticeHash(n)
				err := f.e.CreateNotice(f.ctx, n)
				switch {
				case err == nil:
					won <- n.Title
				case presage.ErrorCode(err) != presage.CodeConflict:
					errs <- err
				}
			})
		}
		wg.Wait()
		close(won)
		close(errs)
		for err := range errs {
			t.Fatalf("racing create notice: %v, want success or a conflict", err)
		}
		var titles []string
		for title := range won {
			titles = append(titles, title)
		}
		if len(titles) != 1 {
			t.Fatalf("%d callers stored version 1: %v", len(titles), titles)
		}
		if ns := f.notices(org); len(ns) != 1 || ns[0].Title != titles[0] || ns[0].SHA256 != noticeHash(ns[0]) {
			t.Fatalf("notices after the race = %+v, want the winner's (%s)", ns, titles[0])
		}
	})

	t.Run("defaults from many nodes", func(t *testing.T) {
		// Nodes that ensure one organization's defaults at the same instant
		// publish one notice between them: each finds no notice (the barrier
		// holds every read of the notices until all nodes made theirs), all
		// try version 1, one stores it and the others keep it.
		org := f.newOrg("New").ID
		const nodes = 4
		shared := &noticeBarrier{Engine: f.e, all: nodes, done: make(chan struct{})}
		errs := make(chan error, nodes)
		var wg sync.WaitGroup
		for range nodes {
			svc := consent.NewService(shared, f.e, consent.Options{Now: func() time.Time { return base }})
			wg.Go(func() {
				if err := svc.EnsureDefaults(f.ctx, org); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("ensure defaults: %v", err)
		}
		if ns := f.notices(org); len(ns) != 1 || ns[0].Version != 1 || ns[0].SHA256 != consent.NoticeHash(ns[0]) {
			t.Fatalf("notices after %d nodes ensured the defaults = %+v", nodes, ns)
		}
	})
}

// noticeBarrier is an engine whose ListNotices returns only once all
// callers made theirs (or after 10s, should one never come).
type noticeBarrier struct {
	store.Engine
	all  int
	mu   sync.Mutex
	n    int
	done chan struct{}
}

func (b *noticeBarrier) ListNotices(ctx context.Context, orgID string) ([]consent.Notice, error) {
	ns, err := b.Engine.ListNotices(ctx, orgID)
	b.mu.Lock()
	if b.n++; b.n == b.all {
		close(b.done)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
	}
	return ns, err
}

func noticeHash(n consent.Notice) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%s|%s|%v", n.OrgID, n.Version, n.Language, n.Title, n.Texts))
	return hex.EncodeToString(h[:])
}

func (f *fixture) notice(orgID string, version int) consent.Notice {
	f.t.Helper()
	n, err := f.e.GetNotice(f.ctx, orgID, version)
	if err != nil {
		f.t.Fatalf("get notice %d: %v", version, err)
	}
	return n
}

func sameNotice(t *testing.T, got, want consent.Notice) {
	t.Helper()
	if got.OrgID != want.OrgID || got.Version != want.Version || got.Language != want.Language || got.Title != want.Title ||
		!maps.Equal(got.Texts, want.Texts) || !maps.Equal(got.Bases, want.Bases) || (got.Bases == nil) != (want.Bases == nil) || got.SHA256 != want.SHA256 || !got.CreatedAt.Equal(presage.StoredTime(want.CreatedAt)) ||
		got.CreatedAt.Location() != time.UTC {
		t.Fatalf("notice = %+v, want %+v", got, want)
	}
}

// chainHash is the test's record hash: enough fields that a tampered row
// shows.
func chainHash(r consent.Record) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%s|%s|%s|%s|%v|%d|%s|%s|%d|%s|%s|%s|%s", r.OrgID, r.Seq, r.ID, r.VisitorID,
		r.CustomerID, r.Action, r.Decisions, r.NoticeVersion, r.NoticeHash, r.Method, r.RecordedAt.UnixMilli(), r.IPPrefix,
		r.UserAgent, r.Artefact, r.PrevHash))
	return hex.EncodeToString(h[:])
}

// record returns a sealed record template of visitorID (stores refuse a
// record without salt and commitment; they never check the commitment, so a
// test may change a field afterwards): builder fills the chain.
func record(orgID, visitorID string, at time.Time, action consent.Action, decisions map[string]consent.Decision) consent.Record {
	return consent.Seal(consent.Record{OrgID: orgID, ID: presage.NewID("cr"), VisitorID: visitorID, Action: action, Decisions: decisions,
		NoticeVersion: 1, NoticeHash: "notice-1", Method: consent.MethodBanner, RecordedAt: presage.StoredTime(at),
		IPPrefix: "203.0.113.0/24", UserAgent: "Mozilla/5.0 Firefox"})
}

// builder extends the head with tmpl and sets one state per decision that
// expires at expires (zero: never); it stores the current states it is given
// in *seen when seen is set.
func builder(tmpl consent.Record, expires time.Time, seen *[]consent.State) func(consent.Head, []consent.State) (consent.Record, []consent.State, error) {
	return func(h consent.Head, current []consent.State) (consent.Record, []consent.State, error) {
		if seen != nil {
			*seen = current
		}
		r := tmpl
		r.Seq, r.PrevHash = h.Seq+1, h.Hash
		r.Hash = chainHash(r)
		var states []consent.State
		for _, p := range slices.Sorted(maps.Keys(r.Decisions)) {
			states = append(states, consent.State{OrgID: r.OrgID, VisitorID: r.VisitorID, Purpose: p, Decision: r.Decisions[p],
				RecordSeq: r.Seq, DecidedAt: r.RecordedAt, ExpiresAt: expires})
		}
		return r, states, nil
	}
}

func (f *fixture) appendRecord(tmpl consent.Record, expires time.Time) consent.Record {
	f.t.Helper()
	r, err := f.e.Append(f.ctx, tmpl.OrgID, tmpl.VisitorID, builder(tmpl, expires, nil))
	if err != nil {
		f.t.Fatalf("append: %v", err)
	}
	return r
}

func (f *fixture) records(orgID string) []consent.Record {
	f.t.Helper()
	rs, err := f.e.Records(f.ctx, orgID, 0, 100_000)
	if err != nil {
		f.t.Fatalf("records: %v", err)
	}
	return rs
}

func (f *fixture) states(orgID, visitorID string) []consent.State {
	f.t.Helper()
	ss, err := f.e.States(f.ctx, orgID, visitorID)
	if err != nil {
		f.t.Fatalf("states: %v", err)
	}
	return ss
}

// brokenLink returns the first Seq at which orgID's chain does not verify
// with chainHash, or 0 when it and the head are sound.
func (f *fixture) brokenLink(orgID string) int64 {
	f.t.Helper()
	var prev consent.Record
	for i, r := range f.records(orgID) {
		if r.Seq != int64(i)+1 || r.PrevHash != prev.Hash || r.Hash != chainHash(r) || r.OrgID != orgID {
			return int64(i) + 1
		}
		prev = r
	}
	head, err := f.e.Head(f.ctx, orgID)
	if err != nil {
		f.t.Fatalf("head: %v", err)
	}
	if head != (consent.Head{Seq: prev.Seq, Hash: prev.Hash}) {
		return prev.Seq + 1
	}
	return 0
}

func sameRecord(t *testing.T, got, want consent.Record) {
	t.Helper()
	g, w := got, want
	g.Decisions, w.Decisions, g.Artefact, w.Artefact = nil, nil, nil, nil
	g.RecordedAt, w.RecordedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) || !maps.Equal(got.Decisions, want.Decisions) || !bytes.Equal(got.Artefact, want.Artefact) ||
		(got.Artefact == nil) != (want.Artefact == nil) || !got.RecordedAt.Equal(presage.StoredTime(want.RecordedAt)) ||
		got.RecordedAt.Location() != time.UTC {
		t.Fatalf("record = %+v\nwant %+v", got, want)
	}
}

func sameStates(t *testing.T, got, want []consent.State) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.OrgID == w.OrgID && g.VisitorID == w.VisitorID && g.Purpose == w.Purpose && g.Decision == w.Decision &&
			g.RecordSeq == w.RecordSeq && g.DecidedAt.Equal(presage.StoredTime(w.DecidedAt)) && g.ExpiresAt.Equal(presage.StoredTime(w.ExpiresAt)) &&
			g.DecidedAt.Location() == time.UTC && g.ExpiresAt.IsZero() == w.ExpiresAt.IsZero()
	}
	if !ok {
		t.Fatalf("states = %+v\nwant %+v", got, want)
	}
}

func testLedger(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	if h, err := f.e.Head(f.ctx, org); err != nil || h != (consent.Head{}) {
		t.Fatalf("head of an empty chain: %+v, %v", h, err)
	}
	const analytics, marketing, sales = consent.PurposeAnalytics, consent.PurposeMarketing, consent.PurposeSales
	expires := base.Add(396 * 24 * time.Hour)

	// Record 1 grants two purposes and carries a consent manager's artefact.
	t1 := record(org, "visitor-1", base, consent.ActionGrant, map[string]consent.Decision{analytics: consent.Granted, marketing: consent.Granted})
	t1.Method, t1.Artefact = consent.MethodCMP, json.RawMessage(`{"tcf": "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", "gcm": {"ad_storage":"granted"}}`)
	var seen []consent.State
	r1, err := f.e.Append(f.ctx, org, "visitor-1", builder(t1, expires, &seen))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 || r1.Seq != 1 || r1.PrevHash != "" || r1.Hash != chainHash(r1) {
		t.Fatalf("first record %+v (build saw states %+v)", r1, seen)
	}
	sameRecord(t, r1, withChain(t1, 1, "", r1.Hash))
	sameRecord(t, f.records(org)[0], r1)
	grantedAt := func(purpose string) consent.State {
		return consent.State{OrgID: org, VisitorID: "visitor-1", Purpose: purpose, Decision: consent.Granted, RecordSeq: 1,
			DecidedAt: base, ExpiresAt: expires}
	}
	sameStates(t, f.states(org, "visitor-1"), []consent.State{grantedAt(analytics), grantedAt(marketing)})

	// Record 2 withdraws one of them: build sees both, only analytics changes.
	t2 := record(org, "visitor-1", base.Add(time.Hour), consent.ActionWithdraw, map[string]consent.Decision{analytics: consent.Withdrawn})
	r2, err := f.e.Append(f.ctx, org, "visitor-1", builder(t2, time.Time{}, &seen))
	if err != nil {
		t.Fatal(err)
	}
	sameStates(t, seen, []consent.State{grantedAt(analytics), grantedAt(marketing)})
	if r2.Seq != 2 || r2.PrevHash != r1.Hash {
		t.Fatalf("second record %+v does not follow %s", r2, r1.Hash)
	}
	withdrawn := consent.State{OrgID: org, VisitorID: "visitor-1", Purpose: analytics, Decision: consent.Withdrawn,
		RecordSeq: 2, DecidedAt: base.Add(time.Hour)}
	sameStates(t, f.states(org, "visitor-1"), []consent.State{withdrawn, grantedAt(marketing)})

	// Record 3: another visitor, identified, no notice nor artefact.
	t3 := record(org, "visitor-2", base.Add(2*time.Hour), consent.ActionSignal, map[string]consent.Decision{sales: consent.Objected})
	t3.CustomerID, t3.NoticeVersion, t3.NoticeHash, t3.Method, t3.UserAgent = "cus_1", 0, "", consent.MethodGPC, ""
	r3, err := f.e.Append(f.ctx, org, "visitor-2", builder(t3, time.Time{}, &seen))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Fatalf("build for visitor-2 saw states %+v", seen)
	}
	sameRecord(t, f.records(org)[2], r3)
	if r3.Artefact != nil || f.records(org)[2].Artefact != nil {
		t.Fatal("an absent artefact did not read back as nil")
	}
	before := f.records(org)

	t.Run("nothing written on error", func(t *testing.T) {
		errBoom := errors.New("boom")
		_, err := f.e.Append(f.ctx, org, "visitor-1", func(consent.Head, []consent.State) (consent.Record, []consent.State, error) {
			return consent.Record{}, nil, errBoom
		})
		if err != errBoom {
			t.Fatalf("build error came back as %v", err)
		}
		// A record that does not extend the head is refused.
		bad := record(org, "visitor-1", base, consent.ActionDeny, map[string]consent.Decision{marketing: consent.Denied})
		_, err = f.e.Append(f.ctx, org, "visitor-1", func(h consent.Head, cur []consent.State) (consent.Record, []consent.State, error) {
			r, ss, err := builder(bad, time.Time{}, nil)(h, cur)
			r.Seq++
			return r, ss, err
		})
		if err == nil {
			t.Fatal("a record skipping a sequence number was appended")
		}
		// A taken record id is a conflict.
		dup := record(org, "visitor-1", base, consent.ActionDeny, map[string]consent.Decision{marketing: consent.Denied})
		dup.ID = r1.ID
		_, err = f.e.Append(f.ctx, org, "visitor-1", builder(dup, time.Time{}, nil))
		wantCode(t, "duplicate record id", err, presage.CodeConflict)

		after := f.records(org)
		if len(after) != len(before) {
			t.Fatalf("%d records after failed appends, want %d", len(after), len(before))
		}
		sameStates(t, f.states(org, "visitor-1"), []consent.State{withdrawn, grantedAt(marketing)})
		if n := f.brokenLink(org); n != 0 {
			t.Fatalf("chain broken at %d after failed appends", n)
		}
	})

	t.Run("paging", func(t *testing.T) {
		for i := range 2 {
			f.appendRecord(record(org, "visitor-3", base.Add(time.Duration(3+i)*time.Hour), consent.ActionDeny,
				map[string]consent.Decision{marketing: consent.Denied}), time.Time{})
		}
		all := f.records(org)
		if len(all) != 5 {
			t.Fatalf("%d records, want 5", len(all))
		}
		for _, c := range []struct {
			after int64
			limit int
			want  []int64
		}{{0, 2, []int64{1, 2}}, {2, 2, []int64{3, 4}}, {4, 2, []int64{5}}, {5, 2, nil}, {1, 100, []int64{2, 3, 4, 5}}} {
			got, err := f.e.Records(f.ctx, org, c.after, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			seqs := make([]int64, len(got))
			for i, r := range got {
				seqs[i] = r.Seq
				sameRecord(t, r, all[r.Seq-1])
			}
			if !slices.Equal(seqs, c.want) {
				t.Fatalf("records after %d limit %d: %v, want %v", c.after, c.limit, seqs, c.want)
			}
		}
		if n := f.brokenLink(org); n != 0 {
			t.Fatalf("chain broken at %d", n)
		}
	})
}

func withChain(r consent.Record, seq int64, prev, hash string) consent.Record {
	r.Seq, r.PrevHash, r.Hash = seq, prev, hash
	return r
}

func testConcurrentAppends(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	const workers, calls = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for g := range workers {
		wg.Go(func() {
			visitor := fmt.Sprintf("visitor-%d", g)
			for c := range calls {
				d := consent.Granted
				if c%2 == 1 {
					d = consent.Denied
				}
				tmpl := record(org, visitor, base.Add(time.Duration(c)*time.Second), consent.ActionGrant,
					map[string]consent.Decision{consent.PurposeAnalytics: d})
				if _, err := f.e.Append(f.ctx, org, visitor, builder(tmpl, time.Time{}, nil)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	if n := len(f.records(org)); n != workers*calls {
		t.Fatalf("%d records, want %d", n, workers*calls)
	}
	if n := f.brokenLink(org); n != 0 {
		t.Fatalf("concurrent appends broke the chain at seq %d", n)
	}
	for g := range workers {
		visitor := fmt.Sprintf("visitor-%d", g)
		rs, err := f.e.SubjectRecords(f.ctx, org, visitor, "")
		if err != nil || len(rs) != calls {
			t.Fatalf("%s has %d records (%v), want %d", visitor, len(rs), err, calls)
		}
		last := rs[len(rs)-1]
		ss := f.states(org, visitor)
		if len(ss) != 1 || ss[0].RecordSeq != last.Seq || ss[0].Decision != consent.Denied {
			t.Fatalf("%s states %+v, want the decision of record %d", visitor, ss, last.Seq)
		}
	}
}

func testSubjectRecords(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	// visitor-a and visitor-b are one person; visitor-c is another.
	for _, v := range []string{"visitor-a", "visitor-b"} {
		w := write(org, v, "session-"+v, ev("event-"+v, base))
		w.Identifications = []collect.Identification{identification(v, base, `{}`, email("ada"))}
		f.commit(w)
	}
	cus := f.visitor(org, "visitor-a").CustomerID
	if cus == "" || f.visitor(org, "visitor-b").CustomerID != cus {
		t.Fatal("fixture: the visitors were not linked to one customer")
	}
	grant := map[string]consent.Decision{consent.PurposeAnalytics: consent.Granted}
	add := func(visitor, customer string) int64 {
		r := record(org, visitor, base, consent.ActionGrant, grant)
		r.CustomerID = customer
		return f.appendRecord(r, time.Time{}).Seq
	}
	a1 := add("visitor-a", "") // recorded before the visitor was identified
	c1 := add("visitor-c", "")
	b1 := add("visitor-b", cus)
	x1 := add("visitor-x", cus) // a visitor the journey store does not know
	a2 := add("visitor-a", cus)
	seqs := func(visitor, customer string) []int64 {
		t.Helper()
		rs, err := f.e.SubjectRecords(f.ctx, org, visitor, customer)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, len(rs))
		for i, r := range rs {
			out[i] = r.Seq
			if r.OrgID != org {
				t.Fatalf("record of organization %s", r.OrgID)
			}
		}
		return out
	}
	for _, c := range []struct {
		visitor, customer string
		want              []int64
	}{
		{"visitor-a", "", []int64{a1, a2}},
		{"visitor-c", "", []int64{c1}},
		{"", cus, []int64{a1, b1, x1, a2}},
		{"visitor-c", cus, []int64{a1, b1, x1, a2}},
		{"visitor-nobody", "", nil},
		{"", "cus_nobody", nil},
	} {
		if got := seqs(c.visitor, c.customer); !slices.Equal(got, c.want) {
			t.Fatalf("subject records of visitor %q customer %q: %v, want %v", c.visitor, c.customer, got, c.want)
		}
	}
}

func testStatesOf(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	const analytics = consent.PurposeAnalytics
	f.appendRecord(record(org, "visitor-1", base, consent.ActionGrant, map[string]consent.Decision{analytics: consent.Granted}), base.Add(time.Hour))
	f.appendRecord(record(org, "visitor-2", base, consent.ActionDeny, map[string]consent.Decision{analytics: consent.Denied}), time.Time{})
	f.appendRecord(record(org, "visitor-3", base, consent.ActionGrant, map[string]consent.Decision{consent.PurposeSales: consent.Granted}), time.Time{})
	ids := []string{"visitor-1", "visitor-2", "visitor-3", "visitor-missing"}
	for i := range 2000 { // a batch larger than any parameter limit
		ids = append(ids, fmt.Sprintf("absent-%d", i))
	}
	got, err := f.e.StatesOf(f.ctx, org, analytics, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["visitor-1"].Decision != consent.Granted || got["visitor-2"].Decision != consent.Denied ||
		!got["visitor-1"].ExpiresAt.Equal(presage.StoredTime(base.Add(time.Hour))) || got["visitor-1"].VisitorID != "visitor-1" ||
		got["visitor-1"].Purpose != analytics || got["visitor-1"].OrgID != org {
		t.Fatalf("states of visitors = %+v", got)
	}
	if got, err := f.e.StatesOf(f.ctx, org, analytics, nil); err != nil || len(got) != 0 {
		t.Fatalf("states of no visitors: %v, %v", got, err)
	}
	if got := f.states(org, "visitor-missing"); len(got) != 0 {
		t.Fatalf("states of an unknown visitor: %+v", got)
	}
}

func testExpiredStates(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a, b := f.org.ID, f.newOrg("Other").ID
	add := func(org, visitor string, d consent.Decision, expires time.Time) {
		f.appendRecord(record(org, visitor, base.Add(-24*time.Hour), consent.ActionGrant,
			map[string]consent.Decision{consent.PurposeAnalytics: d}), expires)
	}
	add(a, "expired", consent.Granted, base.Add(-time.Hour))
	add(a, "expires-now", consent.Denied, base)
	add(a, "later", consent.Granted, base.Add(time.Hour))
	add(a, "withdrawn", consent.Withdrawn, base.Add(-2*time.Hour))
	add(a, "expired-already", consent.Expired, base.Add(-2*time.Hour))
	add(a, "objected", consent.Objected, time.Time{})
	add(b, "other-org", consent.Granted, base.Add(-3*time.Hour))
	names := func(at time.Time, limit int) []string {
		t.Helper()
		ss, err := f.e.ExpiredStates(f.ctx, at, limit)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = s.OrgID[:4] + ":" + s.VisitorID
			if (s.OrgID == b) != (s.VisitorID == "other-org") || s.Purpose != consent.PurposeAnalytics || s.ExpiresAt.After(at) {
				t.Fatalf("expired state %+v", s)
			}
		}
		return out
	}
	want := []string{b[:4] + ":other-org", a[:4] + ":expired", a[:4] + ":expires-now"}
	if got := names(base, 10); !slices.Equal(got, want) {
		t.Fatalf("expired states %v, want %v", got, want)
	}
	if got := names(base, 2); !slices.Equal(got, want[:2]) {
		t.Fatalf("expired states limit 2: %v, want %v", got, want[:2])
	}
	if got := names(base.Add(-4*time.Hour), 10); len(got) != 0 {
		t.Fatalf("expired states before any expiry: %v", got)
	}
}

func testSigningKey(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	_, err := f.e.SigningKey(f.ctx, org)
	wantCode(t, "signing key before any was created", err, presage.CodeNotFound)
	// generate makes key n, created n seconds after base (with the
	// sub-millisecond detail the stores drop).
	var calls atomic.Int32
	generate := func(orgID string) consent.SigningKey {
		n := calls.Add(1)
		_, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			panic(err)
		}
		return consent.SigningKey{OrgID: orgID, KID: fmt.Sprintf("kid-%d", n), Private: priv, CreatedAt: base.Add(time.Duration(n) * time.Second)}
	}
	createdAt := func(kid string) time.Time {
		var n int
		fmt.Sscanf(kid, "kid-%d", &n)
		return presage.StoredTime(base.Add(time.Duration(n) * time.Second))
	}
	// keyOf is what the domain does: read the key, and create one only when
	// there is none.
	keyOf := func(orgID string) (consent.SigningKey, error) {
		k, err := f.e.SigningKey(f.ctx, orgID)
		if presage.IsNotFound(err) {
			k, err = f.e.CreateSigningKey(f.ctx, generate(orgID))
		}
		return k, err
	}
	const workers = 8
	keys := make(chan consent.SigningKey, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			k, err := keyOf(org)
			if err != nil {
				errs <- err
				return
			}
			keys <- k
		})
	}
	wg.Wait()
	close(keys)
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent signing key: %v", err)
	}
	var first consent.SigningKey
	for k := range keys {
		if first.KID == "" {
			first = k
		}
		if k.KID != first.KID || !k.Private.Equal(first.Private) || k.OrgID != org || !k.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("callers got different keys: %s and %s", first.KID, k.KID)
		}
	}
	if !first.CreatedAt.Equal(createdAt(first.KID)) || first.CreatedAt.Location() != time.UTC {
		t.Fatalf("key %s created at %v, want the time its creator gave, %v", first.KID, first.CreatedAt, createdAt(first.KID))
	}
	sig := ed25519.Sign(first.Private, []byte("receipt"))
	if !ed25519.Verify(first.Private.Public().(ed25519.PublicKey), []byte("receipt"), sig) {
		t.Fatal("the stored key does not sign")
	}
	before := calls.Load()
	k, err := keyOf(org)
	if err != nil || k.KID != first.KID || !k.Private.Equal(first.Private) || calls.Load() != before {
		t.Fatalf("signing key later: %s (%v), generate called %d more times", k.KID, err, calls.Load()-before)
	}
	// A key created when the organization has one is not stored: the caller
	// gets the first.
	if k, err := f.e.CreateSigningKey(f.ctx, generate(org)); err != nil || k.KID != first.KID || !k.Private.Equal(first.Private) {
		t.Fatalf("second signing key of an organization: got %s (%v), want the first, %s", k.KID, err, first.KID)
	}
	if k, err := f.e.SigningKey(f.ctx, org); err != nil || k.KID != first.KID {
		t.Fatalf("signing key after a second create: %s (%v), want %s", k.KID, err, first.KID)
	}
	if _, err := f.e.CreateSigningKey(f.ctx, consent.SigningKey{OrgID: other, KID: "kid-short", Private: first.Private[:32], CreatedAt: base}); err == nil {
		t.Fatal("a malformed signing key was stored")
	}
	k, err = keyOf(other)
	if err != nil || k.KID == first.KID || k.Private.Equal(first.Private) || k.OrgID != other {
		t.Fatalf("another organization's signing key: %s, %v", k.KID, err)
	}
}

// placeholder returns the engine's parameter marker number i (from 1).
func placeholder(e store.Engine, i int) string {
	if e.Engine() == "postgres" {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

func testTamper(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org := f.org.ID
	raw, ok := f.e.(RawExecer)
	if !ok {
		t.Fatalf("%s engine has no ExecRaw", f.e.Engine())
	}
	for i := range 3 {
		f.appendRecord(record(org, "visitor-1", base.Add(time.Duration(i)*time.Minute), consent.ActionGrant,
			map[string]consent.Decision{consent.PurposeAnalytics: consent.Granted}), time.Time{})
	}
	if n := f.brokenLink(org); n != 0 {
		t.Fatalf("chain broken at %d before tampering", n)
	}
	p1, p2 := placeholder(f.e, 1), placeholder(f.e, 2)
	if err := raw.ExecRaw(f.ctx, `UPDATE consent_records SET user_agent = 'forged' WHERE org_id = `+p1+` AND seq = `+p2, org, 2); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if r := f.records(org)[1]; r.UserAgent != "forged" {
		t.Fatalf("record 2 after tampering: %+v", r)
	}
	if n := f.brokenLink(org); n != 2 {
		t.Fatalf("altered record: chain broken at %d, want 2", n)
	}
	if err := raw.ExecRaw(f.ctx, `UPDATE consent_records SET user_agent = 'Mozilla/5.0 Firefox' WHERE org_id = `+p1+` AND seq = `+p2, org, 2); err != nil {
		t.Fatal(err)
	}
	if err := raw.ExecRaw(f.ctx, `DELETE FROM consent_records WHERE org_id = `+p1+` AND seq = `+p2, org, 3); err != nil {
		t.Fatalf("delete newest record: %v", err)
	}
	if n := f.brokenLink(org); n != 3 {
		t.Fatalf("deleted newest record: chain broken at %d, want 3 (the head still names it)", n)
	}
}

func testConsentIsolation(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a, b := f.org.ID, f.newOrg("Other").ID
	ctx := f.ctx
	analytics := map[string]consent.Decision{consent.PurposeAnalytics: consent.Granted}
	if err := f.e.PutPurposes(ctx, a, []consent.Purpose{{Name: "analytics", Basis: consent.BasisConsent, UpdatedAt: base}}); err != nil {
		t.Fatal(err)
	}
	if err := f.e.PutSettings(ctx, consent.Settings{OrgID: a, TTL: time.Hour, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	for v := range 2 {
		n := consent.Notice{OrgID: a, Version: v + 1, Language: "en", CreatedAt: base}
		n.SHA256 = noticeHash(n)
		if err := f.e.CreateNotice(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	ra := record(a, "visitor-1", base, consent.ActionGrant, analytics)
	ra.CustomerID = "cus_a"
	f.appendRecord(ra, base.Add(-time.Hour))
	f.appendRecord(record(a, "visitor-2", base, consent.ActionGrant, analytics), time.Time{})
	headA, _ := f.e.Head(ctx, a)
	newKey := func(orgID, kid string) consent.SigningKey {
		_, priv, _ := ed25519.GenerateKey(nil)
		return consent.SigningKey{OrgID: orgID, KID: kid, Private: priv, CreatedAt: base}
	}
	keyA, err := f.e.CreateSigningKey(ctx, newKey(a, "kid-a"))
	if err != nil {
		t.Fatal(err)
	}
	kidA := keyA.KID

	t.Run("reads of another organization are empty", func(t *testing.T) {
		counts := map[string]func() (int, error){
			"purposes": func() (int, error) { l, err := f.e.ListPurposes(ctx, b); return len(l), err },
			"notices":  func() (int, error) { l, err := f.e.ListNotices(ctx, b); return len(l), err },
			"records":  func() (int, error) { l, err := f.e.Records(ctx, b, 0, 100); return len(l), err },
			"subject records of a visitor": func() (int, error) {
				l, err := f.e.SubjectRecords(ctx, b, "visitor-1", "")
				return len(l), err
			},
			"subject records of a customer": func() (int, error) {
				l, err := f.e.SubjectRecords(ctx, b, "", "cus_a")
				return len(l), err
			},
			"states": func() (int, error) { l, err := f.e.States(ctx, b, "visitor-1"); return len(l), err },
			"states of visitors": func() (int, error) {
				m, err := f.e.StatesOf(ctx, b, consent.PurposeAnalytics, []string{"visitor-1", "visitor-2"})
				return len(m), err
			},
		}
		for name, count := range counts {
			if n, err := count(); err != nil || n != 0 {
				t.Fatalf("%s of another organization: %d items (%v)", name, n, err)
			}
		}
		_, err := f.e.GetSettings(ctx, b)
		wantCode(t, "settings", err, presage.CodeNotFound)
		_, err = f.e.GetNotice(ctx, b, 1)
		wantCode(t, "notice", err, presage.CodeNotFound)
		if h, err := f.e.Head(ctx, b); err != nil || h != (consent.Head{}) {
			t.Fatalf("head of another organization: %+v, %v", h, err)
		}
		ss, err := f.e.ExpiredStates(ctx, base, 100)
		if err != nil || len(ss) != 1 || ss[0].OrgID != a {
			t.Fatalf("expired states: %+v, %v", ss, err)
		}
	})

	t.Run("writes of another organization start afresh", func(t *testing.T) {
		// Version 1 of b is free although a has it.
		err := f.e.CreateNotice(ctx, consent.Notice{OrgID: b, Version: 1, Language: "en", CreatedAt: base})
		if n, gerr := f.e.GetNotice(ctx, b, 1); err != nil || gerr != nil || n.Version != 1 {
			t.Fatalf("first notice of b: version %d, %v, %v", n.Version, err, gerr)
		}
		var seen []consent.State
		r, err := f.e.Append(ctx, b, "visitor-1", builder(record(b, "visitor-1", base, consent.ActionDeny,
			map[string]consent.Decision{consent.PurposeAnalytics: consent.Denied}), time.Time{}, &seen))
		if err != nil || r.Seq != 1 || r.PrevHash != "" || len(seen) != 0 {
			t.Fatalf("first record of b: %+v, %v (build saw %+v)", r, err, seen)
		}
		if h, _ := f.e.Head(ctx, a); h != headA {
			t.Fatalf("head of a moved to %+v", h)
		}
		if ss := f.states(a, "visitor-1"); len(ss) != 1 || ss[0].Decision != consent.Granted {
			t.Fatalf("states of a after b's append: %+v", ss)
		}
		if n := f.brokenLink(a); n != 0 {
			t.Fatalf("chain of a broken at %d", n)
		}
		if err := f.e.PutPurposes(ctx, b, []consent.Purpose{{Name: "analytics", Basis: consent.BasisContract, UpdatedAt: base}}); err != nil {
			t.Fatal(err)
		}
		if ps, _ := f.e.ListPurposes(ctx, a); len(ps) != 1 || ps[0].Basis != consent.BasisConsent {
			t.Fatalf("purposes of a after b's put: %+v", ps)
		}
		if len(f.notices(a)) != 2 {
			t.Fatal("b's notice changed a's")
		}
		_, err = f.e.SigningKey(ctx, b)
		wantCode(t, "signing key of b before its first", err, presage.CodeNotFound)
		keyB, err := f.e.CreateSigningKey(ctx, newKey(b, "kid-b"))
		if kidB := keyB.KID; err != nil || kidB == kidA {
			t.Fatalf("signing key of b: %s, %v", kidB, err)
		}
		if k, err := f.e.SigningKey(ctx, a); err != nil || k.KID != kidA {
			t.Fatalf("signing key of a after b's: %s, %v", k.KID, err)
		}
	})
}

func (f *fixture) notices(orgID string) []consent.Notice {
	f.t.Helper()
	ns, err := f.e.ListNotices(f.ctx, orgID)
	if err != nil {
		f.t.Fatalf("list notices: %v", err)
	}
	return ns
}

// LedgerAppendOnly checks on e that plain SQL, run by plain on a connection
// of its own, can neither update nor delete consent records, while ExecRaw
// can and leaves the guard in place afterwards. Engine packages call it with
// a raw connection to the database e opened.
func LedgerAppendOnly(t *testing.T, e store.Engine, plain func(ctx context.Context, query string) error) {
	f := &fixture{t: t, ctx: context.Background(), e: e}
	f.org = f.newOrg("Acme")
	org := f.org.ID
	for i := range 2 {
		f.appendRecord(record(org, "visitor-1", base.Add(time.Duration(i)*time.Minute), consent.ActionGrant,
			map[string]consent.Decision{consent.PurposeAnalytics: consent.Granted}), time.Time{})
	}
	before := f.records(org)
	// The refused statements match every record of org (a row trigger fires
	// only for rows a statement touches); ExecRaw changes record 1.
	ofOrg := ` WHERE org_id = '` + org + `'`
	where := ofOrg + ` AND seq = 1`
	refused := []string{
		`UPDATE consent_records SET user_agent = 'forged'` + ofOrg,
		`UPDATE consent_records SET hash = 'x'`,
		`DELETE FROM consent_records` + ofOrg,
		`DELETE FROM consent_records`,
	}
	if e.Engine() == "postgres" {
		refused = append(refused, `TRUNCATE consent_records`)
	}
	check := func(when string) {
		t.Helper()
		for _, q := range refused {
			err := plain(f.ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: %q was not refused by the ledger guard: %v", when, q, err)
			}
		}
		after := f.records(org)
		if len(after) != len(before) {
			t.Fatalf("%s: %d records, want %d", when, len(after), len(before))
		}
		for i := range after {
			sameRecord(t, after[i], before[i])
		}
	}
	check("plain SQL")
	raw, ok := e.(RawExecer)
	if !ok {
		t.Fatalf("%s engine has no ExecRaw", e.Engine())
	}
	if err := raw.ExecRaw(f.ctx, `UPDATE consent_records SET user_agent = 'forged'`+where); err != nil {
		t.Fatalf("exec raw update: %v", err)
	}
	if f.records(org)[0].UserAgent != "forged" {
		t.Fatal("exec raw did not update")
	}
	before = f.records(org)
	check("plain SQL after ExecRaw")
	if err := raw.ExecRaw(f.ctx, `DELETE FROM consent_records`+where); err != nil {
		t.Fatalf("exec raw delete: %v", err)
	}
	if n := len(f.records(org)); n != 1 {
		t.Fatalf("%d records after exec raw delete, want 1", n)
	}
	if err := raw.ExecRaw(f.ctx, `UPDATE consent_records SET no_such_column = 1`); err == nil {
		t.Fatal("exec raw of a bad statement succeeded")
	}
	before = f.records(org)
	check("plain SQL after a failed ExecRaw")
}

// appendSealed appends a grant of analytics by visitorID (of customerID)
// hashed as the consent service hashes it, so verification passes, and sets
// the visitor's state.
func (f *fixture) appendSealed(orgID, visitorID, customerID string, at time.Time) consent.Record {
	f.t.Helper()
	tmpl := record(orgID, visitorID, at, consent.ActionGrant, map[string]consent.Decision{consent.PurposeAnalytics: consent.Granted})
	tmpl.CustomerID = customerID
	tmpl = consent.Seal(tmpl)
	r, err := f.e.Append(f.ctx, orgID, visitorID, func(h consent.Head, _ []consent.State) (consent.Record, []consent.State, error) {
		r := tmpl
		r.Seq, r.PrevHash = h.Seq+1, h.Hash
		r.Hash = consent.HashRecord(r)
		return r, []consent.State{{OrgID: orgID, VisitorID: visitorID, Purpose: consent.PurposeAnalytics,
			Decision: consent.Granted, RecordSeq: r.Seq, DecidedAt: r.RecordedAt}}, nil
	})
	if err != nil {
		f.t.Fatalf("append: %v", err)
	}
	return r
}

// verify runs the consent service's verification of orgID's chain.
func (f *fixture) verify(orgID string) consent.VerifyReport {
	f.t.Helper()
	ctx := presage.WithPrincipal(f.ctx, presage.Principal{OrgID: orgID, Scopes: []presage.Scope{presage.ScopeAdmin}})
	rep, err := consent.NewService(f.e, nil, consent.Options{}).Verify(ctx)
	if err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	return rep
}

// wantVerify fails unless orgID's chain verifies (brokenAt 0) or breaks,
// altered, at brokenAt.
func (f *fixture) wantVerify(orgID string, brokenAt int64) {
	f.t.Helper()
	rep := f.verify(orgID)
	switch {
	case brokenAt == 0 && !rep.OK:
		f.t.Fatalf("chain of %s does not verify: %+v", orgID, *rep.Problem)
	case brokenAt != 0 && (rep.OK || rep.Problem.Seq != brokenAt || rep.Problem.Kind != consent.ProblemAltered):
		f.t.Fatalf("chain of %s: %+v, want altered at seq %d", orgID, rep, brokenAt)
	}
}

func testAnonymizeSubject(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, other := f.org.ID, f.newOrg("Other").ID
	raw, ok := f.e.(RawExecer)
	if !ok {
		t.Fatalf("%s engine has no ExecRaw", f.e.Engine())
	}
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	f.appendSealed(org, "visitor-1", "", at(0))
	f.appendSealed(org, "visitor-2", "", at(1))
	f.appendSealed(org, "visitor-1", "cus_1", at(2))
	f.appendSealed(org, "visitor-3", "cus_1", at(3)) // another device of the customer
	f.appendSealed(org, "visitor-2", "", at(4))
	f.appendSealed(other, "visitor-1", "cus_1", at(0))
	f.wantVerify(org, 0)
	before, otherBefore := f.records(org), f.records(other)

	recs, states, err := f.e.AnonymizeSubject(f.ctx, org, []string{"visitor-1", ""}, []string{"cus_1"})
	if err != nil || recs != 3 || states != 1 {
		t.Fatalf("anonymize: %d records, %d states, %v; want 3 and 1", recs, states, err)
	}
	after := f.records(org)
	if len(after) != len(before) {
		t.Fatalf("%d records after anonymizing, want %d", len(after), len(before))
	}
	for i, r := range after {
		want := before[i]
		if i == 0 || i == 2 || i == 3 {
			want.VisitorID, want.CustomerID, want.IPPrefix, want.UserAgent, want.SubjectSalt = "", "", "", "", ""
		}
		sameRecord(t, r, want)
	}
	f.wantVerify(org, 0)
	if ss := f.states(org, "visitor-1"); len(ss) != 0 {
		t.Fatalf("states of an anonymized visitor: %+v", ss)
	}
	if ss := f.states(org, "visitor-2"); len(ss) != 1 {
		t.Fatalf("states of a kept visitor: %+v", ss)
	}
	for _, c := range []struct{ visitor, customer string }{{"visitor-1", ""}, {"", "cus_1"}, {"", ""}} {
		if rs, err := f.e.SubjectRecords(f.ctx, org, c.visitor, c.customer); err != nil || len(rs) != 0 {
			t.Fatalf("subject records of anonymized %+v: %d (%v)", c, len(rs), err)
		}
	}
	if rs, err := f.e.SubjectRecords(f.ctx, org, "visitor-2", ""); err != nil || len(rs) != 2 {
		t.Fatalf("subject records of a kept visitor: %d (%v)", len(rs), err)
	}
	if m, err := f.e.StatesOf(f.ctx, org, consent.PurposeAnalytics, []string{"visitor-1", "visitor-2"}); err != nil || len(m) != 1 {
		t.Fatalf("states of visitors after anonymizing: %+v (%v)", m, err)
	}

	t.Run("idempotent", func(t *testing.T) {
		if recs, states, err := f.e.AnonymizeSubject(f.ctx, org, []string{"visitor-1"}, []string{"cus_1"}); err != nil || recs != 0 || states != 0 {
			t.Fatalf("anonymize again: %d records, %d states, %v", recs, states, err)
		}
		if recs, states, err := f.e.AnonymizeSubject(f.ctx, org, nil, []string{""}); err != nil || recs != 0 || states != 0 {
			t.Fatalf("anonymize nobody: %d records, %d states, %v", recs, states, err)
		}
		f.wantVerify(org, 0)
	})

	t.Run("other organization untouched", func(t *testing.T) {
		got := f.records(other)
		for i := range got {
			sameRecord(t, got[i], otherBefore[i])
		}
		if ss := f.states(other, "visitor-1"); len(ss) != 1 {
			t.Fatalf("states of the other organization: %+v", ss)
		}
		f.wantVerify(other, 0)
	})

	t.Run("tampering is still detected", func(t *testing.T) {
		p1, p2, p3 := placeholder(f.e, 1), placeholder(f.e, 2), placeholder(f.e, 3)
		set := func(column, value string, seq int64) {
			t.Helper()
			if err := raw.ExecRaw(f.ctx, `UPDATE consent_records SET `+column+` = `+p1+` WHERE org_id = `+p2+` AND seq = `+p3,
				value, org, seq); err != nil {
				t.Fatal(err)
			}
		}
		set("ip_prefix", "198.51.100.0/24", 2) // a kept visitor's record
		f.wantVerify(org, 2)
		set("ip_prefix", before[1].IPPrefix, 2)
		f.wantVerify(org, 0)
		set("visitor_id", "visitor-2", 1) // an anonymized record attributed to someone
		f.wantVerify(org, 1)
		set("visitor_id", "", 1)
		f.wantVerify(org, 0)
	})
}

// insertV1 writes a version 1 chain of n records (as stored before
// migration 0005: no salt, no commitment, hashes over the identifying
// values) and its head into orgID with raw SQL; forged, when set, replaces
// the user agent of that seq after hashing.
func (f *fixture) insertV1(orgID string, n int, forged int64) []consent.Record {
	f.t.Helper()
	raw, ok := f.e.(RawExecer)
	if !ok {
		f.t.Fatalf("%s engine has no ExecRaw", f.e.Engine())
	}
	marks := make([]string, 16)
	for i := range marks {
		marks[i] = placeholder(f.e, i+1)
	}
	var out []consent.Record
	prev := ""
	for i := range n {
		r := consent.Record{OrgID: orgID, Seq: int64(i + 1), ID: presage.NewID("cr"), VisitorID: fmt.Sprintf("visitor-%d", i%2+1),
			Action: consent.ActionGrant, Decisions: map[string]consent.Decision{consent.PurposeAnalytics: consent.Granted},
			NoticeVersion: 1, NoticeHash: "notice-1", Method: consent.MethodBanner,
			RecordedAt: presage.StoredTime(base.Add(time.Duration(i) * time.Minute)), IPPrefix: "203.0.113.0/24",
			UserAgent: "Mozilla/5.0 Firefox", PrevHash: prev}
		if i == 1 {
			r.CustomerID, r.Artefact = "cus_1", json.RawMessage(`{"tcf": "CPXx", "gcm": {"ad_storage": "denied"}}`)
		}
		r.Hash = consent.HashRecord(r)
		prev = r.Hash
		if r.Seq == forged {
			r.UserAgent = "forged"
		}
		decisions, _ := json.Marshal(r.Decisions)
		var recorded, artefact any = r.RecordedAt.UnixMilli(), nil
		if f.e.Engine() == "postgres" {
			recorded = r.RecordedAt
		}
		if r.Artefact != nil {
			artefact = string(r.Artefact)
		}
		if err := raw.ExecRaw(f.ctx, `INSERT INTO consent_records (org_id, seq, id, visitor_id, customer_id, action, decisions,
			notice_version, notice_hash, method, recorded_at, ip_prefix, user_agent, artefact, prev_hash, hash)
			VALUES (`+strings.Join(marks, ", ")+`)`,
			r.OrgID, r.Seq, r.ID, r.VisitorID, r.CustomerID, string(r.Action), string(decisions), r.NoticeVersion,
			r.NoticeHash, string(r.Method), recorded, r.IPPrefix, r.UserAgent, artefact, r.PrevHash, r.Hash); err != nil {
			f.t.Fatalf("insert version 1 record: %v", err)
		}
		out = append(out, r)
	}
	if err := raw.ExecRaw(f.ctx, `INSERT INTO consent_heads (org_id, seq, hash) VALUES (`+strings.Join(marks[:3], ", ")+`)`,
		orgID, int64(n), prev); err != nil {
		f.t.Fatalf("insert head: %v", err)
	}
	return out
}

func testSealV1(t *testing.T, open Opener) {
	f := newFixture(t, open)
	org, broken, late := f.org.ID, f.newOrg("Broken").ID, f.newOrg("Late").ID
	v1 := f.insertV1(org, 4, 0)
	f.insertV1(broken, 3, 2)
	// Verification reads version 1 records as they were written.
	f.wantVerify(org, 0)
	f.wantVerify(broken, 2)
	brokenBefore := f.records(broken)

	if err := f.e.Migrate(f.ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	sealed := f.records(org)
	if len(sealed) != len(v1) {
		t.Fatalf("%d records after migrating, want %d", len(sealed), len(v1))
	}
	for i, r := range sealed {
		want := v1[i]
		if len(r.SubjectSalt) != 2*consent.SaltBytes || r.SubjectCommitment != consent.SubjectCommitment(r) ||
			consent.RecordVersion(r) != consent.RecordV2 || r.Hash != consent.HashRecord(r) {
			t.Fatalf("record %d was not sealed: %+v", r.Seq, r)
		}
		want.SubjectSalt, want.SubjectCommitment, want.PrevHash, want.Hash = r.SubjectSalt, r.SubjectCommitment, r.PrevHash, r.Hash
		sameRecord(t, r, want)
	}
	f.wantVerify(org, 0)
	if h, err := f.e.Head(f.ctx, org); err != nil || h != (consent.Head{Seq: 4, Hash: sealed[3].Hash}) {
		t.Fatalf("head after migrating: %+v (%v), want seq 4 %s", h, err, sealed[3].Hash)
	}
	// A chain that does not verify keeps its break for verification.
	for i, r := range f.records(broken) {
		sameRecord(t, r, brokenBefore[i])
	}
	f.wantVerify(broken, 2)

	t.Run("no-op once done", func(t *testing.T) {
		if err := f.e.Migrate(f.ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		for i, r := range f.records(org) {
			sameRecord(t, r, sealed[i])
		}
	})

	t.Run("appends and erasure after the migration", func(t *testing.T) {
		f.appendSealed(org, "visitor-1", "", base.Add(time.Hour))
		f.wantVerify(org, 0)
		recs, _, err := f.e.AnonymizeSubject(f.ctx, org, []string{"visitor-1"}, nil)
		if err != nil || recs != 3 {
			t.Fatalf("anonymize: %d records, %v; want 3", recs, err)
		}
		f.wantVerify(org, 0)
	})

	t.Run("erasure before the migration seals first", func(t *testing.T) {
		f.insertV1(late, 3, 0)
		recs, _, err := f.e.AnonymizeSubject(f.ctx, late, []string{"visitor-2"}, nil)
		if err != nil || recs != 1 {
			t.Fatalf("anonymize: %d records, %v; want 1", recs, err)
		}
		for _, r := range f.records(late) {
			if consent.RecordVersion(r) != consent.RecordV2 || (r.Seq == 2) != consent.Anonymized(r) {
				t.Fatalf("record %d after anonymizing an unsealed chain: %+v", r.Seq, r)
			}
		}
		f.wantVerify(late, 0)
		// A broken chain is anonymized all the same.
		if recs, _, err := f.e.AnonymizeSubject(f.ctx, broken, []string{"visitor-1"}, nil); err != nil || recs != 2 {
			t.Fatalf("anonymize a broken chain: %d records, %v; want 2", recs, err)
		}
	})
}
