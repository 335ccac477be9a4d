package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/consent"
	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/store/sealed"
)

// newConsentTenant is an organization with the defaults every new one gets:
// analytics and the engagement purposes are consent-based.
func newConsentTenant(t *testing.T, n *node, name string) tenantFixture {
	t.Helper()
	ctx := context.Background()
	org, err := n.App.Tenants.CreateOrganization(presage.AsOperator(ctx, ""), name, []string{"https://" + strings.ToLower(name) + ".example"})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := n.App.Tenants.CreateKey(presage.AsOperator(ctx, org.ID), "test", presage.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	return tenantFixture{Org: org, Key: key}
}

type decisionAnswer struct {
	Record string `json:"record"`
	Seq    int64  `json:"seq"`
	States map[string]struct {
		Decision string `json:"decision"`
	} `json:"states"`
}

func decide(t *testing.T, n *node, tf tenantFixture, body map[string]any, headers map[string]string) (int, decisionAnswer, problemBody) {
	t.Helper()
	if _, ok := body["siteKey"]; !ok {
		body["siteKey"] = tf.Org.SiteKey
	}
	h := map[string]string{"Origin": tf.origin(), "Content-Type": "text/plain;charset=UTF-8", "User-Agent": chromeUA}
	for k, v := range headers {
		h[k] = v
	}
	var raw map[string]any
	code := n.call("POST", "/v1/consent", "", body, h, &raw)
	var ans decisionAnswer
	var p problemBody
	reencode(t, raw, &ans)
	reencode(t, raw, &p)
	return code, ans, p
}

func eventsFor(t *testing.T, n *node, tf tenantFixture, visitor, prefix string, count int) (int, problemBody) {
	t.Helper()
	var p problemBody
	code := n.call("POST", "/v1/events", "", batch(tf.Org.SiteKey, visitor, "session-"+visitor, prefix, count, time.Now()),
		map[string]string{"Origin": tf.origin(), "User-Agent": chromeUA}, &p)
	return code, p
}

func ledgerRecords(t *testing.T, n *node, tf tenantFixture) int64 {
	t.Helper()
	var rep struct {
		OK      bool  `json:"ok"`
		Records int64 `json:"records"`
	}
	if code := n.call("GET", "/api/v1/consent/verify", tf.Key, nil, nil, &rep); code != 200 || !rep.OK {
		t.Fatalf("verify: %d %+v", code, rep)
	}
	return rep.Records
}

func TestConsentGatesTheCollector(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newConsentTenant(t, n, "Gated")
		visitor := "visitor-gated-1"

		// A forged batch for a subject who never consented stores nothing.
		code, p := eventsFor(t, n, shop, visitor, "evt-forged-", 3)
		if code != 403 || !strings.HasSuffix(p.Type, "/consent_required") {
			t.Fatalf("events without consent: %d %+v", code, p)
		}
		var view struct {
			Notice struct {
				Version int               `json:"version"`
				Texts   map[string]string `json:"texts"`
			} `json:"notice"`
			NeedsDecision bool `json:"needsDecision"`
		}
		if code := n.call("GET", "/v1/consent?siteKey="+shop.Org.SiteKey+"&lang=en&visitorId="+visitor, "", nil, nil, &view); code != 200 ||
			view.Notice.Version != 1 || view.Notice.Texts["analytics"] == "" || !view.NeedsDecision {
			t.Fatalf("consent view: %d %+v", code, view)
		}

		// Grant analytics and sales: events are stored.
		code, ans, p2 := decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "grant",
			"purposes": []string{"analytics", "sales"}, "notice": 1, "method": "banner"}, nil)
		if code != 200 || ans.Seq != 1 || ans.States["analytics"].Decision != "granted" {
			t.Fatalf("grant: %d %+v %+v", code, ans, p2)
		}
		if code, p := eventsFor(t, n, shop, visitor, "evt-granted-", 3); code != 200 {
			t.Fatalf("events after grant: %d %+v", code, p)
		}

		// Withdrawing sales leaves analytics as it was.
		code, ans, _ = decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "withdraw", "purposes": []string{"sales"}}, nil)
		if code != 200 || ans.States["sales"].Decision != "withdrawn" || ans.States["analytics"].Decision != "granted" {
			t.Fatalf("withdraw sales: %d %+v", code, ans)
		}
		if ok, _ := n.App.Consents.EngagementAllowed(context.Background(), shop.Org.ID, visitor, "sales"); ok {
			t.Error("sales engagement allowed after its withdrawal")
		}
		if code, _ := eventsFor(t, n, shop, visitor, "evt-still-", 1); code != 200 {
			t.Fatalf("events after withdrawing sales: %d", code)
		}

		// Withdrawing analytics stops collection at once; what came before stays.
		code, _, _ = decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "withdraw", "purposes": []string{"analytics"}}, nil)
		if code != 200 {
			t.Fatalf("withdraw analytics: %d", code)
		}
		if code, p := eventsFor(t, n, shop, visitor, "evt-after-", 2); code != 403 || !strings.HasSuffix(p.Type, "/consent_required") {
			t.Fatalf("events after withdrawal: %d %+v", code, p)
		}
		var s struct{ EventCount int }
		n.call("GET", "/api/v1/sessions/session-"+visitor, shop.Key, nil, nil, &s)
		if s.EventCount != 4 {
			t.Errorf("session holds %d events, want the 4 collected before the withdrawal", s.EventCount)
		}
		if got := ledgerRecords(t, n, shop); got != 3 {
			t.Errorf("ledger has %d records, want grant, withdraw, withdraw", got)
		}

		// The controller sees the history with the notices' texts.
		var hist struct {
			Records []struct {
				Action    string `json:"action"`
				IPPrefix  string `json:"ipPrefix"`
				UserAgent string `json:"userAgent"`
			} `json:"records"`
			Notices map[string]struct {
				Texts map[string]string `json:"texts"`
			} `json:"notices"`
		}
		if code := n.call("GET", "/api/v1/consents/"+visitor, shop.Key, nil, nil, &hist); code != 200 || len(hist.Records) != 3 ||
			hist.Records[0].IPPrefix != "127.0.0.0/24" || hist.Records[0].UserAgent != chromeUA || hist.Notices["1"].Texts["analytics"] == "" {
			t.Errorf("history: %d %+v", code, hist)
		}
	})
}

func TestConsentBadInputWritesNothing(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newConsentTenant(t, n, "Strict")
		other := newConsentTenant(t, n, "Other")
		tests := []struct {
			name   string
			body   map[string]any
			origin string
			status int
			field  string
		}{
			{"unknown action", map[string]any{"visitorId": "visitor-bad-1", "action": "maybe", "purposes": []string{"analytics"}, "notice": 1}, "", 400, "/action"},
			{"unknown purpose", map[string]any{"visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics", "telepathy"}, "notice": 1}, "", 400, "/purposes/1"},
			{"unknown notice", map[string]any{"visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}, "notice": 99}, "", 400, "/notice"},
			{"missing notice", map[string]any{"visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}}, "", 400, "/notice"},
			{"bad visitor id", map[string]any{"visitorId": "x", "action": "grant", "purposes": []string{"analytics"}, "notice": 1}, "", 400, "/visitorId"},
			{"artefact not an object", map[string]any{"visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}, "notice": 1, "artefact": "tcf"}, "", 400, "/artefact"},
			{"unknown field", map[string]any{"visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}, "notice": 1, "admin": true}, "", 400, "/admin"},
			{"unknown site key", map[string]any{"siteKey": "pk_nope0000000000000000000", "visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}, "notice": 1}, "", 401, "/siteKey"},
			{"another organization's site key", map[string]any{"siteKey": other.Org.SiteKey, "visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}, "notice": 1}, "", 403, ""},
			{"origin not allowed", map[string]any{"visitorId": "visitor-bad-1", "action": "grant", "purposes": []string{"analytics"}, "notice": 1}, "https://evil.example", 403, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				headers := map[string]string{}
				if tt.origin != "" {
					headers["Origin"] = tt.origin
				}
				code, _, p := decide(t, n, shop, tt.body, headers)
				if code != tt.status || p.Status != tt.status {
					t.Fatalf("status %d, problem %+v; want %d", code, p, tt.status)
				}
				if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
					t.Errorf("problem errors %+v do not name %s", p.Errors, tt.field)
				}
			})
		}
		var p problemBody
		if code := n.call("POST", "/v1/consent", "", `{"siteKey":`, map[string]string{"Origin": shop.origin()}, &p); code != 400 || p.Status != 400 {
			t.Errorf("malformed JSON: %d %+v", code, p)
		}
		if got := ledgerRecords(t, n, shop) + ledgerRecords(t, n, other); got != 0 {
			t.Errorf("bad input wrote %d ledger records", got)
		}
	})
}

type rawExecer interface {
	ExecRaw(ctx context.Context, query string, args ...any) error
}

func TestLedgerTamperingIsDetected(t *testing.T) {
	tampers := []struct {
		name, kind string
		seq        int64
		sql        string
	}{
		{"altered", consent.ProblemAltered, 2, `UPDATE consent_records SET decisions = '{"analytics":"granted","marketing":"granted"}' WHERE org_id = '%s' AND seq = 2`},
		{"deleted", consent.ProblemDeleted, 2, `DELETE FROM consent_records WHERE org_id = '%s' AND seq = 2`},
		{"inserted", consent.ProblemInserted, 4, `INSERT INTO consent_records (org_id, seq, id, visitor_id, action, decisions, method, recorded_at, prev_hash, hash)
			SELECT org_id, 4, id || 'forged', visitor_id, action, decisions, method, recorded_at, hash, 'forged' FROM consent_records WHERE org_id = '%s' AND seq = 3`},
	}
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		for _, tt := range tampers {
			t.Run(tt.name, func(t *testing.T) {
				shop := newConsentTenant(t, n, "Tamper"+tt.name)
				for i, action := range []string{"grant", "deny", "withdraw"} {
					body := map[string]any{"visitorId": fmt.Sprintf("visitor-tamper-%d", i), "action": action, "purposes": []string{"analytics"}, "notice": 1}
					if code, _, p := decide(t, n, shop, body, nil); code != 200 {
						t.Fatalf("%s: %d %+v", action, code, p)
					}
				}
				if ledgerRecords(t, n, shop) != 3 {
					t.Fatal("the untouched ledger does not verify with 3 records")
				}
				// The ledger refuses ordinary rewrites; a tamperer goes around the guard.
				if err := sealed.Unwrap(n.App.Engine).(rawExecer).ExecRaw(context.Background(), fmt.Sprintf(tt.sql, shop.Org.ID)); err != nil {
					t.Fatal(err)
				}
				var rep struct {
					OK      bool `json:"ok"`
					Problem struct {
						Seq  int64  `json:"seq"`
						Kind string `json:"kind"`
					} `json:"problem"`
				}
				n.call("GET", "/api/v1/consent/verify", shop.Key, nil, nil, &rep)
				if rep.OK || rep.Problem.Kind != tt.kind || rep.Problem.Seq != tt.seq {
					t.Errorf("verify after %s = %+v, want %s at #%d", tt.name, rep, tt.kind, tt.seq)
				}
			})
		}
	})
}

func TestReceiptVerifiesWithThePublishedKey(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	shop := newConsentTenant(t, n, "Receipts")
	visitor := "visitor-receipt-1"
	if code, _, p := decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "grant", "purposes": []string{"analytics", "marketing"}, "notice": 1}, nil); code != 200 {
		t.Fatalf("grant: %d %+v", code, p)
	}
	get := func(path string) (int, string, []byte) {
		req, _ := http.NewRequest("GET", n.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	code, ct, jws := get("/v1/consent/receipt?siteKey=" + shop.Org.SiteKey + "&visitorId=" + visitor)
	if code != 200 || ct != "application/jose" {
		t.Fatalf("receipt: %d %s %s", code, ct, jws)
	}
	code, _, jwks := get("/.well-known/presage/" + shop.Org.ID + "/jwks.json")
	if code != 200 {
		t.Fatalf("jwks: %d", code)
	}
	payload, err := consent.VerifyReceipt(string(jws), jwks)
	if err != nil {
		t.Fatalf("receipt does not verify: %v", err)
	}
	for _, want := range []string{`"piiPrincipalId":"` + visitor + `"`, `"purpose":"marketing"`, `"consentType":"EXPLICIT"`, "withdraw"} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("receipt payload lacks %s: %s", want, payload)
		}
	}
	for i := range jws {
		if jws[i] == '.' {
			continue
		}
		forged := []byte(string(jws))
		forged[i] ^= 1
		if _, err := consent.VerifyReceipt(string(forged), jwks); err == nil {
			t.Fatalf("a receipt with byte %d changed still verifies", i)
		}
	}
	if code, _, _ := get("/.well-known/presage/org_doesnotexist/jwks.json"); code != 404 {
		t.Errorf("jwks of an unknown organization: %d", code)
	}
}

func TestGlobalPrivacyControlObjectsToMarketing(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	shop := newConsentTenant(t, n, "Signals")
	visitor := "visitor-gpc-1"
	code, ans, p := decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "grant",
		"purposes": []string{"analytics", "support", "sales", "marketing"}, "notice": 1}, map[string]string{"Sec-GPC": "1"})
	if code != 200 || ans.States["analytics"].Decision != "granted" || ans.States["marketing"].Decision != "objected" ||
		ans.States["sales"].Decision != "objected" || ans.States["support"].Decision != "granted" {
		t.Fatalf("accept all with GPC: %d %+v %+v", code, ans, p)
	}
	ctx := context.Background()
	for purpose, want := range map[string]bool{"marketing": false, "sales": false, "support": true} {
		if ok, err := n.App.Consents.EngagementAllowed(ctx, shop.Org.ID, visitor, purpose); err != nil || ok != want {
			t.Errorf("engagement %s allowed = %v (%v), want %v", purpose, ok, err, want)
		}
	}
	// A GPC header on event requests of another granted visitor is recorded once.
	other := "visitor-gpc-2"
	decide(t, n, shop, map[string]any{"visitorId": other, "action": "grant", "purposes": []string{"analytics", "marketing"}, "notice": 1}, nil)
	for i := 0; i < 3; i++ {
		code := n.call("POST", "/v1/events", "", batch(shop.Org.SiteKey, other, "session-gpc-2", fmt.Sprintf("evt-gpc-%d-", i), 1, time.Now()),
			map[string]string{"Origin": shop.origin(), "Sec-GPC": "1"}, nil)
		if code != 200 {
			t.Fatalf("events with GPC: %d", code)
		}
	}
	if ok, _ := n.App.Consents.EngagementAllowed(ctx, shop.Org.ID, other, "marketing"); ok {
		t.Error("marketing allowed despite the GPC header")
	}
	if got := ledgerRecords(t, n, shop); got != 3 {
		t.Errorf("ledger has %d records, want 2 grants and 1 signal", got)
	}
}

// TestTwoNodesAgreeOnWithdrawal: a withdrawal on one node stops collection on
// another node sharing the PostgreSQL database within one second.
func TestTwoNodesAgreeOnWithdrawal(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		if cfg.DatabaseURL == "" {
			t.Skip("one SQLite database serves one node")
		}
		// Both nodes run on one test clock that moves only as the test
		// polls, so "within one second" is measured on the clock the nodes'
		// caches expire by, not on the wall clock of a busy machine.
		clock := newTestClock()
		cfg.Now = clock.Now
		a := startNode(t, cfg)
		b := startNode(t, cfg)
		shop := newConsentTenant(t, a, "TwoNodes")
		visitor := "visitor-nodes-1"
		if code, _, p := decide(t, a, shop, map[string]any{"visitorId": visitor, "action": "grant", "purposes": []string{"analytics"}, "notice": 1}, nil); code != 200 {
			t.Fatalf("grant on a: %d %+v", code, p)
		}
		granted := clock.Now()
		for i := 0; ; i++ {
			code, _ := eventsFor(t, b, shop, visitor, fmt.Sprintf("evt-b-grant-%d-", i), 1)
			if code == 200 {
				break
			}
			if clock.Now().Sub(granted) > 2*time.Second {
				t.Fatalf("node b never accepted the granted visitor: %d", code)
			}
			clock.Advance(50 * time.Millisecond)
		}
		if code, _, _ := decide(t, a, shop, map[string]any{"visitorId": visitor, "action": "withdraw"}, nil); code != 200 {
			t.Fatalf("withdraw on a: %d", code)
		}
		withdrawn := clock.Now()
		for i := 0; ; i++ {
			code, _ := eventsFor(t, b, shop, visitor, fmt.Sprintf("evt-b-withdraw-%d-", i), 1)
			if code == 403 {
				break
			}
			if clock.Now().Sub(withdrawn) > time.Second {
				t.Fatalf("node b still accepts events %v after the withdrawal on node a", clock.Now().Sub(withdrawn))
			}
			clock.Advance(20 * time.Millisecond)
		}
		t.Logf("node b refused the visitor %v after the withdrawal on node a", clock.Now().Sub(withdrawn))
	})
}

func TestEraseOnWithdrawal(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	shop := newConsentTenant(t, n, "Erasing")
	var settings struct {
		EraseOnWithdrawal bool `json:"eraseOnWithdrawal"`
	}
	if code := n.call("PATCH", "/api/v1/consent/settings", shop.Key, map[string]any{"eraseOnWithdrawal": true}, nil, &settings); code != 200 || !settings.EraseOnWithdrawal {
		t.Fatalf("settings: %d %+v", code, settings)
	}
	visitor := "visitor-erase-1"
	decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "grant", "purposes": []string{"analytics"}, "notice": 1}, nil)
	if code, _ := eventsFor(t, n, shop, visitor, "evt-erase-", 3); code != 200 {
		t.Fatalf("events: %d", code)
	}
	if code := n.call("GET", "/api/v1/sessions/session-"+visitor, shop.Key, nil, nil, nil); code != 200 {
		t.Fatalf("session before withdrawal: %d", code)
	}
	if code, _, _ := decide(t, n, shop, map[string]any{"visitorId": visitor, "action": "withdraw"}, nil); code != 200 {
		t.Fatalf("withdraw: %d", code)
	}
	for _, path := range []string{"/api/v1/sessions/session-" + visitor, "/api/v1/visitors/" + visitor} {
		if code := n.call("GET", path, shop.Key, nil, nil, nil); code != 404 {
			t.Errorf("%s after withdrawal with erasure: %d, want 404", path, code)
		}
	}
	// The ledger keeps the proof of consent and of its withdrawal.
	if got := ledgerRecords(t, n, shop); got != 2 {
		t.Errorf("ledger has %d records, want the grant and the withdrawal", got)
	}
}
