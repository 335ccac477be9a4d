package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONStatus(w, status, "application/json", v)
}

func writeJSONStatus(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxAPIBody bounds JSON bodies of the management API.
const maxAPIBody = 64 << 10

// readBody reads at most limit bytes, answering a too-large error beyond.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &presage.Error{Code: presage.CodeTooLarge,
			Message:    fmt.Sprintf("the request body exceeds %d bytes", limit),
			Violations: []presage.Violation{{Field: "", Index: -1, Detail: fmt.Sprintf("body exceeds %d bytes", limit)}}}
	}
	if err != nil {
		return nil, presage.Errorf(presage.CodeInvalid, "the request body could not be read")
	}
	return body, nil
}

// decodeJSON strictly decodes a management API body into dst, naming the
// failing field as a JSON pointer.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeJSONLimit(w, r, dst, maxAPIBody)
}

// decodeJSONLimit is decodeJSON with a body limit of its own.
func decodeJSONLimit(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return presage.Invalid("", -1, "the body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		return presage.Invalid(field, -1, "%s must be a JSON %s", field, typeErr.Type.Kind())
	case errors.As(err, &syntaxErr):
		return presage.Invalid("", -1, "malformed JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return presage.Invalid("", -1, "the body is empty")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return presage.Invalid("/"+name, -1, "unknown field %q", name)
	default:
		return presage.Invalid("", -1, "malformed JSON")
	}
}
