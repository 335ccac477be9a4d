package collect

import (
	"context"
	"sync"
)

var _ Store = (*fakeStore)(nil)

// fakeStore is an in-memory Store: it dedupes events by (org, id) like the
// real stores and records every call. commit, when set, runs first and may
// block or fail the call.
type fakeStore struct {
	mu     sync.Mutex
	calls  [][]Write
	seen   map[string]bool
	commit func(ctx context.Context, writes []Write) error
}

func (s *fakeStore) CommitWrites(ctx context.Context, writes []Write) ([]CommitResult, error) {
	if s.commit != nil {
		if err := s.commit(ctx, writes); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.calls = append(s.calls, writes)
	out := make([]CommitResult, len(writes))
	for i, w := range writes {
		for _, e := range w.Events {
			if k := w.OrgID + "/" + e.ID; s.seen[k] {
				out[i].Duplicates++
			} else {
				s.seen[k] = true
				out[i].Stored++
			}
		}
	}
	return out, nil
}

// snapshot returns the calls so far.
func (s *fakeStore) snapshot() [][]Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]Write(nil), s.calls...)
}
