package postgres

// Stubs that keep the engine compiling while the methods are written;
// each method is deleted from here when it is implemented.

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

var _ = json.RawMessage{}
var _ = time.Time{}
var _ presage.Event

var errNotImplemented = errors.New("not implemented yet")

func (db *DB) CountSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string) (map[string]int64, error) {
	return nil, errNotImplemented
}

func (db *DB) EraseSubject(ctx context.Context, orgID string, customerIDs, visitorIDs []string, batch int) (out journey.Erased, more bool, err error) {
	return journey.Erased{}, false, errNotImplemented
}

func (db *DB) VisitorEvents(ctx context.Context, orgID, visitorID string, afterSeq int64, limit int) ([]presage.Event, error) {
	return nil, errNotImplemented
}

func (db *DB) UpdateEventTexts(ctx context.Context, orgID string, events []presage.Event) error {
	return errNotImplemented
}

func (db *DB) UpdateSessionTexts(ctx context.Context, orgID string, sessions []presage.Session) error {
	return errNotImplemented
}

func (db *DB) PutTraits(ctx context.Context, orgID, customerID string, traits json.RawMessage, at time.Time) error {
	return errNotImplemented
}

func (db *DB) ReplaceIndex(ctx context.Context, orgID, customerID, kind, oldHash, newHash string) error {
	return errNotImplemented
}

func (db *DB) Purge(ctx context.Context, orgID string, c journey.PurgeCutoffs, batch int) (out journey.Purged, more bool, err error) {
	return journey.Purged{}, false, errNotImplemented
}
