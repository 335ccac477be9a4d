package sealed

import (
	"encoding/binary"
	"errors"
)

// A bundle is the texts of one row sealed as one value: an event's URL,
// title, referrer and attributes, a session's landing URL and referrer.
// Sealing each text on its own cost each row one key id, nonce, tag and
// base64 padding per column (about 60 bytes each, six per event with its
// session), and the bytes written, not the cipher, are what encryption costs
// the collector (docs/benchmarks.md). The bundle is stored in the row's
// first sealed column (events.attributes, sessions.landing_url) and the
// other columns stay empty.
//
// Its plaintext is bundleV1, then each text but the last as a uvarint
// length and its bytes, then the last text. No JSON text starts with
// bundleV1, so a bundle is told apart from a value sealed on its own, as
// rows written before bundles hold them.
const bundleV1 = 0x01

var errBadBundle = errors.New("malformed sealed bundle")

// packTexts returns the bundle plaintext of texts, or nil when every text
// is empty: an absent value costs nothing and still reads as absent.
func packTexts(texts ...string) []byte {
	n := 1
	empty := true
	for _, t := range texts {
		n += binary.MaxVarintLen64 + len(t)
		empty = empty && t == ""
	}
	if empty {
		return nil
	}
	b := make([]byte, 1, n)
	b[0] = bundleV1
	last := len(texts) - 1
	for _, t := range texts[:last] {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	return append(b, texts[last]...)
}

// isBundle reports whether plain is a bundle's plaintext.
func isBundle(plain string) bool { return len(plain) > 0 && plain[0] == bundleV1 }

// unpackTexts fills out with the texts of a bundle plaintext, which must
// hold exactly len(out) texts.
func unpackTexts(plain string, out []*string) error {
	if !isBundle(plain) || len(out) == 0 {
		return errBadBundle
	}
	rest := plain[1:]
	last := len(out) - 1
	for _, t := range out[:last] {
		n, w := binary.Uvarint([]byte(rest[:min(len(rest), binary.MaxVarintLen64)]))
		if w <= 0 || n > uint64(len(rest)-w) {
			return errBadBundle
		}
		*t = rest[w : w+int(n)]
		rest = rest[w+int(n):]
	}
	*out[last] = rest
	return nil
}
