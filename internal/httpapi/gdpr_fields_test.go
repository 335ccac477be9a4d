package httpapi

import (
	"testing"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

func TestRequestFieldsRename(t *testing.T) {
	tb := &termsBuilder{}
	tb.addTerm("/subject/terms/0", privacy.Term{Type: privacy.SearchEmail, Value: "a@example.com"})
	tb.add("/subject/emailAddresses/0", privacy.SearchEmail, "")
	tb.add("/subject/journeyCustomer/id", privacy.SearchVisitorID, "v1")
	f := requestFields{terms: tb, other: map[string]string{"confirm": "deleteConfirmed", "/type": "/requestType"}}
	for in, want := range map[string]string{
		"/subject/terms/0/value":           "/subject/terms/0/value",
		"/subject/terms/1/value":           "/subject/emailAddresses/0",
		"/subject/terms/2/type":            "/subject/journeyCustomer/id",
		"/subject/terms/9/type":            "/subject",
		"/subject":                         "/subject",
		"/replacementTerms/0/type":         "/replacementTerms/0/type",
		"confirm":                          "deleteConfirmed",
		"/type":                            "/requestType",
		"/subject/terms/x/value":           "/subject",
		"/replacementTerms/1/updatedValue": "/replacementTerms/1/updatedValue",
	} {
		if got := f.rename(in); got != want {
			t.Errorf("rename(%q) = %q, want %q", in, got, want)
		}
	}
	err := renameFields(presage.Invalid("confirm", -1, "confirm it"), f.rename)
	if pe, ok := err.(*presage.Error); !ok || pe.Violations[0].Field != "deleteConfirmed" || pe.Message != "confirm it" {
		t.Errorf("renameFields = %#v", err)
	}
}
