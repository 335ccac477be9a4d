package keys

import (
	"context"
	"crypto/cipher"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The collector seals the first values of a visitor it has not seen with a
// data key made ahead of need. Creating the key then, in the request, would
// cost a durable key-store write before every commit that names a new
// visitor (a second fsync, or a second PostgreSQL transaction): the key must
// be durable before any value sealed with it is. Pooled keys are created in
// batches, durably, before they are handed out; the key store knows them
// only by their own id (subject "pool:<id>"), and the journey database
// records which visitor each one seals for, in the transaction that stores
// the values (the sealing engine's visitor_keys). Erasure destroys a
// subject's keys found both ways.
const (
	poolPrefix = "pool:"
	// A pool is refilled by one key-store write of its batch size: at
	// first poolMinBatch keys, so an organization with few visitors makes
	// few, doubling (up to poolMaxBatch) each time the previous refill is
	// less than poolBusy old. A refill starts in the background when fewer
	// than half a batch remain.
	poolMinBatch = 64
	poolMaxBatch = 4096
	poolBusy     = 10 * time.Second
	// poolFillTimeout bounds a background refill, which no request awaits.
	poolFillTimeout = 30 * time.Second
)

// PoolSubject is the key-store subject of the pooled data key keyID.
func PoolSubject(keyID string) string { return poolPrefix + keyID }

// pooledKey is a durably stored data key not yet handed out, with its
// cipher made by the refill, off the commit path.
type pooledKey struct {
	dk   DataKey
	aead cipher.AEAD
}

// keyPool holds one organization's pooled keys. filling is non-nil while a
// refill runs and is closed when it ends.
type keyPool struct {
	keys     []pooledKey
	filling  chan struct{}
	batch    int       // keys the next refill makes
	lastFill time.Time // when the last refill started
}

// nextBatch returns the size of the refill starting at now.
func (p *keyPool) nextBatch(now time.Time) int {
	switch {
	case p.batch == 0:
		p.batch = poolMinBatch
	case now.Sub(p.lastFill) < poolBusy:
		p.batch = min(2*p.batch, poolMaxBatch)
	}
	p.lastFill = now
	return p.batch
}

// pools holds the pooled keys of every organization.
type pools struct {
	mu    sync.Mutex
	byOrg map[string]*keyPool
}

func (p *pools) of(orgID string) *keyPool {
	if p.byOrg == nil {
		p.byOrg = map[string]*keyPool{}
	}
	kp := p.byOrg[orgID]
	if kp == nil {
		kp = &keyPool{}
		p.byOrg[orgID] = kp
	}
	return kp
}

// WriteSealers returns a Sealer for each subject, for values the caller
// commits together with the assignments of the Sealers that are not
// Assigned yet. A subject this node has no key for cached gets a pooled key:
// no key-store access, unless the pool is empty. A subject given twice gets
// one key.
func (k *Keyring) WriteSealers(ctx context.Context, orgID string, subjects []string) (map[string]*Sealer, error) {
	out := make(map[string]*Sealer, len(subjects))
	var missing []string
	k.mu.RLock()
	for _, s := range subjects {
		if _, done := out[s]; done {
			continue
		}
		if sl, ok := k.bySubject[orgID+"\x00"+s]; ok {
			out[s] = sl
		} else {
			out[s] = nil // missing, once
			missing = append(missing, s)
		}
	}
	k.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	taken, err := k.takePooled(ctx, orgID, len(missing))
	if err != nil {
		return nil, fmt.Errorf("pooled data keys: %w", err)
	}
	var unused []pooledKey
	for i, s := range missing {
		sl, used := k.assignPooled(taken[i], s)
		if !used {
			unused = append(unused, taken[i])
		}
		out[s] = sl
	}
	k.returnPooled(orgID, unused)
	return out, nil
}

// assignPooled caches p as subject's key, unless a concurrent call cached
// one first: that one is returned and p is not used.
func (k *Keyring) assignPooled(p pooledKey, subject string) (sl *Sealer, used bool) {
	sl = &Sealer{orgID: p.dk.OrgID, subject: subject, keyID: p.dk.ID, aead: p.aead, aad: aad(p.dk.OrgID, p.dk.ID)}
	sl.unassigned.Store(true)
	k.mu.Lock()
	defer k.mu.Unlock()
	if other, ok := k.bySubject[p.dk.OrgID+"\x00"+subject]; ok {
		return other, false
	}
	if len(k.byID) >= maxCached {
		k.byID, k.bySubject = map[string]*Sealer{}, map[string]*Sealer{}
	}
	k.byID[p.dk.OrgID+"\x00"+p.dk.ID] = sl
	k.bySubject[p.dk.OrgID+"\x00"+subject] = sl
	return sl, true
}

// takePooled hands out n pooled keys of orgID, refilling the pool first
// when it holds fewer, and in the background when it runs low.
func (k *Keyring) takePooled(ctx context.Context, orgID string, n int) ([]pooledKey, error) {
	for {
		k.pools.mu.Lock()
		p := k.pools.of(orgID)
		if len(p.keys) >= n {
			got := slices.Clone(p.keys[len(p.keys)-n:])
			p.keys = p.keys[:len(p.keys)-n]
			if len(p.keys) < max(p.batch, poolMinBatch)/2 && p.filling == nil {
				p.filling = make(chan struct{})
				batch := p.nextBatch(k.now())
				go func() {
					ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), poolFillTimeout)
					defer cancel()
					_ = k.fillPool(ctx, orgID, batch) // a failure shows at the next take, which fills in line
				}()
			}
			k.pools.mu.Unlock()
			return got, nil
		}
		if filling := p.filling; filling != nil {
			k.pools.mu.Unlock()
			select {
			case <-filling:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		p.filling = make(chan struct{})
		batch := max(p.nextBatch(k.now()), n)
		k.pools.mu.Unlock()
		if err := k.fillPool(ctx, orgID, batch); err != nil {
			return nil, err
		}
	}
}

// fillPool creates n keys durably and adds them to orgID's pool; it ends
// the refill the caller started (p.filling) either way.
func (k *Keyring) fillPool(ctx context.Context, orgID string, n int) error {
	fresh := make([]pooledKey, 0, n)
	dks := make([]DataKey, 0, n)
	for range n {
		dk, raw, err := k.newDataKey(orgID, "")
		if err != nil {
			k.endFill(orgID, nil)
			return err
		}
		aead, err := newAEAD(raw)
		if err != nil {
			k.endFill(orgID, nil)
			return fmt.Errorf("data key %s: %w", dk.ID, err)
		}
		fresh = append(fresh, pooledKey{dk: dk, aead: aead})
		dks = append(dks, dk)
	}
	if err := k.store.InsertDataKeys(ctx, dks); err != nil {
		k.endFill(orgID, nil)
		return fmt.Errorf("create pooled data keys: %w", err)
	}
	k.endFill(orgID, fresh)
	return nil
}

func (k *Keyring) endFill(orgID string, fresh []pooledKey) {
	k.pools.mu.Lock()
	defer k.pools.mu.Unlock()
	p := k.pools.of(orgID)
	p.keys = append(p.keys, fresh...)
	if p.filling != nil {
		close(p.filling)
		p.filling = nil
	}
}

// returnPooled puts keys taken but not handed out back in the pool.
func (k *Keyring) returnPooled(orgID string, keys []pooledKey) {
	if len(keys) == 0 {
		return
	}
	k.pools.mu.Lock()
	defer k.pools.mu.Unlock()
	p := k.pools.of(orgID)
	p.keys = append(p.keys, keys...)
}

// ReleasePool destroys the pooled keys this node has not handed out, so
// that a node that stops leaves none behind (a node that crashes leaves its
// pool in the key store, sealing nothing).
func (k *Keyring) ReleasePool(ctx context.Context) error {
	k.pools.mu.Lock()
	byOrg := map[string][]string{}
	for orgID, p := range k.pools.byOrg {
		for _, pk := range p.keys {
			byOrg[orgID] = append(byOrg[orgID], pk.dk.Subject)
		}
		p.keys = nil
	}
	k.pools.mu.Unlock()
	for orgID, subjects := range byOrg {
		if _, err := k.store.DeleteDataKeys(ctx, orgID, subjects); err != nil {
			return fmt.Errorf("release pooled data keys: %w", err)
		}
	}
	return nil
}
