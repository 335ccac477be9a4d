package consent

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	ttl := 30
	methods := []struct {
		name  string
		scope presage.Scope
		call  func(ctx context.Context) error
	}{
		{"Purposes", presage.ScopeRead, func(ctx context.Context) error { _, err := e.svc.Purposes(ctx); return err }},
		{"SetPurposes", presage.ScopeAdmin, func(ctx context.Context) error {
			_, err := e.svc.SetPurposes(ctx, PurposesInput{Purposes: []PurposeInput{{Name: "chat", Basis: BasisConsent, Description: "Chat."}}})
			return err
		}},
		{"Settings", presage.ScopeRead, func(ctx context.Context) error { _, err := e.svc.Settings(ctx); return err }},
		{"UpdateSettings", presage.ScopeAdmin, func(ctx context.Context) error {
			_, err := e.svc.UpdateSettings(ctx, SettingsPatch{TTLDays: &ttl})
			return err
		}},
		{"PublishNotice", presage.ScopeAdmin, func(ctx context.Context) error {
			_, err := e.svc.PublishNotice(ctx, NoticeInput{Language: "en", Title: "T", Texts: map[string]string{"analytics": "A."}})
			return err
		}},
		{"Notices", presage.ScopeRead, func(ctx context.Context) error { _, err := e.svc.Notices(ctx); return err }},
		{"Notice", presage.ScopeRead, func(ctx context.Context) error { _, err := e.svc.Notice(ctx, 1); return err }},
		{"History", presage.ScopeGDPR, func(ctx context.Context) error { _, err := e.svc.History(ctx, visitorA); return err }},
		{"RecordDecision", presage.ScopeGDPR, func(ctx context.Context) error {
			in := grantAll(visitorA)
			in.Method = MethodAPI
			_, _, err := e.svc.RecordDecision(ctx, in)
			return err
		}},
		{"Verify", presage.ScopeAdmin, func(ctx context.Context) error { _, err := e.svc.Verify(ctx); return err }},
	}
	for _, m := range methods {
		if code := presage.ErrorCode(m.call(bg)); code != presage.CodeUnauthorized {
			t.Errorf("%s without a principal: code %q, want unauthorized", m.name, code)
		}
		for _, sc := range presage.AllScopes {
			err := m.call(as(sc))
			if sc == m.scope {
				if err != nil {
					t.Errorf("%s with scope %s: %v", m.name, sc, err)
				}
			} else if code := presage.ErrorCode(err); code != presage.CodeForbidden {
				t.Errorf("%s with scope %s: code %q, want forbidden", m.name, sc, code)
			}
		}
	}
}

func TestEnsureDefaults(t *testing.T) {
	e := newEnv(t)
	admin := as(presage.ScopeAdmin, presage.ScopeRead)
	if _, err := e.svc.SetPurposes(admin, PurposesInput{Purposes: []PurposeInput{{Name: PurposeSupport, Basis: BasisLegitimateInterest, Description: "Help."}}}); err != nil {
		t.Fatal(err)
	}
	days := 180
	if _, err := e.svc.UpdateSettings(admin, SettingsPatch{TTLDays: &days}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.EnsureDefaults(bg, testOrg); err != nil { // a second time: changes nothing
		t.Fatal(err)
	}
	ps, _ := e.svc.Purposes(admin)
	var names []string
	for _, p := range ps {
		names = append(names, p.Name+":"+string(p.Basis))
	}
	if got := strings.Join(names, " "); got != "analytics:consent marketing:consent sales:consent support:legitimate_interest" {
		t.Errorf("purposes = %s", got)
	}
	set, _ := e.svc.Settings(admin)
	if set.TTL != 180*24*time.Hour || strings.Join(set.GPCObjects, ",") != "sales,marketing" || set.HonourDNT || set.EraseOnWithdrawal {
		t.Errorf("settings = %+v", set)
	}
	// Version 1 is the default notice; moving support to legitimate
	// interest published version 2 with the default text for that basis.
	ns, _ := e.svc.Notices(admin)
	if len(ns) != 2 || ns[1].Version != 1 || ns[0].Language != "en" || len(ns[0].Texts) != 4 || ns[0].SHA256 != NoticeHash(ns[0]) {
		t.Fatalf("notices = %+v", ns)
	}
	for p, text := range ns[1].Texts {
		if !strings.Contains(text, "withdraw your consent at any time, as easily as you gave it") || ns[1].BasisOf(p) != BasisConsent {
			t.Errorf("the default text of %s does not say consent can be withdrawn as easily", p)
		}
	}
	if text := ns[0].Texts[PurposeSupport]; !strings.Contains(text, "legitimate interest") || !strings.Contains(text, "right to object") ||
		ns[0].BasisOf(PurposeSupport) != BasisLegitimateInterest {
		t.Errorf("support on legitimate interest is described as %q (%s)", text, ns[0].BasisOf(PurposeSupport))
	}
}

// twoNodes returns two services over one fake store, as two nodes sharing a
// database, with no defaults yet.
func twoNodes(t *testing.T) (store *fakeStore, a, b *Service) {
	t.Helper()
	store, c := newFakeStore(), &clock{t: t0}
	var n atomic.Int64
	opt := Options{Now: c.Now, NewID: func(prefix string) string { return prefix + "_" + strconv.FormatInt(n.Add(1), 10) }}
	return store, NewService(store, nil, opt), NewService(store, nil, opt)
}

// onFirstCreateNotice runs fn once, just before the first notice insert of
// either node reaches the store.
func onFirstCreateNotice(store *fakeStore, fn func()) {
	var fired atomic.Bool
	store.beforeCreateNotice = func() {
		if !fired.Swap(true) {
			fn()
		}
	}
}

func TestEnsureDefaultsOnTwoNodes(t *testing.T) {
	// Both nodes find no notice; b stores its version 1 between a's read and
	// a's insert. a must take b's notice for its own, not publish version 2.
	store, a, b := twoNodes(t)
	onFirstCreateNotice(store, func() {
		if err := b.EnsureDefaults(bg, testOrg); err != nil {
			t.Errorf("node b: %v", err)
		}
	})
	if err := a.EnsureDefaults(bg, testOrg); err != nil {
		t.Fatalf("node a, which lost the race: %v", err)
	}
	ns, _ := store.ListNotices(bg, testOrg)
	if len(ns) != 1 || ns[0].Version != 1 || ns[0].SHA256 != NoticeHash(ns[0]) || len(ns[0].Texts) != 4 {
		t.Fatalf("notices after two nodes ensured the defaults = %+v", ns)
	}
}

func TestPublishNoticeOnTwoNodes(t *testing.T) {
	// b publishes between a's read of the latest version and a's insert: a
	// numbers its notice again, after b's.
	store, a, b := twoNodes(t)
	if err := a.EnsureDefaults(bg, testOrg); err != nil {
		t.Fatal(err)
	}
	in := func(title string) NoticeInput {
		return NoticeInput{Language: "en", Title: title, Texts: map[string]string{PurposeAnalytics: "We measure."}}
	}
	var fromB Notice
	onFirstCreateNotice(store, func() {
		var err error
		if fromB, err = b.PublishNotice(as(presage.ScopeAdmin), in("from b")); err != nil {
			t.Errorf("node b: %v", err)
		}
	})
	fromA, err := a.PublishNotice(as(presage.ScopeAdmin), in("from a"))
	if err != nil {
		t.Fatalf("node a, which lost the race: %v", err)
	}
	if fromB.Version != 2 || fromA.Version != 3 || fromA.Title != "from a" || fromA.SHA256 != NoticeHash(fromA) {
		t.Fatalf("versions: b %d, a %d (%+v)", fromB.Version, fromA.Version, fromA)
	}
	for v, title := range map[int]string{2: "from b", 3: "from a"} {
		n, err := store.GetNotice(bg, testOrg, v)
		if err != nil || n.Title != title || n.SHA256 != NoticeHash(n) {
			t.Errorf("notice %d = %+v (%v), want %q with its hash", v, n, err, title)
		}
	}
}

func TestSetPurposesValidation(t *testing.T) {
	e := newEnv(t)
	ok := PurposeInput{Name: "chat", Basis: BasisConsent, Description: "Chat with us."}
	with := func(mod func(*PurposeInput)) []PurposeInput {
		p := ok
		mod(&p)
		return []PurposeInput{ok, p}
	}
	tests := []struct {
		name string
		in   []PurposeInput
		want string
	}{
		{"none", nil, "/purposes"},
		{"upper case", with(func(p *PurposeInput) { p.Name = "Chat2" }), "/purposes/1/name"},
		{"leading digit", with(func(p *PurposeInput) { p.Name = "2chat" }), "/purposes/1/name"},
		{"too long", with(func(p *PurposeInput) { p.Name = "a" + strings.Repeat("b", 40) }), "/purposes/1/name"},
		{"duplicate", with(func(p *PurposeInput) {}), "/purposes/1/name"},
		{"unknown basis", with(func(p *PurposeInput) { p.Name = "chat2"; p.Basis = "because" }), "/purposes/1/basis"},
		{"empty basis", with(func(p *PurposeInput) { p.Name = "chat2"; p.Basis = "" }), "/purposes/1/basis"},
		{"no description", with(func(p *PurposeInput) { p.Name = "chat2"; p.Description = "  " }), "/purposes/1/description"},
		{"long description", with(func(p *PurposeInput) { p.Name = "chat2"; p.Description = strings.Repeat("é", MaxDescription+1) }), "/purposes/1/description"},
		{"valid", with(func(p *PurposeInput) { p.Name = "chat_2"; p.Basis = BasisPublicTask }), "<nil>"},
	}
	for _, tt := range tests {
		_, err := e.svc.SetPurposes(as(presage.ScopeAdmin), PurposesInput{Purposes: tt.in})
		if got := field(err); got != tt.want {
			t.Errorf("%s: field %s, want %s (%v)", tt.name, got, tt.want, err)
		}
	}
}

func TestUpdateSettingsValidation(t *testing.T) {
	e := newEnv(t)
	ptr := func(v int) *int { return &v }
	objs := func(v ...string) *[]string { return &v }
	tests := []struct {
		name  string
		patch SettingsPatch
		want  string
	}{
		{"ttl zero", SettingsPatch{TTLDays: ptr(0)}, "/ttlDays"},
		{"ttl over 13 months", SettingsPatch{TTLDays: ptr(MaxTTLDays + 1)}, "/ttlDays"},
		{"undeclared gpc purpose", SettingsPatch{GPCObjects: objs("sales", "newsletter")}, "/gpcObjects/1"},
		{"valid", SettingsPatch{GPCObjects: objs("marketing", "marketing"), TTLDays: ptr(1)}, "<nil>"},
	}
	for _, tt := range tests {
		_, err := e.svc.UpdateSettings(as(presage.ScopeAdmin), tt.patch)
		if got := field(err); got != tt.want {
			t.Errorf("%s: field %s, want %s (%v)", tt.name, got, tt.want, err)
		}
	}
	set, _ := e.svc.Settings(as(presage.ScopeRead))
	if strings.Join(set.GPCObjects, ",") != "marketing" || set.TTL != 24*time.Hour {
		t.Errorf("settings after valid patch = %+v", set)
	}
	yes := true
	set, err := e.svc.UpdateSettings(as(presage.ScopeAdmin), SettingsPatch{HonourDNT: &yes, EraseOnWithdrawal: &yes})
	if err != nil || !set.HonourDNT || !set.EraseOnWithdrawal || set.TTL != 24*time.Hour {
		t.Errorf("a patch changed unset fields or failed: %+v %v", set, err)
	}
}

func TestPublishNoticeValidation(t *testing.T) {
	e := newEnv(t)
	ok := NoticeInput{Language: "fr-fr", Title: "Vos choix", Texts: map[string]string{"analytics": "Mesure d'audience."}}
	with := func(mod func(*NoticeInput)) NoticeInput {
		n := ok
		n.Texts = map[string]string{"analytics": "Mesure d'audience."}
		mod(&n)
		return n
	}
	tests := []struct {
		name string
		in   NoticeInput
		want string
	}{
		{"no language", with(func(n *NoticeInput) { n.Language = "" }), "/language"},
		{"bad language", with(func(n *NoticeInput) { n.Language = "fr_FR" }), "/language"},
		{"long language", with(func(n *NoticeInput) { n.Language = "en-" + strings.Repeat("abcdefgh-", 4) }), "/language"},
		{"no title", with(func(n *NoticeInput) { n.Title = " " }), "/title"},
		{"long title", with(func(n *NoticeInput) { n.Title = strings.Repeat("t", MaxTitle+1) }), "/title"},
		{"no texts", with(func(n *NoticeInput) { n.Texts = nil }), "/texts"},
		{"undeclared purpose", with(func(n *NoticeInput) { n.Texts["news/letter"] = "x" }), "/texts/news~1letter"},
		{"empty text", with(func(n *NoticeInput) { n.Texts["sales"] = "" }), "/texts/sales"},
		{"long text", with(func(n *NoticeInput) { n.Texts["sales"] = strings.Repeat("é", MaxText+1) }), "/texts/sales"},
		{"longest text", with(func(n *NoticeInput) { n.Texts["sales"] = strings.Repeat("é", MaxText) }), "<nil>"},
	}
	for _, tt := range tests {
		_, err := e.svc.PublishNotice(as(presage.ScopeAdmin), tt.in)
		if got := field(err); got != tt.want {
			t.Errorf("%s: field %s, want %s (%v)", tt.name, got, tt.want, err)
		}
	}
	n, err := e.svc.PublishNotice(as(presage.ScopeAdmin), ok)
	if err != nil {
		t.Fatal(err)
	}
	if n.Version != 3 || n.Language != "fr-FR" || n.SHA256 != NoticeHash(n) || n.OrgID != testOrg {
		t.Errorf("notice = %+v", n)
	}
	got, err := e.svc.Notice(as(presage.ScopeRead), 3)
	if err != nil || got.SHA256 != n.SHA256 {
		t.Errorf("Notice(3) = %+v, %v", got, err)
	}
	if _, err := e.svc.Notice(as(presage.ScopeRead), 9); !presage.IsNotFound(err) {
		t.Errorf("Notice(9): %v, want not found", err)
	}
}

func TestNormalizeLanguage(t *testing.T) {
	for in, want := range map[string]string{"EN": "en", "fr-fr": "fr-FR", "zh-hant-tw": "zh-Hant-TW", "es-419": "es-419", "de-CH-1996": "de-CH-1996"} {
		if got, ok := normalizeLanguage(in); !ok || got != want {
			t.Errorf("normalizeLanguage(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestHistory(t *testing.T) {
	e := newEnv(t)
	e.decide(t, grantAll(visitorKnown))
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionDeny, NoticeVersion: 1, Purposes: []string{"sales"}})
	n2, err := e.svc.PublishNotice(as(presage.ScopeAdmin), NoticeInput{Language: "en", Title: "v2", Texts: map[string]string{"sales": "Sales."}})
	if err != nil {
		t.Fatal(err)
	}
	e.decide(t, DecisionInput{VisitorID: visitorKnown, Action: ActionDeny, NoticeVersion: n2.Version, Purposes: []string{"sales"}})
	gdpr := as(presage.ScopeGDPR)
	for _, subject := range []string{visitorKnown, customerX} {
		h, err := e.svc.History(gdpr, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Records) != 2 || h.Records[0].CustomerID != customerX || len(h.Notices) != 2 || h.Notices[2].Title != "v2" {
			t.Errorf("History(%s) = %d records, notices %v", subject, len(h.Records), h.Notices)
		}
	}
	h, err := e.svc.History(gdpr, "never-seen-visitor")
	if err != nil || len(h.Records) != 0 || h.Records == nil {
		t.Errorf("History of an unknown subject = %+v, %v; want empty", h, err)
	}
	if _, err := e.svc.History(gdpr, "bad id!"); field(err) != "subject" {
		t.Errorf("History(bad id) = %v", err)
	}
}

func TestRecordDecision(t *testing.T) {
	e := newEnv(t)
	gdpr := as(presage.ScopeGDPR)
	for _, m := range []Method{"", MethodBanner, MethodGPC, MethodSystem, "fax"} {
		in := grantAll(visitorA)
		in.Method = m
		if _, _, err := e.svc.RecordDecision(gdpr, in); field(err) != "/method" {
			t.Errorf("RecordDecision with method %q: %v, want /method", m, err)
		}
	}
	in := grantAll(visitorA)
	in.Method = MethodImport
	in.Artefact = []byte(`{"importedFrom":"old-cmp","decidedAt":"2025-01-01T00:00:00Z"}`)
	r, _, err := e.svc.RecordDecision(gdpr, in)
	if err != nil || r.Method != MethodImport || r.Seq != 1 {
		t.Errorf("RecordDecision(import) = %+v, %v", r, err)
	}
}

func TestPolicyCacheTTL(t *testing.T) {
	e := newEnv(t)
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); ok {
		t.Fatal("tracking allowed without consent")
	}
	calls := e.store.listPurposes
	// Another node switches analytics to legitimate interest, straight in the store.
	_ = e.store.PutPurposes(bg, testOrg, []Purpose{{OrgID: testOrg, Name: PurposeAnalytics, Basis: BasisLegitimateInterest, Description: "x"}})
	for range 5 {
		if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); ok {
			t.Fatal("a cached policy was not used within its TTL")
		}
	}
	if e.store.listPurposes != calls {
		t.Errorf("purposes loaded %d more times within the TTL", e.store.listPurposes-calls)
	}
	e.clock.Advance(time.Second)
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); !ok {
		t.Error("the policy was not reloaded after its TTL")
	}
	// This node's own change applies at once.
	if _, err := e.svc.SetPurposes(as(presage.ScopeAdmin), PurposesInput{Purposes: []PurposeInput{{Name: PurposeAnalytics, Basis: BasisConsent, Description: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.svc.TrackingAllowed(bg, testOrg, visitorA); ok {
		t.Error("a local change did not invalidate the cache")
	}
}

func TestErasureOnWithdrawal(t *testing.T) {
	e := newEnv(t)
	var erased []string
	e.svc.erase = func(_ context.Context, orgID, visitorID string) error {
		erased = append(erased, orgID+"/"+visitorID)
		return nil
	}
	e.decide(t, grantAll(visitorA))
	e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionWithdraw, Purposes: []string{"analytics"}})
	if len(erased) != 0 {
		t.Errorf("erasure due by default: %v", erased)
	}
	yes := true
	if _, err := e.svc.UpdateSettings(as(presage.ScopeAdmin), SettingsPatch{EraseOnWithdrawal: &yes}); err != nil {
		t.Fatal(err)
	}
	e.decide(t, grantAll(visitorB))
	e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionWithdraw, Purposes: []string{"sales"}})
	if len(erased) != 0 {
		t.Errorf("erasure due after a withdrawal of sales only: %v", erased)
	}
	e.decide(t, DecisionInput{VisitorID: visitorB, Action: ActionWithdraw, Purposes: []string{"analytics"}})
	if len(erased) != 1 || erased[0] != testOrg+"/"+visitorB {
		t.Errorf("erasure not due after a withdrawal of analytics: %v", erased)
	}
}
