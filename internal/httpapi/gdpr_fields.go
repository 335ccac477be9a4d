package httpapi

import (
	"errors"
	"strconv"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// The privacy service validates a request once, for every transport, and
// names the fields of the v1 body in its violations ("/type",
// "/subject/terms/0/value", "/replacementTerms/1/type", "confirm"). A v1
// short-form subject and Genesys' subject arrays give terms elsewhere, so
// the transport remembers where every term came from and renames the
// fields back into the caller's own request.

// termsBuilder collects a request's terms with the field each came from.
type termsBuilder struct {
	terms   []privacy.Term
	sources []termSource
}

// termSource is where a term came from: a field holding the value alone
// ("/subject/email", "/subject/emailAddresses/0"), or, structured, an object
// with "type" and "value" fields of its own ("/subject/terms/0").
type termSource struct {
	field      string
	structured bool
}

// add appends a term of type t whose value the caller gave in field. Empty
// values are kept, so that the service refuses them naming the field.
func (b *termsBuilder) add(field string, t privacy.SearchType, value string) {
	b.terms = append(b.terms, privacy.Term{Type: t, Value: value})
	b.sources = append(b.sources, termSource{field: field})
}

// addTerm appends a term the caller gave as an object at field.
func (b *termsBuilder) addTerm(field string, t privacy.Term) {
	b.terms = append(b.terms, t)
	b.sources = append(b.sources, termSource{field: field, structured: true})
}

// requestFields renames a request validation's fields: terms by their
// sources, the rest through other.
type requestFields struct {
	terms *termsBuilder
	other map[string]string // e.g. "/type" → "/requestType"
}

// rename maps one service field to the caller's field.
func (f requestFields) rename(field string) string {
	if to, ok := f.other[field]; ok {
		return to
	}
	rest, ok := strings.CutPrefix(field, "/subject/terms")
	if !ok || f.terms == nil {
		return field
	}
	idx, _ := splitIndex(rest)
	if idx < 0 || idx >= len(f.terms.sources) {
		return "/subject"
	}
	if src := f.terms.sources[idx]; !src.structured {
		return src.field
	}
	return field
}

// splitIndex splits "/3/value" into 3 and "/value"; -1 when rest does not
// start with an index.
func splitIndex(rest string) (int, string) {
	rest, ok := strings.CutPrefix(rest, "/")
	if !ok {
		return -1, rest
	}
	num, tail, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(num)
	if err != nil {
		return -1, rest
	}
	if tail != "" {
		tail = "/" + tail
	}
	return i, tail
}

// renameFields returns err with its violations' fields renamed; any other
// error is returned as it is.
func renameFields(err error, rename func(string) string) error {
	var pe *presage.Error
	if !errors.As(err, &pe) || len(pe.Violations) == 0 {
		return err
	}
	out := *pe
	out.Violations = make([]presage.Violation, len(pe.Violations))
	for i, v := range pe.Violations {
		v.Field = rename(v.Field)
		out.Violations[i] = v
	}
	return &out
}

// mapField returns m[f], or f when m does not name it.
func mapField(m map[string]string, f string) string {
	if to, ok := m[f]; ok {
		return to
	}
	return f
}

// boolParam reads an optional true/false query parameter.
func boolParam(q map[string][]string, name string) (bool, error) {
	vs := q[name]
	if len(vs) == 0 || vs[0] == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(vs[0])
	if err != nil {
		return false, presage.Invalid(name, -1, "%s must be true or false", name)
	}
	return b, nil
}

// intParam reads an optional integer query parameter, def when absent.
func intParam(q map[string][]string, name string, def int) (int, error) {
	vs := q[name]
	if len(vs) == 0 || vs[0] == "" {
		return def, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil {
		return 0, presage.Invalid(name, -1, "%s must be an integer", name)
	}
	return n, nil
}
