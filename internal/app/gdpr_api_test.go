package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/testwait"
)

// gdprRequestBody is the v1 request shape, reduced to what the tests check.
type gdprRequestBody struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Subject struct {
		Terms []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"terms"`
	} `json:"subject"`
	RequestedBy     string `json:"requestedBy"`
	ReceivedAt      string `json:"receivedAt"`
	DueAt           string `json:"dueAt"`
	ExtensionReason string `json:"extensionReason"`
	Progress        struct {
		Percent int `json:"percent"`
	} `json:"progress"`
	Result *struct {
		NothingHeld bool             `json:"nothingHeld"`
		Counts      map[string]int64 `json:"counts"`
		ExportID    string           `json:"exportId"`
	} `json:"result"`
	ResultsURL string `json:"resultsUrl"`
	Audit      []struct {
		Seq    int64  `json:"seq"`
		Action string `json:"action"`
		Target string `json:"target"`
	} `json:"audit"`
}

// identify sends a tracker batch in which visitor identifies with traits.
func identify(t *testing.T, n *node, tf tenantFixture, visitor string, traits map[string]any) {
	t.Helper()
	now := time.Now().Add(-time.Minute)
	b := batch(tf.Org.SiteKey, visitor, "session-"+visitor, "evt-"+visitor+"-", 2, now)
	b["events"] = append(b["events"].([]map[string]any), map[string]any{"id": "evt-" + visitor + "-identify",
		"type": "identify", "ts": now.Add(10 * time.Millisecond).UnixMilli(), "url": "https://shop.example/account",
		"traits": traits})
	if code, out := send(t, n, tf, b, chromeUA); code != 200 {
		t.Fatalf("identify %s: %d %v", visitor, code, out)
	}
}

// waitForRequest polls a request until the job runner finished it.
func waitForRequest(t *testing.T, n *node, key, id string) gdprRequestBody {
	t.Helper()
	var r gdprRequestBody
	testwait.Until(t, time.Minute, "request "+id+" to complete", func() bool {
		r = gdprRequestBody{}
		if code := n.call("GET", "/api/v1/gdpr/requests/"+id, key, nil, nil, &r); code != 200 {
			t.Fatalf("get request %s: %d", id, code)
		}
		return r.Status == "completed" || r.Status == "error"
	})
	if r.Status != "completed" {
		t.Fatalf("request %s ended %s", id, r.Status)
	}
	return r
}

// get fetches url (absolute) without a key.
func get(t *testing.T, rawURL string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

func TestGDPRAPI(t *testing.T) {
	engines(t, func(t *testing.T, cfg Config) {
		clock := newTestClock()
		cfg.Now = clock.Now
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Shop")
		other := newTenant(t, n, "Other")
		// Not even admin: the audit log is open to admin keys too.
		_, readOnly, err := n.App.Tenants.CreateKey(presage.AsOperator(t.Context(), shop.Org.ID), "reader",
			[]presage.Scope{presage.ScopeRead, presage.ScopeWrite})
		if err != nil {
			t.Fatal(err)
		}
		identify(t, n, shop, "visitor-ada-1", map[string]any{"email": "ada@example.com", "givenName": "Ada"})
		identify(t, n, shop, "visitor-grace-1", map[string]any{"email": "grace@example.com"})
		identify(t, n, other, "visitor-bob-1", map[string]any{"email": "bob@example.com"})

		// Search: the customer with its visitor and counts.
		var found listBody[struct {
			CustomerID *string          `json:"customerId"`
			VisitorIDs []string         `json:"visitorIds"`
			Counts     map[string]int64 `json:"counts"`
		}]
		if code := n.call("GET", "/api/v1/gdpr/subjects?type=email&value="+url.QueryEscape(" Ada@Example.com"), shop.Key, nil, nil, &found); code != 200 ||
			len(found.Data) != 1 || found.Data[0].CustomerID == nil || len(found.Data[0].VisitorIDs) != 1 ||
			found.Data[0].VisitorIDs[0] != "visitor-ada-1" || found.Data[0].Counts["events"] != 3 {
			t.Fatalf("search ada: %d %+v", code, found)
		}

		// An export round trip through the signed resultsUrl.
		var created gdprRequestBody
		req, _ := http.NewRequest("POST", n.URL+"/api/v1/gdpr/requests", strings.NewReader(`{"type": "export", "subject": {"email": "ada@example.com"}}`))
		req.Header.Set("Authorization", "Bearer "+shop.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(raw, &created); resp.StatusCode != 202 || err != nil || !strings.HasPrefix(created.ID, "dsr_") ||
			resp.Header.Get("Location") != "/api/v1/gdpr/requests/"+created.ID || created.Type != "export" {
			t.Fatalf("create export: %d %s", resp.StatusCode, raw)
		}
		done := waitForRequest(t, n, shop.Key, created.ID)
		if done.Result == nil || done.Result.NothingHeld || done.Result.Counts["events"] != 3 ||
			!strings.HasPrefix(done.ResultsURL, n.URL+"/gdpr/exports/") || done.DueAt == "" || done.RequestedBy == "" {
			t.Fatalf("completed export: %+v", done)
		}
		actions := map[string]bool{}
		for _, e := range done.Audit {
			actions[e.Action] = true
			if e.Target != created.ID {
				t.Errorf("audit entry of another target in the request's trail: %+v", e)
			}
		}
		if !actions["gdpr.request.received"] || !actions["gdpr.request.completed"] {
			t.Errorf("request audit trail = %+v", done.Audit)
		}
		code, h, bundle := get(t, done.ResultsURL)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
			!strings.Contains(string(bundle), "visitor-ada-1") || !json.Valid(bundle) {
			t.Fatalf("signed download: %d %v %.200s", code, h, bundle)
		}
		var viaKey []byte
		dl, _ := http.NewRequest("GET", n.URL+"/api/v1/gdpr/requests/"+created.ID+"/export", nil)
		dl.Header.Set("Authorization", "Bearer "+shop.Key)
		if resp, err := http.DefaultClient.Do(dl); err != nil || resp.StatusCode != 200 {
			t.Fatalf("authenticated download: %v %v", resp, err)
		} else {
			viaKey, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if string(viaKey) != string(bundle) {
			t.Errorf("the authenticated and the signed download differ")
		}
		// A tampered signature, another request's id, and an expired link
		// read the same.
		u, _ := url.Parse(done.ResultsURL)
		q := u.Query()
		sig := q.Get("sig")
		q.Set("sig", strings.Repeat("0", len(sig)))
		tampered := *u
		tampered.RawQuery = q.Encode()
		q.Set("sig", sig)
		q.Set("expires", q.Get("expires")+"0")
		longer := *u
		longer.RawQuery = q.Encode()
		for name, link := range map[string]string{"tampered sig": tampered.String(), "longer expiry": longer.String(),
			"no sig": n.URL + u.Path} {
			if code, _, body := get(t, link); code != 403 || strings.Contains(string(body), "visitor-ada-1") {
				t.Errorf("%s: %d %s", name, code, body)
			}
		}

		// A subject Presage holds nothing about still completes, saying so.
		clock.Advance(time.Second)
		var nobody gdprRequestBody
		if code := n.call("POST", "/api/v1/gdpr/requests", shop.Key, map[string]any{"type": "export",
			"subject": map[string]any{"terms": []map[string]any{{"type": "phone", "value": "+33 6 12 34 56 78"}}}}, nil, &nobody); code != 202 {
			t.Fatalf("create nothing-held export: %d", code)
		}
		if r := waitForRequest(t, n, shop.Key, nobody.ID); r.Result == nil || !r.Result.NothingHeld || r.ResultsURL != "" {
			t.Errorf("nothing-held export: %+v", r)
		}

		// An erasure waits for its tombstones to reach every node, long
		// enough to extend it meanwhile: recorded with its reason.
		clock.Advance(time.Second)
		var erasure gdprRequestBody
		if code := n.call("POST", "/api/v1/gdpr/requests?confirm=true", shop.Key, map[string]any{"type": "erase",
			"subject": map[string]any{"email": "grace@example.com"}}, nil, &erasure); code != 202 || erasure.Type != "erase" {
			t.Fatalf("create erasure: %d %+v", code, erasure)
		}
		due, err := time.Parse(time.RFC3339, erasure.DueAt)
		if err != nil {
			t.Fatal(err)
		}
		var extended gdprRequestBody
		if code := n.call("POST", "/api/v1/gdpr/requests/"+erasure.ID+"/extension", shop.Key, map[string]any{
			"until": due.Add(30 * 24 * time.Hour).Format(time.RFC3339), "reason": "The subject's data spans three systems."}, nil, &extended); code != 200 ||
			extended.ExtensionReason != "The subject's data spans three systems." || extended.DueAt == erasure.DueAt {
			t.Errorf("extend: %d %+v", code, extended)
		}
		if r := waitForRequest(t, n, shop.Key, erasure.ID); r.Result == nil || r.Result.NothingHeld {
			t.Errorf("erasure: %+v", r)
		}
		var gone listBody[map[string]any]
		if code := n.call("GET", "/api/v1/gdpr/subjects?type=email&value=grace@example.com", shop.Key, nil, nil, &gone); code != 200 || len(gone.Data) != 0 {
			t.Errorf("search after the erasure: %d %+v", code, gone)
		}
		pending := erasure

		// Forwarding headers from an untrusted peer are ignored.
		var direct gdprRequestBody
		n.call("GET", "/api/v1/gdpr/requests/"+created.ID, shop.Key, nil, map[string]string{"X-Forwarded-Host": "evil.example",
			"X-Forwarded-Proto": "https"}, &direct)
		if !strings.HasPrefix(direct.ResultsURL, n.URL+"/") {
			t.Errorf("resultsUrl follows an untrusted X-Forwarded-Host: %q", direct.ResultsURL)
		}

		// The audit log names searches and requests by type, never by value.
		resp2, err := http.NewRequest("GET", n.URL+"/api/v1/audit?limit=100", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Header.Set("Authorization", "Bearer "+shop.Key)
		ar, err := http.DefaultClient.Do(resp2)
		if err != nil {
			t.Fatal(err)
		}
		auditRaw, _ := io.ReadAll(ar.Body)
		ar.Body.Close()
		var audit struct {
			Data []struct {
				Seq    int64  `json:"seq"`
				Action string `json:"action"`
			} `json:"data"`
			NextAfter int64 `json:"nextAfter"`
		}
		if err := json.Unmarshal(auditRaw, &audit); ar.StatusCode != 200 || err != nil || len(audit.Data) < 3 ||
			audit.NextAfter != audit.Data[len(audit.Data)-1].Seq {
			t.Fatalf("audit: %d %s", ar.StatusCode, auditRaw)
		}
		if strings.Contains(strings.ToLower(string(auditRaw)), "ada@example.com") || strings.Contains(string(auditRaw), "12 34 56") {
			t.Errorf("the audit log holds a searched value: %s", auditRaw)
		}
		var page2 struct {
			Data []struct {
				Seq int64 `json:"seq"`
			} `json:"data"`
		}
		if code := n.call("GET", "/api/v1/audit?after="+jsonInt(audit.Data[0].Seq)+"&limit=1", shop.Key, nil, nil, &page2); code != 200 ||
			len(page2.Data) != 1 || page2.Data[0].Seq != audit.Data[1].Seq {
			t.Errorf("audit after: %d %+v", code, page2)
		}

		// Retention settings.
		var settings struct {
			Retention map[string]int `json:"retention"`
		}
		if code := n.call("GET", "/api/v1/privacy/settings", shop.Key, nil, nil, &settings); code != 200 || settings.Retention["exportsDays"] != 7 {
			t.Errorf("privacy settings: %d %+v", code, settings)
		}
		put := map[string]any{"retention": map[string]any{"sessionsDays": 30, "visitorsDays": 60, "customersDays": 365, "exportsDays": 3}}
		if code := n.call("PUT", "/api/v1/privacy/settings", shop.Key, put, nil, &settings); code != 200 || settings.Retention["sessionsDays"] != 30 ||
			settings.Retention["exportsDays"] != 3 {
			t.Errorf("put privacy settings: %d %+v", code, settings)
		}

		// Listing pages with limit and page, answering the total.
		var list struct {
			Data  []gdprRequestBody `json:"data"`
			Total int               `json:"total"`
			Page  int               `json:"page"`
		}
		if code := n.call("GET", "/api/v1/gdpr/requests?limit=2&page=2", shop.Key, nil, nil, &list); code != 200 || list.Total != 3 ||
			len(list.Data) != 1 || list.Page != 2 || list.Data[0].ID != created.ID {
			t.Errorf("list page 2: %d %+v", code, list)
		}

		// Another organization finds nothing of Shop's: 404, empty lists.
		reqPaths := []string{"/api/v1/gdpr/requests/" + created.ID, "/api/v1/gdpr/requests/" + created.ID + "/export",
			"/api/v2/gdpr/requests/" + created.ID}
		for _, p := range reqPaths {
			var body map[string]any
			if code := n.call("GET", p, other.Key, nil, nil, &body); code != 404 || strings.Contains(jsonString(body), "ada") {
				t.Errorf("GET %s as another organization: %d %v", p, code, body)
			}
		}
		if code := n.call("POST", "/api/v1/gdpr/requests/"+pending.ID+"/extension", other.Key, map[string]any{
			"until": due.Add(24 * time.Hour).Format(time.RFC3339), "reason": "x"}, nil, nil); code != 404 {
			t.Errorf("extend another organization's request: %d", code)
		}
		var theirs struct {
			Data  []gdprRequestBody `json:"data"`
			Total int               `json:"total"`
		}
		if code := n.call("GET", "/api/v1/gdpr/requests", other.Key, nil, nil, &theirs); code != 200 || theirs.Total != 0 || len(theirs.Data) != 0 {
			t.Errorf("another organization's list: %d %+v", code, theirs)
		}
		var none listBody[map[string]any]
		if code := n.call("GET", "/api/v1/gdpr/subjects?type=email&value=ada@example.com", other.Key, nil, nil, &none); code != 200 || len(none.Data) != 0 {
			t.Errorf("another organization's search: %d %+v", code, none)
		}
		var auditB struct {
			Data []map[string]any `json:"data"`
		}
		n.call("GET", "/api/v1/audit?limit=100", other.Key, nil, nil, &auditB)
		if strings.Contains(jsonString(auditB), created.ID) {
			t.Errorf("another organization's audit log names Shop's request")
		}

		// Expired links are refused once the export's time has passed.
		clock.Advance(8 * 24 * time.Hour)
		if code, _, _ := get(t, done.ResultsURL); code != 403 {
			t.Errorf("expired link: %d", code)
		}

		// Without the gdpr scope every endpoint is refused.
		for _, ep := range []struct{ method, path, body string }{
			{"GET", "/api/v1/gdpr/subjects?type=email&value=ada@example.com", ""},
			{"POST", "/api/v1/gdpr/requests", `{"type": "export", "subject": {"email": "ada@example.com"}}`},
			{"GET", "/api/v1/gdpr/requests", ""},
			{"GET", "/api/v1/gdpr/requests/" + created.ID, ""},
			{"POST", "/api/v1/gdpr/requests/" + created.ID + "/extension", `{"until": "2030-01-01T00:00:00Z", "reason": "x"}`},
			{"GET", "/api/v1/gdpr/requests/" + created.ID + "/export", ""},
			{"GET", "/api/v1/audit", ""},
			{"GET", "/api/v1/privacy/settings", ""},
			{"PUT", "/api/v1/privacy/settings", `{"retention": {"sessionsDays": 1, "visitorsDays": 1, "customersDays": 1, "exportsDays": 1}}`},
			{"GET", "/api/v2/gdpr/subjects?searchType=EMAIL&searchValue=ada@example.com", ""},
			{"POST", "/api/v2/gdpr/requests", `{"requestType": "GDPR_EXPORT", "subject": {"emailAddresses": ["ada@example.com"]}}`},
			{"GET", "/api/v2/gdpr/requests", ""},
			{"GET", "/api/v2/gdpr/requests/" + created.ID, ""},
		} {
			var p problemBody
			if code := n.call(ep.method, ep.path, readOnly, ep.body, nil, &p); code != 403 || p.Status != 403 {
				t.Errorf("%s %s without gdpr: %d %+v", ep.method, ep.path, code, p)
			}
		}
	})
}

// jsonString renders v for a containment check.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonInt(n int64) string { return strings.TrimSpace(jsonString(n)) }

// TestGDPRAPIRefusesBadInput checks that every refusal is a 400 problem
// naming the field the caller sent, in v1's and in Genesys' vocabulary.
func TestGDPRAPIRefusesBadInput(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir()})
	shop := newTenant(t, n, "Shop")
	for _, tc := range []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"search without type", "GET", "/api/v1/gdpr/subjects?value=ada@example.com", nil, "type"},
		{"search unknown type", "GET", "/api/v1/gdpr/subjects?type=twitter&value=ada", nil, "type"},
		{"search empty value", "GET", "/api/v1/gdpr/subjects?type=email&value=%20", nil, "value"},
		{"unknown request type", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "forget",
			"subject": map[string]any{"email": "ada@example.com"}}, "/type"},
		{"empty subject", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "export", "subject": map[string]any{}}, "/subject"},
		{"empty short-form subject", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "export",
			"subject": map[string]any{"email": ""}}, "/subject"},
		{"unknown term type", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "export",
			"subject": map[string]any{"terms": []map[string]any{{"type": "email", "value": "ada@example.com"}, {"type": "twitter", "value": "@ada"}}}}, "/subject/terms/1/type"},
		{"empty term value", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "export",
			"subject": map[string]any{"terms": []map[string]any{{"type": "email", "value": " "}}}}, "/subject/terms/0/value"},
		{"unknown subject field", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "export",
			"subject": map[string]any{"twitter": "@ada"}}, "/twitter"},
		{"rectify without replacements", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "rectify",
			"subject": map[string]any{"email": "ada@example.com"}}, "/replacementTerms"},
		{"replacement of unknown type", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "rectify",
			"subject":          map[string]any{"email": "ada@example.com"},
			"replacementTerms": []map[string]any{{"type": "visitor_id", "existingValue": "a", "updatedValue": "b"}}}, "/replacementTerms/0/type"},
		{"replacement without updated value", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "rectify",
			"subject":          map[string]any{"email": "ada@example.com"},
			"replacementTerms": []map[string]any{{"type": "email", "existingValue": "ada@example.com"}}}, "/replacementTerms/0/updatedValue"},
		{"replacement not an object", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "rectify",
			"subject": map[string]any{"email": "ada@example.com"}, "replacementTerms": []any{"email"}}, "/replacementTerms"},
		{"erase without confirmation", "POST", "/api/v1/gdpr/requests", map[string]any{"type": "erase",
			"subject": map[string]any{"email": "ada@example.com"}}, "confirm"},
		{"erase with a bad confirmation", "POST", "/api/v1/gdpr/requests?confirm=yes-please", map[string]any{"type": "erase",
			"subject": map[string]any{"email": "ada@example.com"}}, "confirm"},
		{"list with a bad limit", "GET", "/api/v1/gdpr/requests?limit=lots", nil, "limit"},
		{"list with page 0", "GET", "/api/v1/gdpr/requests?page=0", nil, "page"},
		{"extension without a date", "POST", "/api/v1/gdpr/requests/dsr_x/extension", map[string]any{"until": "soon", "reason": "x"}, "/until"},
		{"retention left out", "PUT", "/api/v1/privacy/settings", map[string]any{"retention": map[string]any{"sessionsDays": 30}}, "/retention/visitorsDays"},
		{"exports kept forever", "PUT", "/api/v1/privacy/settings", map[string]any{"retention": map[string]any{"sessionsDays": 30,
			"visitorsDays": 30, "customersDays": 30, "exportsDays": 0}}, "/retention/exportsDays"},

		{"v2 unknown search type", "GET", "/api/v2/gdpr/subjects?searchType=TWITTER&searchValue=ada", nil, "searchType"},
		{"v2 empty search value", "GET", "/api/v2/gdpr/subjects?searchType=EMAIL&searchValue=", nil, "searchValue"},
		{"v2 unknown request type", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_FORGET",
			"subject": map[string]any{"emailAddresses": []string{"ada@example.com"}}}, "/requestType"},
		{"v2 empty email", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_EXPORT",
			"subject": map[string]any{"phoneNumbers": []string{"+33612345678"}, "emailAddresses": []string{"ada@example.com", ""}}}, "/subject/emailAddresses/1"},
		{"v2 no subject", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_EXPORT"}, "/subject"},
		{"v2 Genesys-only identifier", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_EXPORT",
			"subject": map[string]any{"userId": "u-1"}}, "/subject/userId"},
		{"v2 journey customer of another type", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_EXPORT",
			"subject": map[string]any{"journeyCustomer": map[string]any{"type": "email", "id": "x"}}}, "/subject/journeyCustomer/type"},
		{"v2 replacement of unknown type", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_UPDATE",
			"subject":          map[string]any{"emailAddresses": []string{"ada@example.com"}},
			"replacementTerms": []map[string]any{{"type": "TWITTER", "existingValue": "a", "updatedValue": "b"}}}, "/replacementTerms/0/type"},
		{"v2 delete unconfirmed", "POST", "/api/v2/gdpr/requests", map[string]any{"requestType": "GDPR_DELETE",
			"subject": map[string]any{"emailAddresses": []string{"ada@example.com"}}}, "deleteConfirmed"},
		{"v2 page size too large", "GET", "/api/v2/gdpr/requests?pageSize=100000", nil, "pageSize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p struct {
				problemBody
				Message string `json:"message"`
				Code    string `json:"code"`
			}
			code := n.call(tc.method, tc.path, shop.Key, tc.body, nil, &p)
			if code != 400 || p.Status != 400 || len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Fatalf("%d %+v, want 400 naming %s", code, p, tc.field)
			}
			if strings.HasPrefix(tc.path, "/api/v2/") && (p.Code != "bad.request" || p.Message == "" || p.Message != p.Detail) {
				t.Errorf("v2 problem lacks Genesys' fields: %+v", p)
			}
			if !strings.HasPrefix(tc.path, "/api/v2/") && (p.Code != "" || p.Message != "") {
				t.Errorf("v1 problem carries Genesys' fields: %+v", p)
			}
		})
	}
	// Read-only fields Genesys' SDK model declares required are accepted.
	var g map[string]any
	if code := n.call("POST", "/api/v2/gdpr/requests", shop.Key, map[string]any{"requestType": "GDPR_EXPORT",
		"createdBy": map[string]any{"id": "someone"}, "createdDate": "2026-01-01T00:00:00.000Z", "status": "INITIATED",
		"subject": map[string]any{"emailAddresses": []string{"ada@example.com"}}}, nil, &g); code != 202 || g["status"] == nil ||
		g["selfUri"] != "/api/v2/gdpr/requests/"+g["id"].(string) {
		t.Errorf("v2 request with read-only fields: %d %v", code, g)
	}
}

// TestGDPRResultsURLBehindProxy checks that resultsUrl names the host the
// caller used, through a trusted proxy only.
func TestGDPRResultsURLBehindProxy(t *testing.T) {
	n := startNode(t, Config{DataDir: t.TempDir(), TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	shop := newTenant(t, n, "Shop")
	identify(t, n, shop, "visitor-ada-1", map[string]any{"email": "ada@example.com"})
	var r gdprRequestBody
	if code := n.call("POST", "/api/v1/gdpr/requests", shop.Key, map[string]any{"type": "export",
		"subject": map[string]any{"email": "ada@example.com"}}, nil, &r); code != 202 {
		t.Fatalf("create: %d", code)
	}
	waitForRequest(t, n, shop.Key, r.ID)
	var via gdprRequestBody
	n.call("GET", "/api/v1/gdpr/requests/"+r.ID, shop.Key, nil, map[string]string{"X-Forwarded-Proto": "https",
		"X-Forwarded-Host": "privacy.shop.example"}, &via)
	if !strings.HasPrefix(via.ResultsURL, "https://privacy.shop.example/gdpr/exports/") {
		t.Errorf("resultsUrl behind the proxy = %q", via.ResultsURL)
	}
	n.call("GET", "/api/v1/gdpr/requests/"+r.ID, shop.Key, nil, map[string]string{"X-Forwarded-Host": "evil.example/x?"}, &via)
	if !strings.HasPrefix(via.ResultsURL, n.URL+"/gdpr/exports/") {
		t.Errorf("resultsUrl with a malformed forwarded host = %q", via.ResultsURL)
	}
}
