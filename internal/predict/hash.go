package predict

// hasher is an incremental 64-bit FNV-1a hash used to name features without
// building strings on the hot path.
type hasher uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHash(namespace string) hasher { return hasher(fnvOffset).str(namespace) }

func (h hasher) str(s string) hasher {
	for i := 0; i < len(s); i++ {
		h ^= hasher(s[i])
		h *= fnvPrime
	}
	h ^= 0xff // separator, so ("ab","c") and ("a","bc") differ
	h *= fnvPrime
	return h
}

// lower is str of the ASCII-lower-cased s.
func (h hasher) lower(s string) hasher {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= hasher(c)
		h *= fnvPrime
	}
	h ^= 0xff
	h *= fnvPrime
	return h
}

func (h hasher) u64(v uint64) hasher {
	for i := 0; i < 8; i++ {
		h ^= hasher(byte(v))
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func (h hasher) int(v int) hasher { return h.u64(uint64(int64(v))) }

// mix finalizes h (splitmix64 finalizer) so low bits are well spread.
func (h hasher) mix() uint64 {
	x := uint64(h)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashString is the feature-name hash of a whole string.
func hashString(s string) uint64 { return uint64(newHash("").str(s)) }
