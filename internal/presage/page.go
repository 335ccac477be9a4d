package presage

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// Page asks for one page of a list. After is the decoded cursor of the last
// item of the previous page (nil for the first page).
type Page struct {
	Limit int
	After *Cursor
}

// Cursor is the sort key of a list item: T and ID for lists sorted by time
// (newest first), T, Seq and ID for events (oldest first).
type Cursor struct {
	T   time.Time `json:"t"`
	Seq int64     `json:"s,omitempty"`
	ID  string    `json:"i"`
}

// Encode returns the opaque form handed to API clients.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses an opaque cursor; "" yields nil.
func DecodeCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, Invalid("cursor", -1, "cursor is malformed")
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return nil, Invalid("cursor", -1, "cursor is malformed")
	}
	return &c, nil
}
