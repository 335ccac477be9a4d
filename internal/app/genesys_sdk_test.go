package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// genesysSDKDir holds the pinned Genesys JavaScript SDK (npm ci installs it;
// .ci/run does) and the script that drives it.
const genesysSDKDir = "testdata/genesys-sdk"

// sdkAnswer is one SDK call as gdpr.js records it: the body it resolved
// with, or the error body it rejected with.
type sdkAnswer[T any] struct {
	OK    bool `json:"ok"`
	Body  T    `json:"body"`
	Error struct {
		Message string              `json:"message"`
		Code    string              `json:"code"`
		Status  int                 `json:"status"`
		Type    string              `json:"type"`
		Errors  []presage.Violation `json:"errors"`
	} `json:"error"`
}

// genesysSubject and genesysRequest are the SDK's GDPRSubject and
// GDPRRequest, reduced to what the test checks.
type genesysSubject struct {
	EmailAddresses  []string `json:"emailAddresses"`
	JourneyCustomer *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"journeyCustomer"`
}

type genesysRequest struct {
	ID               string         `json:"id"`
	RequestType      string         `json:"requestType"`
	Status           string         `json:"status"`
	CreatedDate      string         `json:"createdDate"`
	Subject          genesysSubject `json:"subject"`
	ResultsURL       string         `json:"resultsUrl"`
	SelfURI          string         `json:"selfUri"`
	ReplacementTerms []struct {
		Type          string `json:"type"`
		ExistingValue string `json:"existingValue"`
		UpdatedValue  string `json:"updatedValue"`
	} `json:"replacementTerms"`
	CreatedBy struct {
		ID string `json:"id"`
	} `json:"createdBy"`
}

type genesysListing[T any] struct {
	Entities    []T    `json:"entities"`
	PageSize    int    `json:"pageSize"`
	PageNumber  int    `json:"pageNumber"`
	Total       int    `json:"total"`
	PageCount   int    `json:"pageCount"`
	SelfURI     string `json:"selfUri"`
	FirstURI    string `json:"firstUri"`
	LastURI     string `json:"lastUri"`
	NextURI     string `json:"nextUri"`
	PreviousURI string `json:"previousUri"`
}

type sdkPoll struct {
	Request  genesysRequest `json:"request"`
	Statuses []string       `json:"statuses"`
}

// sdkRun is everything gdpr.js prints.
type sdkRun struct {
	Search     sdkAnswer[genesysListing[genesysSubject]] `json:"search"`
	Export     sdkAnswer[genesysRequest]                 `json:"export"`
	ExportDone sdkPoll                                   `json:"exportDone"`
	Download   struct {
		Status      int    `json:"status"`
		Disposition string `json:"disposition"`
		JSON        bool   `json:"json"`
		Text        string `json:"text"`
	} `json:"download"`
	Update            sdkAnswer[genesysRequest]                 `json:"update"`
	UpdateDone        sdkPoll                                   `json:"updateDone"`
	SearchOld         sdkAnswer[genesysListing[genesysSubject]] `json:"searchOld"`
	SearchNew         sdkAnswer[genesysListing[genesysSubject]] `json:"searchNew"`
	DeleteUnconfirmed sdkAnswer[genesysRequest]                 `json:"deleteUnconfirmed"`
	Delete            sdkAnswer[genesysRequest]                 `json:"delete"`
	DeleteDone        sdkPoll                                   `json:"deleteDone"`
	SearchDeleted     sdkAnswer[genesysListing[genesysSubject]] `json:"searchDeleted"`
	Page1             sdkAnswer[genesysListing[genesysRequest]] `json:"page1"`
	Page2             sdkAnswer[genesysListing[genesysRequest]] `json:"page2"`
	BadSearchType     sdkAnswer[json.RawMessage]                `json:"badSearchType"`
	MissingRequest    sdkAnswer[json.RawMessage]                `json:"missingRequest"`
}

// TestGenesysSDK drives the Genesys-compatible API with Genesys' own
// JavaScript SDK (purecloud-platform-client-v2, pinned in
// testdata/genesys-sdk): search, export, poll, rectify, erase, list and an
// error, pointed at Presage by its base URL and a secret key alone.
func TestGenesysSDK(t *testing.T) {
	if _, err := os.Stat(filepath.Join(genesysSDKDir, "node_modules", "purecloud-platform-client-v2")); err != nil {
		msg := "the Genesys SDK is not installed: run npm ci --prefix internal/app/testdata/genesys-sdk"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed")
	}
	engines(t, func(t *testing.T, cfg Config) {
		n := startNode(t, cfg)
		shop := newTenant(t, n, "Shop")
		identify(t, n, shop, "visitor-ada-1", map[string]any{"email": "ada@example.com", "givenName": "Ada"})
		identify(t, n, shop, "visitor-other-1", map[string]any{"email": "grace@example.com"})
		_, gdprKey, err := n.App.Tenants.CreateKey(presage.AsOperator(context.Background(), shop.Org.ID), "genesys automation",
			[]presage.Scope{presage.ScopeGDPR})
		if err != nil {
			t.Fatal(err)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "gdpr.js", n.URL, gdprKey, "ada@example.com", "ada@new.example")
		cmd.Dir = genesysSDKDir
		// No Genesys configuration file of the developer's may steer the SDK.
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("node gdpr.js: %v\n%s", err, stderr.String())
		}
		var run sdkRun
		if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
			t.Fatalf("decode the script's output: %v\n%s", err, stdout.String())
		}

		if s := run.Search; !s.OK || len(s.Body.Entities) != 1 || s.Body.Total != 1 || s.Body.Entities[0].JourneyCustomer == nil ||
			s.Body.Entities[0].JourneyCustomer.ID != "visitor-ada-1" || s.Body.Entities[0].JourneyCustomer.Type != "cookie" ||
			len(s.Body.Entities[0].EmailAddresses) != 1 {
			t.Errorf("getGdprSubjects: %+v", s)
		}

		exp := run.Export
		if !exp.OK || !strings.HasPrefix(exp.Body.ID, "dsr_") || exp.Body.RequestType != "GDPR_EXPORT" ||
			exp.Body.SelfURI != "/api/v2/gdpr/requests/"+exp.Body.ID || exp.Body.CreatedDate == "" || exp.Body.CreatedBy.ID == "" {
			t.Fatalf("postGdprRequests export: %+v", exp)
		}
		for _, st := range run.ExportDone.Statuses {
			if !strings.Contains("INITIATED SEARCHING UPDATING DELETING FINALIZING COMPLETED", st) {
				t.Errorf("status %q is not one of Genesys'", st)
			}
		}
		if d := run.ExportDone.Request; d.Status != "COMPLETED" || !strings.HasPrefix(d.ResultsURL, n.URL+"/gdpr/exports/") {
			t.Errorf("export when done: %+v", run.ExportDone)
		}
		if dl := run.Download; dl.Status != 200 || !dl.JSON || !strings.Contains(dl.Text, "visitor-ada-1") ||
			strings.Contains(dl.Text, "visitor-other-1") || !strings.HasPrefix(dl.Disposition, "attachment") {
			t.Errorf("download of resultsUrl: %d %v %q %.300s", dl.Status, dl.JSON, dl.Disposition, dl.Text)
		}

		if u := run.Update; !u.OK || u.Body.RequestType != "GDPR_UPDATE" || len(u.Body.ReplacementTerms) != 1 ||
			u.Body.ReplacementTerms[0].Type != "EMAIL" || u.Body.ReplacementTerms[0].UpdatedValue != "ada@new.example" {
			t.Errorf("postGdprRequests update: %+v", u)
		}
		if run.UpdateDone.Request.Status != "COMPLETED" {
			t.Errorf("update when done: %+v", run.UpdateDone)
		}
		if !run.SearchOld.OK || len(run.SearchOld.Body.Entities) != 0 || !run.SearchNew.OK || len(run.SearchNew.Body.Entities) != 1 {
			t.Errorf("after the update, old email %+v, new email %+v", run.SearchOld, run.SearchNew)
		}

		if e := run.DeleteUnconfirmed; e.OK || e.Error.Status != 400 || e.Error.Code != "bad.request" || e.Error.Message == "" ||
			len(e.Error.Errors) != 1 || e.Error.Errors[0].Field != "deleteConfirmed" {
			t.Errorf("unconfirmed delete: %+v", e)
		}
		if d := run.Delete; !d.OK || d.Body.RequestType != "GDPR_DELETE" {
			t.Errorf("postGdprRequests delete: %+v", d)
		}
		if run.DeleteDone.Request.Status != "COMPLETED" {
			t.Errorf("delete when done: %+v", run.DeleteDone)
		}
		if !run.SearchDeleted.OK || len(run.SearchDeleted.Body.Entities) != 0 {
			t.Errorf("after the delete: %+v", run.SearchDeleted)
		}

		// Three requests, two a page, newest first.
		p1, p2 := run.Page1, run.Page2
		if !p1.OK || len(p1.Body.Entities) != 2 || p1.Body.Total != 3 || p1.Body.PageCount != 2 || p1.Body.PageSize != 2 ||
			p1.Body.PageNumber != 1 || p1.Body.Entities[0].RequestType != "GDPR_DELETE" ||
			p1.Body.NextURI != "/api/v2/gdpr/requests?pageSize=2&pageNumber=2" || p1.Body.PreviousURI != "" ||
			p1.Body.FirstURI != "/api/v2/gdpr/requests?pageSize=2&pageNumber=1" || p1.Body.LastURI != p1.Body.NextURI ||
			p1.Body.SelfURI != p1.Body.FirstURI {
			t.Errorf("getGdprRequests page 1: %+v", p1)
		}
		if !p2.OK || len(p2.Body.Entities) != 1 || p2.Body.Entities[0].ID != exp.Body.ID || p2.Body.NextURI != "" ||
			p2.Body.PreviousURI != p1.Body.FirstURI {
			t.Errorf("getGdprRequests page 2: %+v", p2)
		}

		if e := run.BadSearchType; e.OK || e.Error.Status != 400 || e.Error.Code != "bad.request" || len(e.Error.Errors) != 1 ||
			e.Error.Errors[0].Field != "searchType" || !strings.HasPrefix(e.Error.Type, "https://presage.dev/problems/") {
			t.Errorf("bad search type: %+v", e)
		}
		if e := run.MissingRequest; e.OK || e.Error.Status != 404 || e.Error.Code != "not.found" {
			t.Errorf("missing request: %+v", e)
		}
	})
}
