package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sealed values are text: sealPrefix, the data key's id, ':', and the
// unpadded base64url of nonce||ciphertext. Org-level secrets wrapped by the
// master key carry wrapPrefix, the master key's id, ':', and the same.
const (
	sealPrefix = "ps1:"
	wrapPrefix = "pw1:"
)

// ErrShredded is returned by Open for a value whose data key was destroyed:
// the value is gone for good.
var ErrShredded = errors.New("keys: the value's data key was destroyed")

// DataKey is one subject's data key as the key store keeps it: wrapped by
// the master key named MasterID.
type DataKey struct {
	OrgID     string
	Subject   string // whose key: a visitor id, "request:<id>", …
	ID        string // "dk…" (newKeyID), named in every value it seals
	MasterID  string
	Wrapped   []byte
	CreatedAt time.Time
}

// Store keeps wrapped data keys, apart from the journey database. Every
// method but the rotation pair is scoped to orgID.
type Store interface {
	// DataKeysOf returns the keys of those subjects that have one.
	DataKeysOf(ctx context.Context, orgID string, subjects []string) ([]DataKey, error)
	// DataKeysByID returns the keys with those ids that still exist.
	DataKeysByID(ctx context.Context, orgID string, ids []string) ([]DataKey, error)
	// CreateDataKeys durably inserts each key unless its (OrgID, Subject)
	// has one already (a concurrent node won), and returns the stored key
	// of every subject given: the winners.
	CreateDataKeys(ctx context.Context, keys []DataKey) ([]DataKey, error)
	// InsertDataKeys durably inserts keys whose subjects are new by
	// construction (a pool's "pool:<id>", the id fresh and random), and
	// fails, storing none, if any subject has a key: unlike CreateDataKeys
	// there are no winners to read back.
	InsertDataKeys(ctx context.Context, keys []DataKey) error
	// DeleteDataKeys destroys the subjects' keys and returns how many it
	// destroyed. The deletion is durable when it returns.
	DeleteDataKeys(ctx context.Context, orgID string, subjects []string) (int64, error)
	// ListDataKeys returns up to limit keys of every organization with ID
	// after afterID, in ID order (rotation walks them).
	ListDataKeys(ctx context.Context, afterID string, limit int) ([]DataKey, error)
	// RewrapDataKeys replaces the Wrapped and MasterID of each key by ID.
	RewrapDataKeys(ctx context.Context, keys []DataKey) error
	Close() error
}

// MasterKey is the key-encryption key: it wraps data keys and the
// organizations' own secrets, and never leaves memory.
type MasterKey struct {
	ID      string // first 8 bytes of SHA-256 of the key, hex: names it without revealing it
	aead    cipher.AEAD
	signing []byte // HMAC key derived from the master key, for signed URLs
}

// NewMasterKey returns the master key of 32 raw bytes.
func NewMasterKey(raw []byte) (*MasterKey, error) {
	if len(raw) != 32 {
		return nil, fmt.Errorf("master key: want 32 bytes, got %d", len(raw))
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	sum := sha256.Sum256(raw)
	signing := hmac.New(sha256.New, raw)
	signing.Write([]byte("presage signed URLs"))
	return &MasterKey{ID: hex.EncodeToString(sum[:8]), aead: aead, signing: signing.Sum(nil)}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Keyring seals and opens personal values with per-subject data keys, and
// wraps organization secrets with the master key. It caches unwrapped data
// keys in memory; Shred evicts them. Safe for concurrent use.
type Keyring struct {
	store    Store
	current  *MasterKey
	previous map[string]*MasterKey // still accepted for unwrapping during a rotation
	now      func() time.Time

	mu        sync.RWMutex
	byID      map[string]*Sealer // "org\x00keyID"
	bySubject map[string]*Sealer // "org\x00subject"

	pools pools // keys made ahead for new visitors (pool.go)
}

// NewKeyring returns a Keyring over store that wraps with current and also
// unwraps what previous master keys wrapped.
func NewKeyring(store Store, current *MasterKey, previous ...*MasterKey) *Keyring {
	k := &Keyring{store: store, current: current, previous: map[string]*MasterKey{}, now: time.Now,
		byID: map[string]*Sealer{}, bySubject: map[string]*Sealer{}}
	for _, p := range previous {
		if p != nil && p.ID != current.ID {
			k.previous[p.ID] = p
		}
	}
	return k
}

// MasterID names the current master key.
func (k *Keyring) MasterID() string { return k.current.ID }

// Sealer encrypts values with one subject's data key.
type Sealer struct {
	orgID, subject, keyID string
	aead                  cipher.AEAD
	aad                   []byte // aad(orgID, keyID), made once: every value binds it
	// unassigned is set on a pooled key handed to a subject until the
	// caller reports its assignment durable (Keyring.MarkAssigned).
	unassigned atomic.Bool
}

// Assigned reports whether the key store or the journey database durably
// records whose key this is. A Sealer from WriteSealers that is not must
// have its assignment committed with the values it seals.
func (s *Sealer) Assigned() bool { return !s.unassigned.Load() }

func (s *Sealer) markAssigned() { s.unassigned.Store(false) }

// MarkAssigned records that the assignment of the pooled key keyID to
// subject is durable (committed with the values it seals).
func (k *Keyring) MarkAssigned(orgID, subject, keyID string) {
	k.mu.RLock()
	sl := k.bySubject[orgID+"\x00"+subject]
	k.mu.RUnlock()
	if sl != nil && sl.keyID == keyID {
		sl.markAssigned()
	}
}

// KeyID names the data key.
func (s *Sealer) KeyID() string { return s.keyID }

// Seal returns the sealed form of plaintext. The organization and key id
// are bound as additional data, so a value cannot be moved to another
// organization's row and still open.
func (s *Sealer) Seal(plaintext string) string {
	return string(s.AppendSeal(make([]byte, 0, s.SealedLen(len(plaintext))), []byte(plaintext)))
}

// SealedLen is the length of the sealed form of n bytes of plaintext.
func (s *Sealer) SealedLen(n int) int {
	return len(sealPrefix) + len(s.keyID) + 1 + base64.RawURLEncoding.EncodedLen(s.aead.NonceSize()+n+s.aead.Overhead())
}

// AppendSeal appends the sealed form of plaintext, as Seal returns it, to
// dst: the collector seals every event, and building the value in the
// caller's buffer spares the copies of a string at each step.
func (s *Sealer) AppendSeal(dst, plaintext []byte) []byte {
	n := s.aead.NonceSize()
	box := make([]byte, n, n+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(box); err != nil {
		panic(fmt.Sprintf("keys: reading random nonce: %v", err))
	}
	box = s.aead.Seal(box, box[:n], plaintext, s.aad)
	dst = append(dst, sealPrefix...)
	dst = append(dst, s.keyID...)
	dst = append(dst, ':')
	return base64.RawURLEncoding.AppendEncode(dst, box)
}

func aad(orgID, keyID string) []byte { return []byte(orgID + "\x00" + keyID) }

// IsSealed reports whether v is a sealed value (else it is stored in clear,
// as rows written before encryption are).
func IsSealed(v string) bool { return strings.HasPrefix(v, sealPrefix) }

// Sealers returns a Sealer for each subject, creating (durably, before it
// returns) the data keys that do not exist yet.
func (k *Keyring) Sealers(ctx context.Context, orgID string, subjects []string) (map[string]*Sealer, error) {
	out := make(map[string]*Sealer, len(subjects))
	var missing []string
	asked := map[string]bool{} // a subject given twice gets one key, not two racing ones
	k.mu.RLock()
	for _, s := range subjects {
		// A pooled key whose assignment is not durable yet is not handed
		// out here: values sealed outside the commit that records it could
		// outlive an erasure that does not know the key.
		if sl, ok := k.bySubject[orgID+"\x00"+s]; ok && sl.Assigned() {
			out[s] = sl
		} else if !asked[s] {
			asked[s] = true
			missing = append(missing, s)
		}
	}
	k.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	stored, err := k.store.DataKeysOf(ctx, orgID, missing)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	have := map[string]bool{}
	for _, dk := range stored {
		have[dk.Subject] = true
	}
	var fresh []DataKey
	raws := map[string][]byte{} // key id -> the raw key just made: no need to unwrap it again
	for _, s := range missing {
		if !have[s] {
			dk, raw, err := k.newDataKey(orgID, s)
			if err != nil {
				return nil, err
			}
			fresh = append(fresh, dk)
			raws[dk.ID] = raw
		}
	}
	if len(fresh) > 0 {
		created, err := k.store.CreateDataKeys(ctx, fresh)
		if err != nil {
			return nil, fmt.Errorf("create data keys: %w", err)
		}
		stored = append(stored, created...)
	}
	for _, dk := range stored {
		var sl *Sealer
		var err error
		if raw, ok := raws[dk.ID]; ok {
			sl, err = k.cache(dk, raw)
		} else {
			sl, err = k.remember(dk)
		}
		if err != nil {
			return nil, err
		}
		out[dk.Subject] = sl
	}
	for _, s := range subjects {
		if out[s] == nil {
			return nil, fmt.Errorf("data key of subject %q was not stored", s)
		}
	}
	return out, nil
}

func (k *Keyring) newDataKey(orgID, subject string) (DataKey, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return DataKey{}, nil, fmt.Errorf("new data key: %w", err)
	}
	keyID, err := newKeyID(k.now())
	if err != nil {
		return DataKey{}, nil, fmt.Errorf("new data key: %w", err)
	}
	if subject == "" { // a pooled key: named by its own id until handed out
		subject = PoolSubject(keyID)
	}
	return DataKey{OrgID: orgID, Subject: subject, ID: keyID, MasterID: k.current.ID,
		Wrapped: k.current.aeadSeal(raw, []byte(orgID+"\x00"+subject)), CreatedAt: k.now().UTC().Truncate(time.Millisecond)}, raw, nil
}

// keyIDEncoding is base64 with its alphabet in ASCII order, so that ids
// sort as their bytes do.
var keyIDEncoding = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

// newKeyID names a new data key: "dk", then 48 bits of its creation time
// in milliseconds and 48 random bits. Ids made later sort after, so the key
// store's indexes grow at their ends (a pool refill of thousands of keys
// touches a few pages, not one random page of a large index per key). Only
// keys made in the same millisecond could share an id, which their number
// makes unlikely (about 1 in 10^9 for a refill's 4,096 keys) and the key
// store refuses (the id is its primary key). The id is repeated in every
// value the key seals, so it is kept short (18 characters); the time it
// reveals is that of the visitor's first value, which the journey stores
// in clear anyway.
func newKeyID(now time.Time) (string, error) {
	id := make([]byte, 12)
	binary.BigEndian.PutUint64(id, uint64(max(now.UnixMilli(), 0))<<16)
	if _, err := rand.Read(id[6:]); err != nil {
		return "", err
	}
	return "dk" + keyIDEncoding.EncodeToString(id), nil
}

func (m *MasterKey) aeadSeal(plaintext, additional []byte) []byte {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("keys: reading random nonce: %v", err))
	}
	return m.aead.Seal(nonce, nonce, plaintext, additional)
}

func (m *MasterKey) aeadOpen(sealed, additional []byte) ([]byte, error) {
	n := m.aead.NonceSize()
	if len(sealed) < n+m.aead.Overhead() {
		return nil, errors.New("sealed value is too short")
	}
	return m.aead.Open(nil, sealed[:n], sealed[n:], additional)
}

func (k *Keyring) master(id string) (*MasterKey, error) {
	if id == k.current.ID {
		return k.current, nil
	}
	if m, ok := k.previous[id]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("master key %s is not configured (set it as the previous master key to rotate)", id)
}

func (k *Keyring) remember(dk DataKey) (*Sealer, error) {
	m, err := k.master(dk.MasterID)
	if err != nil {
		return nil, fmt.Errorf("data key %s: %w", dk.ID, err)
	}
	raw, err := m.aeadOpen(dk.Wrapped, []byte(dk.OrgID+"\x00"+dk.Subject))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key %s: %w", dk.ID, err)
	}
	return k.cache(dk, raw)
}

// maxCached bounds the unwrapped keys a node keeps in memory; past it the
// cache starts afresh (keys are read again from the key store on demand).
const maxCached = 200_000

// cache makes the Sealer of dk's raw key and remembers it.
func (k *Keyring) cache(dk DataKey, raw []byte) (*Sealer, error) {
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, fmt.Errorf("data key %s: %w", dk.ID, err)
	}
	sl := &Sealer{orgID: dk.OrgID, subject: dk.Subject, keyID: dk.ID, aead: aead, aad: aad(dk.OrgID, dk.ID)}
	k.mu.Lock()
	if len(k.byID) >= maxCached {
		k.byID, k.bySubject = map[string]*Sealer{}, map[string]*Sealer{}
	}
	k.byID[dk.OrgID+"\x00"+dk.ID] = sl
	k.bySubject[dk.OrgID+"\x00"+dk.Subject] = sl
	k.mu.Unlock()
	return sl, nil
}

// Open returns the plaintext of a sealed value of orgID; a value that is
// not sealed is returned as it is. A value whose key was destroyed yields
// ErrShredded.
func (k *Keyring) Open(ctx context.Context, orgID, value string) (string, error) {
	if !IsSealed(value) {
		return value, nil
	}
	keyID, body, ok := strings.Cut(value[len(sealPrefix):], ":")
	if !ok {
		return "", errors.New("keys: malformed sealed value")
	}
	sl, err := k.sealerByID(ctx, orgID, keyID)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", fmt.Errorf("keys: malformed sealed value: %w", err)
	}
	n := sl.aead.NonceSize()
	if len(raw) < n+sl.aead.Overhead() {
		return "", errors.New("keys: sealed value is too short")
	}
	plain, err := sl.aead.Open(nil, raw[:n], raw[n:], sl.aad)
	if err != nil {
		return "", fmt.Errorf("keys: open sealed value: %w", err)
	}
	return string(plain), nil
}

// Prefetch loads into the cache the data keys that values name, in one
// read, so that opening many values of many subjects costs one query.
func (k *Keyring) Prefetch(ctx context.Context, orgID string, values []string) error {
	var ids []string
	seen := map[string]bool{}
	k.mu.RLock()
	for _, v := range values {
		if !IsSealed(v) {
			continue
		}
		id, _, _ := strings.Cut(v[len(sealPrefix):], ":")
		if _, ok := k.byID[orgID+"\x00"+id]; !ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	k.mu.RUnlock()
	if len(ids) == 0 {
		return nil
	}
	dks, err := k.store.DataKeysByID(ctx, orgID, ids)
	if err != nil {
		return fmt.Errorf("read data keys: %w", err)
	}
	for _, dk := range dks {
		if _, err := k.remember(dk); err != nil {
			return err
		}
	}
	return nil
}

func (k *Keyring) sealerByID(ctx context.Context, orgID, keyID string) (*Sealer, error) {
	k.mu.RLock()
	sl, ok := k.byID[orgID+"\x00"+keyID]
	k.mu.RUnlock()
	if ok {
		return sl, nil
	}
	dks, err := k.store.DataKeysByID(ctx, orgID, []string{keyID})
	if err != nil {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	if len(dks) == 0 {
		return nil, ErrShredded
	}
	return k.remember(dks[0])
}

// Shred destroys the subjects' data keys in the key store and in this
// node's cache. Other nodes may hold a destroyed key in memory until they
// restart; they never write it anywhere, and the subject's rows are deleted
// by the same erasure.
func (k *Keyring) Shred(ctx context.Context, orgID string, subjects []string) (int64, error) {
	n, err := k.store.DeleteDataKeys(ctx, orgID, subjects)
	if err != nil {
		return 0, fmt.Errorf("destroy data keys: %w", err)
	}
	k.mu.Lock()
	for _, s := range subjects {
		if sl, ok := k.bySubject[orgID+"\x00"+s]; ok {
			delete(k.byID, orgID+"\x00"+sl.keyID)
			delete(k.bySubject, orgID+"\x00"+s)
		}
		// A pooled key is cached under the visitor it was handed to, or
		// by id when it was read: evict it by its id either way.
		if id, ok := strings.CutPrefix(s, poolPrefix); ok {
			delete(k.byID, orgID+"\x00"+id)
		}
	}
	k.mu.Unlock()
	return n, nil
}

// Wrap encrypts an organization-level secret (identity HMAC key, receipt
// signing key) with the current master key, bound to label (for example
// "identity:" + orgID), so a wrapped value cannot be swapped for another.
func (k *Keyring) Wrap(label string, secret []byte) []byte {
	out := k.current.aeadSeal(secret, []byte(label))
	return []byte(wrapPrefix + k.current.ID + ":" + base64.RawURLEncoding.EncodeToString(out))
}

// IsWrapped reports whether b is a wrapped secret (else it is a legacy
// secret stored in clear).
func IsWrapped(b []byte) bool { return strings.HasPrefix(string(b), wrapPrefix) }

// Unwrap returns the secret Wrap wrapped under label. A secret that is not
// wrapped (stored before encryption) is returned as it is.
func (k *Keyring) Unwrap(label string, b []byte) ([]byte, error) {
	if !IsWrapped(b) {
		return b, nil
	}
	id, body, ok := strings.Cut(string(b[len(wrapPrefix):]), ":")
	if !ok {
		return nil, errors.New("keys: malformed wrapped secret")
	}
	m, err := k.master(id)
	if err != nil {
		return nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("keys: malformed wrapped secret: %w", err)
	}
	out, err := m.aeadOpen(raw, []byte(label))
	if err != nil {
		return nil, fmt.Errorf("keys: unwrap %s: %w", label, err)
	}
	return out, nil
}

// WrappedBy returns the id of the master key that wrapped b, "" if b is in
// clear.
func WrappedBy(b []byte) string {
	if !IsWrapped(b) {
		return ""
	}
	id, _, _ := strings.Cut(string(b[len(wrapPrefix):]), ":")
	return id
}

// Sign returns an HMAC-SHA256 of msg under a key derived from the current
// master key and label: every node of one deployment computes the same, so a
// signed URL minted by one node is honoured by all.
func (k *Keyring) Sign(label string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.current.signing)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write(msg)
	return m.Sum(nil)
}
