package collect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// maxViolations caps how many violations one rejected request reports.
const maxViolations = 20

// violations collects the failures of one request, up to maxViolations.
type violations struct {
	list []presage.Violation
}

// add records that field (a JSON pointer) failed; index is the event index or -1.
func (v *violations) add(field string, index int, detail string) {
	if len(v.list) < maxViolations {
		v.list = append(v.list, presage.Violation{Field: field, Index: index, Detail: detail})
	}
}

func (v *violations) full() bool { return len(v.list) >= maxViolations }

// err returns the CodeInvalid error for the collected violations, or nil.
func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	first := v.list[0]
	msg := describe(first.Field) + " " + first.Detail
	switch n := len(v.list) - 1; {
	case v.full():
		msg += " (and more)"
	case n > 0:
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return &presage.Error{Code: presage.CodeInvalid, Message: msg, Violations: v.list}
}

// describe renders a JSON pointer as the field path people read:
// "/events/3/ts" becomes "events[3].ts", "" becomes "the request body".
func describe(pointer string) string {
	if pointer == "" {
		return "the request body"
	}
	var b strings.Builder
	for i, part := range strings.Split(pointer[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(part); err == nil && i > 0 {
			b.WriteString("[" + part + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

// eventPointer returns "/events/<i>".
func eventPointer(i int) string { return "/events/" + strconv.Itoa(i) }

// tooLarge returns the CodeTooLarge error for a body over limit bytes.
func tooLarge(limit int) error {
	return &presage.Error{Code: presage.CodeTooLarge,
		Message:    fmt.Sprintf("the request body exceeds %d bytes", limit),
		Violations: []presage.Violation{{Field: "", Index: -1, Detail: fmt.Sprintf("body exceeds %d bytes", limit)}}}
}
