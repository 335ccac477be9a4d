package predict

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// FTRLParams are the hyper-parameters of FTRL-Proximal (McMahan et al.,
// "Ad Click Prediction: a View from the Trenches", KDD 2013).
type FTRLParams struct {
	Alpha float64 // learning-rate scale
	Beta  float64 // learning-rate smoothing
	L1    float64 // L1 regularization (sparsity)
	L2    float64 // L2 regularization
	Bits  uint    // log2 of the number of hashed weights, 10–24
}

// DefaultFTRLParams are the parameters measured on the UCI data (docs/prediction.md).
func DefaultFTRLParams() FTRLParams {
	return FTRLParams{Alpha: 0.02, Beta: 1, L1: 0.5, L2: 5, Bits: 18}
}

// Validate reports whether p makes a model (NewFTRL refuses what it
// rejects). Offline tools check their flags with it before they read data.
func (p FTRLParams) Validate() error {
	switch {
	case !(p.Alpha > 0) || math.IsInf(p.Alpha, 0):
		return errors.New("predict: alpha must be positive")
	case !(p.Beta >= 0) || !(p.L1 >= 0) || !(p.L2 >= 0) || math.IsInf(p.Beta+p.L1+p.L2, 0):
		return errors.New("predict: beta, l1 and l2 must be finite and non-negative")
	case p.Bits < 10 || p.Bits > 24:
		return errors.New("predict: bits must be within 10–24")
	}
	return nil
}

// FTRL is a logistic regression over hashed features trained online with
// FTRL-Proximal and per-coordinate learning rates. It stores, per hashed
// coordinate, z and n as float32, interleaved so that one coordinate is one
// memory access; weights are derived lazily. Not safe for concurrent use.
type FTRL struct {
	p     FTRLParams
	mask  uint32
	zn    []float32 // z0, n0, z1, n1, …
	count int64     // examples learned
}

// NewFTRL returns an untrained model.
func NewFTRL(p FTRLParams) (*FTRL, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &FTRL{p: p, mask: uint32(1)<<p.Bits - 1, zn: make([]float32, 2<<p.Bits)}, nil
}

// Params returns the model's hyper-parameters.
func (m *FTRL) Params() FTRLParams { return m.p }

// Examples returns how many examples the model learned from.
func (m *FTRL) Examples() int64 { return m.count }

// MemoryBytes is the size of the model's weight storage.
func (m *FTRL) MemoryBytes() int { return len(m.zn) * 4 }

func (m *FTRL) weight(z, n float32) float64 {
	zz := float64(z)
	if math.Abs(zz) <= m.p.L1 {
		return 0
	}
	sign := 1.0
	if zz < 0 {
		sign = -1
	}
	return -(zz - sign*m.p.L1) / ((m.p.Beta+math.Sqrt(float64(n)))/m.p.Alpha + m.p.L2)
}

// Logit returns the model's log-odds for x.
func (m *FTRL) Logit(x []Feature) float64 {
	var s float64
	zn := m.zn
	for _, f := range x {
		i := (f.Index & m.mask) << 1
		s += m.weight(zn[i], zn[i+1]) * float64(f.Value)
	}
	return s
}

// Predict returns the probability that the outcome happens.
func (m *FTRL) Predict(x []Feature) float64 { return sigmoid(m.Logit(x)) }

// Update learns from one example and returns the prediction the model made
// before learning from it (progressive validation).
func (m *FTRL) Update(x []Feature, y bool) float64 {
	p := m.Predict(x)
	g0 := p
	if y {
		g0 = p - 1
	}
	zn := m.zn
	for _, f := range x {
		i := (f.Index & m.mask) << 1
		z, n := zn[i], zn[i+1]
		w := m.weight(z, n)
		g := g0 * float64(f.Value)
		nn := float64(n) + g*g
		sigma := (math.Sqrt(nn) - math.Sqrt(float64(n))) / m.p.Alpha
		zn[i] = float32(float64(z) + g - sigma*w)
		zn[i+1] = float32(nn)
	}
	m.count++
	return p
}

func sigmoid(x float64) float64 {
	x = math.Max(-35, math.Min(35, x))
	return 1 / (1 + math.Exp(-x))
}

const ftrlMagic = "PFTRL\x01"

// MarshalBinary encodes the model as a checkpoint: parameters, then only
// the coordinates that were ever updated.
func (m *FTRL) MarshalBinary() ([]byte, error) {
	nz := 0
	for i := 1; i < len(m.zn); i += 2 {
		if m.zn[i] != 0 || m.zn[i-1] != 0 {
			nz++
		}
	}
	b := make([]byte, 0, len(ftrlMagic)+4*8+1+8+4+nz*12)
	b = append(b, ftrlMagic...)
	for _, v := range []float64{m.p.Alpha, m.p.Beta, m.p.L1, m.p.L2} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	b = append(b, byte(m.p.Bits))
	b = binary.LittleEndian.AppendUint64(b, uint64(m.count))
	b = binary.LittleEndian.AppendUint32(b, uint32(nz))
	for i := 0; i < len(m.zn); i += 2 {
		if m.zn[i] != 0 || m.zn[i+1] != 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(i/2))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.zn[i]))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.zn[i+1]))
		}
	}
	return b, nil
}

// UnmarshalBinary restores a model written by MarshalBinary.
func (m *FTRL) UnmarshalBinary(b []byte) error {
	const head = len(ftrlMagic) + 4*8 + 1 + 8 + 4
	if len(b) < head || string(b[:len(ftrlMagic)]) != ftrlMagic {
		return errors.New("predict: not an FTRL checkpoint")
	}
	r := b[len(ftrlMagic):]
	var f [4]float64
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(r))
		r = r[8:]
	}
	p := FTRLParams{Alpha: f[0], Beta: f[1], L1: f[2], L2: f[3], Bits: uint(r[0])}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("predict: checkpoint: %w", err)
	}
	count := int64(binary.LittleEndian.Uint64(r[1:]))
	nz := int(binary.LittleEndian.Uint32(r[9:]))
	r = r[13:]
	if nz < 0 || len(r) != nz*12 {
		return errors.New("predict: truncated FTRL checkpoint")
	}
	nm, _ := NewFTRL(p)
	nm.count = count
	for k := 0; k < nz; k++ {
		i := binary.LittleEndian.Uint32(r)
		if i > nm.mask {
			return errors.New("predict: FTRL checkpoint index out of range")
		}
		nm.zn[2*i] = math.Float32frombits(binary.LittleEndian.Uint32(r[4:]))
		nm.zn[2*i+1] = math.Float32frombits(binary.LittleEndian.Uint32(r[8:]))
		r = r[12:]
	}
	*m = *nm
	return nil
}
