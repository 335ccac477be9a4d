package httpapi

import (
	"net/http"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// genesysCodeOf maps Presage's error codes to the codes of Genesys Cloud's
// error bodies, so that a Genesys client's error handling still works.
var genesysCodeOf = map[presage.Code]string{
	presage.CodeInvalid:         "bad.request",
	presage.CodeTooLarge:        "request.entity.too.large",
	presage.CodeUnauthorized:    "authentication.required",
	presage.CodeForbidden:       "missing.permissions",
	presage.CodeConsentRequired: "missing.permissions",
	presage.CodeNotFound:        "not.found",
	presage.CodeConflict:        "conflict",
	presage.CodeRateLimited:     "too.many.requests",
	presage.CodeUnavailable:     "service.unavailable",
	presage.CodeInternal:        "internal.server.error",
}

// genesysProblem is a problem document that is also a Genesys ErrorBody
// (message, code, status): v2 answers stay RFC 9457, and the Genesys SDK's
// error object still says what went wrong.
type genesysProblem struct {
	problem
	Message string `json:"message"`
	Code    string `json:"code"`
}

// problemBody is what writeError sends for p: p itself, or under /api/v2/
// p with Genesys' fields.
func problemBody(r *http.Request, code presage.Code, p problem) any {
	if !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		return p
	}
	return genesysProblem{problem: p, Message: p.Detail, Code: genesysCodeOf[code]}
}
