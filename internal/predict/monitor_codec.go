package predict

import (
	"encoding/binary"
	"errors"
	"math"
)

const monitorMagic = "PMON\x01"

// MarshalBinary encodes the monitor for a checkpoint: the window in order,
// the log-odds histogram (only non-empty bins) and the running sums.
func (m *Monitor) MarshalBinary() ([]byte, error) {
	b := []byte(monitorMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.window)))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.count))
	for k := 0; k < m.count; k++ { // oldest first
		i := (m.next - m.count + k + len(m.window)) % len(m.window)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.window[i]))
		if m.wlabels[i] {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	nz := 0
	for _, g := range m.hist {
		if g.pos != 0 || g.neg != 0 {
			nz++
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(nz))
	for i, g := range m.hist {
		if g.pos != 0 || g.neg != 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(i))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(g.pos))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(g.neg))
		}
	}
	c := &m.total
	b = binary.LittleEndian.AppendUint64(b, uint64(c.n))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.pos))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.logLoss))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.brier))
	for _, bin := range c.bins {
		b = binary.LittleEndian.AppendUint64(b, uint64(bin.n))
		b = binary.LittleEndian.AppendUint64(b, uint64(bin.pos))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(bin.sum))
	}
	return b, nil
}

var errMonitorCheckpoint = errors.New("predict: bad monitor checkpoint")

// UnmarshalBinary restores a monitor written by MarshalBinary.
func (m *Monitor) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	if string(r.take(len(monitorMagic))) != monitorMagic {
		return errMonitorCheckpoint
	}
	size, count := int(r.u32()), int(r.u32())
	if r.err || size > 1<<24 || count > size {
		return errMonitorCheckpoint
	}
	nm := NewMonitor(size)
	for k := 0; k < count; k++ {
		p := math.Float64frombits(r.u64())
		y := r.take(1)
		if r.err {
			return errMonitorCheckpoint
		}
		nm.window[k], nm.wlabels[k] = p, y[0] == 1
	}
	nm.count, nm.next = count, count%max(size, 1)
	nz := int(r.u32())
	for k := 0; k < nz && !r.err; k++ {
		i := int(r.u32())
		pos, neg := math.Float64frombits(r.u64()), math.Float64frombits(r.u64())
		if i >= len(nm.hist) {
			return errMonitorCheckpoint
		}
		nm.hist[i] = group{pos: pos, neg: neg}
	}
	c := &nm.total
	c.n, c.pos = int(r.u64()), int(r.u64())
	c.logLoss, c.brier = math.Float64frombits(r.u64()), math.Float64frombits(r.u64())
	for i := range c.bins {
		c.bins[i].n, c.bins[i].pos = int(r.u64()), int(r.u64())
		c.bins[i].sum = math.Float64frombits(r.u64())
	}
	if r.err || len(r.b) != 0 {
		return errMonitorCheckpoint
	}
	*m = *nm
	return nil
}

// reader reads little-endian values, remembering whether it ran short.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) take(n int) []byte {
	if r.err || len(r.b) < n {
		r.err = true
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
