package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/presage-dev/presage/internal/presage"
)

// problemBaseURI prefixes problem types (RFC 9457 §3.1.1); the documents live in
// docs/api.md.
const problemBaseURI = "https://presage.dev/problems/"

var statusOf = map[presage.Code]int{
	presage.CodeInvalid:         http.StatusBadRequest,
	presage.CodeTooLarge:        http.StatusRequestEntityTooLarge,
	presage.CodeUnauthorized:    http.StatusUnauthorized,
	presage.CodeForbidden:       http.StatusForbidden,
	presage.CodeConsentRequired: http.StatusForbidden,
	presage.CodeNotFound:        http.StatusNotFound,
	presage.CodeConflict:        http.StatusConflict,
	presage.CodeRateLimited:     http.StatusTooManyRequests,
	presage.CodeUnavailable:     http.StatusServiceUnavailable,
	presage.CodeInternal:        http.StatusInternalServerError,
}

var titleOf = map[presage.Code]string{
	presage.CodeInvalid:         "Invalid request",
	presage.CodeTooLarge:        "Request too large",
	presage.CodeUnauthorized:    "Unauthorized",
	presage.CodeForbidden:       "Forbidden",
	presage.CodeConsentRequired: "Consent required",
	presage.CodeNotFound:        "Not found",
	presage.CodeConflict:        "Conflict",
	presage.CodeRateLimited:     "Too many requests",
	presage.CodeUnavailable:     "Service unavailable",
	presage.CodeInternal:        "Internal error",
}

// problem is an RFC 9457 problem details document.
type problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []presage.Violation `json:"errors,omitempty"`
}

// writeError answers err as a problem document. Internal causes are logged,
// never sent: the caller sees only the error's safe message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := presage.ErrorCode(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		code = presage.CodeUnavailable
	}
	status := statusOf[code]
	if status == 0 {
		status = http.StatusInternalServerError
		code = presage.CodeInternal
	}
	p := problem{
		Type:     problemBaseURI + string(code),
		Title:    titleOf[code],
		Status:   status,
		Detail:   presage.ErrorMessage(err),
		Instance: r.URL.Path,
	}
	var pe *presage.Error
	if errors.As(err, &pe) {
		p.Errors = pe.Violations
	}
	if code == presage.CodeInternal || code == presage.CodeUnavailable {
		p.Detail = titleOf[code]
		s.log.ErrorContext(r.Context(), "request failed", slog.String("route", r.Pattern), slog.String("error", err.Error()))
	}
	if code == presage.CodeUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSONStatus(w, status, "application/problem+json", problemBody(r, code, p))
}
