package presage

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers; the HTTP layer maps each code to one
// status in one place.
type Code string

const (
	CodeInvalid      Code = "invalid"      // the caller's input is malformed (400)
	CodeTooLarge     Code = "too_large"    // the input exceeds a size limit (413)
	CodeUnauthorized Code = "unauthorized" // no or unknown credentials (401)
	CodeForbidden    Code = "forbidden"    // credentials lack the right (403)
	// CodeConsentRequired refuses processing without a lawful basis for the
	// subject (403, with its own problem type so the tracker stops at once).
	CodeConsentRequired Code = "consent_required"
	CodeNotFound        Code = "not_found"    // nothing visible to this caller (404)
	CodeConflict        Code = "conflict"     // the state forbids the change (409)
	CodeRateLimited     Code = "rate_limited" // slow down (429)
	CodeUnavailable     Code = "unavailable"  // try again later (503)
	CodeInternal        Code = "internal"     // a bug or a failed dependency (500)
)

// Violation names one failing input field. Field is a JSON Pointer (RFC 6901)
// into the request body, e.g. "/events/3/ts"; Index is the event index when the
// field lies inside a batch's events array, else -1.
type Violation struct {
	Field  string `json:"field"`
	Index  int    `json:"index"`
	Detail string `json:"detail"`
}

// Error is the one error type of Presage. Message is safe to show to the caller:
// it never holds personal data or internal detail. Err holds the internal cause,
// which is logged (redacted) but never sent.
type Error struct {
	Code       Code
	Message    string
	Violations []Violation
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a caller-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error naming one field.
func Invalid(field string, index int, format string, args ...any) *Error {
	detail := fmt.Sprintf(format, args...)
	return &Error{
		Code:       CodeInvalid,
		Message:    detail,
		Violations: []Violation{{Field: field, Index: index, Detail: detail}},
	}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by stores when a row does not exist for the organization.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

// IsNotFound reports whether err is a not-found error.
func IsNotFound(err error) bool { return ErrorCode(err) == CodeNotFound }
