package keys

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// MemStore is a Store in memory, for tests of the code that seals values.
type MemStore struct {
	mu   sync.Mutex
	keys map[string]DataKey // "org\x00subject"
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{keys: map[string]DataKey{}} }

func (m *MemStore) DataKeysOf(_ context.Context, orgID string, subjects []string) ([]DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []DataKey
	for _, s := range subjects {
		if dk, ok := m.keys[orgID+"\x00"+s]; ok {
			out = append(out, dk)
		}
	}
	return out, nil
}

func (m *MemStore) DataKeysByID(_ context.Context, orgID string, ids []string) ([]DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []DataKey
	for _, dk := range m.keys {
		if dk.OrgID == orgID && slices.Contains(ids, dk.ID) {
			out = append(out, dk)
		}
	}
	return out, nil
}

func (m *MemStore) CreateDataKeys(_ context.Context, keys []DataKey) ([]DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]DataKey, 0, len(keys))
	for _, dk := range keys {
		k := dk.OrgID + "\x00" + dk.Subject
		if have, ok := m.keys[k]; ok {
			out = append(out, have)
			continue
		}
		m.keys[k] = dk
		out = append(out, dk)
	}
	return out, nil
}

func (m *MemStore) InsertDataKeys(_ context.Context, keys []DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, dk := range keys {
		if _, ok := m.keys[dk.OrgID+"\x00"+dk.Subject]; ok {
			return fmt.Errorf("insert data keys: subject %q has a key", dk.Subject)
		}
	}
	for _, dk := range keys {
		m.keys[dk.OrgID+"\x00"+dk.Subject] = dk
	}
	return nil
}

func (m *MemStore) DeleteDataKeys(_ context.Context, orgID string, subjects []string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, s := range subjects {
		if _, ok := m.keys[orgID+"\x00"+s]; ok {
			delete(m.keys, orgID+"\x00"+s)
			n++
		}
	}
	return n, nil
}

func (m *MemStore) ListDataKeys(_ context.Context, afterID string, limit int) ([]DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []DataKey
	for _, dk := range m.keys {
		if dk.ID > afterID {
			all = append(all, dk)
		}
	}
	slices.SortFunc(all, func(a, b DataKey) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

func (m *MemStore) RewrapDataKeys(_ context.Context, keys []DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, dk := range keys {
		for k, have := range m.keys {
			if have.ID == dk.ID {
				have.Wrapped, have.MasterID = dk.Wrapped, dk.MasterID
				m.keys[k] = have
			}
		}
	}
	return nil
}

func (m *MemStore) Close() error { return nil }
