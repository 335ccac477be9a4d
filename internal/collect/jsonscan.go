package collect

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxSkipDepth bounds the nesting of values the scanner skips or rejects, so
// a hostile body cannot exhaust the stack.
const maxSkipDepth = 64

// scanner is a strict, allocation-light JSON (RFC 8259) tokenizer over one
// request body. It stops at the first syntax error, which it records in err;
// every method returns false once err is set.
type scanner struct {
	src string
	pos int
	err string // first syntax error, "" while the text is well-formed
}

// valueKind is the kind of the JSON value starting at the scanner's position.
type valueKind byte

const (
	kindInvalid valueKind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
)

func (s *scanner) fail(msg string) bool {
	if s.err == "" {
		s.err = msg
	}
	return false
}

func (s *scanner) skipWS() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// kind skips whitespace and reports the kind of the next value.
func (s *scanner) kind() valueKind {
	s.skipWS()
	if s.pos >= len(s.src) {
		return kindInvalid
	}
	switch c := s.src[s.pos]; {
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == '"':
		return kindString
	case c == '-' || c >= '0' && c <= '9':
		return kindNumber
	case c == 't' || c == 'f':
		return kindBool
	case c == 'n':
		return kindNull
	}
	return kindInvalid
}

// open consumes the opening byte of an object or array.
func (s *scanner) open(c byte) bool {
	s.skipWS()
	if s.pos >= len(s.src) || s.src[s.pos] != c {
		return s.fail("expected " + string(c))
	}
	s.pos++
	return true
}

// next advances to the next member or element of the container that close
// ends; *first tracks whether one was read already. It returns false after
// consuming close, or on a syntax error.
func (s *scanner) next(close byte, first *bool) bool {
	s.skipWS()
	if s.pos >= len(s.src) {
		return s.fail("unexpected end of JSON input")
	}
	c := s.src[s.pos]
	if c == close {
		s.pos++
		return false
	}
	if !*first {
		if c != ',' {
			return s.fail("expected ',' or '" + string(close) + "'")
		}
		s.pos++
		s.skipWS()
		if s.pos < len(s.src) && s.src[s.pos] == close {
			return s.fail("unexpected '" + string(close) + "' after ','")
		}
	}
	*first = false
	return true
}

// key reads an object member name and the colon after it.
func (s *scanner) key() (string, bool) {
	if s.kind() != kindString {
		return "", s.fail("expected a string object key")
	}
	k, _, ok := s.str()
	if !ok {
		return "", false
	}
	s.skipWS()
	if s.pos >= len(s.src) || s.src[s.pos] != ':' {
		return "", s.fail("expected ':' after object key")
	}
	s.pos++
	return k, true
}

// str reads a string at the position and returns its value and whether the
// token held escapes (the raw token is then not the canonical encoding).
func (s *scanner) str() (val string, escaped bool, ok bool) {
	s.skipWS()
	if s.pos >= len(s.src) || s.src[s.pos] != '"' {
		return "", false, s.fail("expected a string")
	}
	start := s.pos + 1
	ascii := true
	for i := start; i < len(s.src); i++ {
		c := s.src[i]
		switch {
		case c == '"':
			s.pos = i + 1
			v := s.src[start:i]
			if !ascii && !utf8.ValidString(v) {
				return "", false, s.fail("invalid UTF-8 in string")
			}
			return v, false, true
		case c == '\\':
			return s.unescape(start, i)
		case c < 0x20:
			return "", false, s.fail("control character in string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false, s.fail("unterminated string")
}

// unescape finishes a string that holds escapes; plain is the end of its
// escape-free prefix.
func (s *scanner) unescape(start, plain int) (string, bool, bool) {
	var b strings.Builder
	b.Grow(plain - start + 16)
	b.WriteString(s.src[start:plain])
	i := plain
	for i < len(s.src) {
		c := s.src[i]
		switch {
		case c == '"':
			s.pos = i + 1
			v := b.String()
			if !utf8.ValidString(v) {
				return "", false, s.fail("invalid UTF-8 in string")
			}
			return v, true, true
		case c < 0x20:
			return "", false, s.fail("control character in string")
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s.src) {
			break
		}
		switch e := s.src[i+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s.src, i+2)
			if !ok {
				return "", false, s.fail("invalid \\u escape in string")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s.src, i+2); ok && i+1 < len(s.src) && s.src[i] == '\\' && s.src[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b.WriteRune(d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError // a lone surrogate, as encoding/json does
			}
			b.WriteRune(r)
			continue
		default:
			return "", false, s.fail("invalid escape in string")
		}
		i += 2
	}
	return "", false, s.fail("unterminated string")
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[at : at+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number and returns its literal, checked against the JSON
// grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() (string, bool) {
	s.skipWS()
	i, src := s.pos, s.src
	start := i
	if i < len(src) && src[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case digits() == 0:
		return "", s.fail("invalid number")
	}
	if i < len(src) && src[i] == '.' {
		i++
		if digits() == 0 {
			return "", s.fail("invalid number")
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", s.fail("invalid number")
		}
	}
	s.pos = i
	return src[start:i], true
}

// boolean reads true or false.
func (s *scanner) boolean() (bool, bool) {
	s.skipWS()
	if strings.HasPrefix(s.src[s.pos:], "true") {
		s.pos += 4
		return true, true
	}
	if strings.HasPrefix(s.src[s.pos:], "false") {
		s.pos += 5
		return false, true
	}
	return false, s.fail("invalid literal")
}

// null reads null.
func (s *scanner) null() bool {
	s.skipWS()
	if strings.HasPrefix(s.src[s.pos:], "null") {
		s.pos += 4
		return true
	}
	return s.fail("invalid literal")
}

// skip reads and discards one value of any kind.
func (s *scanner) skip() bool { return s.skipDepth(0) }

func (s *scanner) skipDepth(depth int) bool {
	if depth > maxSkipDepth {
		return s.fail("JSON nested too deeply")
	}
	switch s.kind() {
	case kindObject:
		s.pos++
		for first := true; s.next('}', &first); {
			if _, ok := s.key(); !ok || !s.skipDepth(depth+1) {
				return false
			}
		}
	case kindArray:
		s.pos++
		for first := true; s.next(']', &first); {
			if !s.skipDepth(depth + 1) {
				return false
			}
		}
	case kindString:
		_, _, ok := s.str()
		return ok
	case kindNumber:
		_, ok := s.number()
		return ok
	case kindBool:
		_, ok := s.boolean()
		return ok
	case kindNull:
		return s.null()
	default:
		if s.pos >= len(s.src) {
			return s.fail("unexpected end of JSON input")
		}
		return s.fail("invalid character at the start of a value")
	}
	return s.err == ""
}

// end reports whether only whitespace follows.
func (s *scanner) end() bool {
	s.skipWS()
	if s.pos != len(s.src) {
		return s.fail("unexpected data after the top-level value")
	}
	return true
}
