package predict

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// Reference holds the scores of an organization's latest labelled sessions,
// so a live probability can be placed among them as a percentile.
type Reference struct {
	ring   []float32
	next   int
	sorted []float32 // ring, sorted; rebuilt lazily
	dirty  bool
}

// ReferenceSize is how many recent sessions percentiles compare against.
const ReferenceSize = 1000

// NewReference returns an empty reference of ReferenceSize sessions.
func NewReference() *Reference { return &Reference{ring: make([]float32, 0, ReferenceSize)} }

// Add records the score of one more session, dropping the oldest when full.
func (r *Reference) Add(p float64) {
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, float32(p))
	} else {
		r.ring[r.next] = float32(p)
		r.next = (r.next + 1) % len(r.ring)
	}
	r.dirty = true
}

// Len is the number of sessions held.
func (r *Reference) Len() int { return len(r.ring) }

// Percentile returns the share (0–100) of held scores below p, ties counted
// half; 50 when the reference is empty. Not safe for concurrent use with Add.
func (r *Reference) Percentile(p float64) float64 { return PercentileOf(r.Sorted(), p) }

// Sorted returns the held scores in ascending order. The slice is shared
// until the next Add; callers must not modify it.
func (r *Reference) Sorted() []float32 {
	if r.dirty || len(r.sorted) != len(r.ring) {
		r.sorted = append(r.sorted[:0], r.ring...)
		slices.Sort(r.sorted)
		r.dirty = false
	}
	return r.sorted
}

// PercentileOf returns the share (0–100) of sorted scores below p, ties
// counted half; 50 when there are none.
func PercentileOf(sorted []float32, p float64) float64 {
	if len(sorted) == 0 {
		return 50
	}
	q := float32(p)
	lo, _ := slices.BinarySearch(sorted, q)
	hi := lo
	for hi < len(sorted) && sorted[hi] == q {
		hi++
	}
	return 100 * (float64(lo) + 0.5*float64(hi-lo)) / float64(len(sorted))
}

const referenceMagic = "PREF\x01"

// MarshalBinary writes the held scores, oldest first.
func (r *Reference) MarshalBinary() ([]byte, error) {
	b := binary.LittleEndian.AppendUint32([]byte(referenceMagic), uint32(len(r.ring)))
	for k := range r.ring {
		i := k
		if len(r.ring) == cap(r.ring) {
			i = (r.next + k) % len(r.ring)
		}
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.ring[i]))
	}
	return b, nil
}

// UnmarshalBinary restores a reference written by MarshalBinary.
func (r *Reference) UnmarshalBinary(b []byte) error {
	rd := reader{b: b}
	if string(rd.take(len(referenceMagic))) != referenceMagic {
		return errors.New("predict: bad reference checkpoint")
	}
	n := int(rd.u32())
	if rd.err || n > ReferenceSize || len(rd.b) != 4*n {
		return errors.New("predict: bad reference checkpoint")
	}
	nr := NewReference()
	for k := 0; k < n; k++ {
		nr.Add(float64(math.Float32frombits(rd.u32())))
	}
	*r = *nr
	return nil
}
