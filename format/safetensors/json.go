package safetensors

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of JSON values the scanner skips over.
const maxJSONDepth = 64

// scanner is a small JSON reader over a byte slice, just enough for
// safetensors headers and index files. Unlike encoding/json it reports
// duplicate keys (callers see every key), gives exact byte offsets in
// errors, and allocates only the strings it returns.
type scanner struct {
	file string
	buf  []byte
	pos  int
	base int64 // file offset of buf[0]
}

// errorf returns a FormatError at the current position.
func (s *scanner) errorf(format string, args ...any) error {
	return &FormatError{s.file, s.base + int64(s.pos), fmt.Sprintf(format, args...)}
}

// ws skips JSON whitespace.
func (s *scanner) ws() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// next skips whitespace and returns the next byte without consuming it, or
// 0 at the end of input.
func (s *scanner) next() byte {
	s.ws()
	if s.pos >= len(s.buf) {
		return 0
	}
	return s.buf[s.pos]
}

// found describes the next byte for an error message.
func (s *scanner) found() string {
	c := s.next()
	if s.pos >= len(s.buf) {
		return "end of JSON"
	}
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if c == '-' || c >= '0' && c <= '9' {
		return "a number"
	}
	return fmt.Sprintf("%q", c)
}

// expect consumes the byte c (after whitespace) or fails.
func (s *scanner) expect(c byte, what string) error {
	if s.next() != c {
		if s.pos >= len(s.buf) {
			return s.errorf("%s: JSON ends early, expected %q", what, c)
		}
		return s.errorf("%s: expected %q, found %s", what, c, s.found())
	}
	s.pos++
	return nil
}

// more reports whether another member or element follows in the object or
// array being read (closing with end), consuming a separating comma. first
// is true before the first member.
func (s *scanner) more(end byte, first bool, what string) (bool, error) {
	c := s.next()
	if c == end {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			if s.pos >= len(s.buf) {
				return false, s.errorf("%s: JSON ends early", what)
			}
			return false, s.errorf("%s: expected ',' or %q, found %s", what, end, s.found())
		}
		s.pos++
		if s.next() == end {
			return false, s.errorf("%s: trailing comma", what)
		}
	}
	if s.pos >= len(s.buf) {
		return false, s.errorf("%s: JSON ends early", what)
	}
	return true, nil
}

// key reads an object key and the colon after it.
func (s *scanner) key(what string) (string, error) {
	if s.next() != '"' {
		return "", s.errorf("%s: expected a string key, found %s", what, s.found())
	}
	k, err := s.str(what)
	if err != nil {
		return "", err
	}
	return k, s.expect(':', what)
}

// str reads a JSON string. The input is known to be valid UTF-8.
func (s *scanner) str(what string) (string, error) {
	if err := s.expect('"', what); err != nil {
		return "", err
	}
	start := s.pos
	for i := start; i < len(s.buf); i++ {
		switch c := s.buf[i]; {
		case c == '"':
			s.pos = i + 1
			return string(s.buf[start:i]), nil
		case c == '\\':
			return s.escaped(start, what)
		case c < 0x20:
			s.pos = i
			return "", s.errorf("%s: control character %#02x in string", what, c)
		}
	}
	s.pos = len(s.buf)
	return "", s.errorf("%s: JSON ends early, in a string", what)
}

// escaped finishes reading a string that contains escapes; start is the
// offset just after the opening quote.
func (s *scanner) escaped(start int, what string) (string, error) {
	var b strings.Builder
	i := start
	for i < len(s.buf) {
		c := s.buf[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return b.String(), nil
		case c < 0x20:
			s.pos = i
			return "", s.errorf("%s: control character %#02x in string", what, c)
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s.buf) {
			break
		}
		switch e := s.buf[i+1]; e {
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
			r, ok := hex4(s.buf[i+2:])
			if !ok {
				s.pos = i
				return "", s.errorf("%s: bad \\u escape in string", what)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s.buf[min(i+2, len(s.buf)):]); ok && i+1 < len(s.buf) && s.buf[i] == '\\' && s.buf[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b.WriteRune(d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError // lone surrogate, as encoding/json decodes it
			}
			b.WriteRune(r)
			continue
		default:
			s.pos = i
			return "", s.errorf("%s: bad escape \\%c in string", what, e)
		}
		i += 2
	}
	s.pos = len(s.buf)
	return "", s.errorf("%s: JSON ends early, in a string", what)
}

// hex4 decodes 4 hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number scans a JSON number and returns its text and whether it is a plain
// integer (no fraction or exponent).
func (s *scanner) number(what string) (text []byte, integer bool, err error) {
	s.ws()
	start, i := s.pos, s.pos
	digits := func() int {
		n := 0
		for i < len(s.buf) && s.buf[i] >= '0' && s.buf[i] <= '9' {
			i++
			n++
		}
		return n
	}
	bad := func() ([]byte, bool, error) {
		s.pos = start
		return nil, false, s.errorf("%s: malformed number", what)
	}
	if i < len(s.buf) && s.buf[i] == '-' {
		i++
	}
	intStart := i
	if n := digits(); n == 0 || n > 1 && s.buf[intStart] == '0' {
		return bad()
	}
	integer = true
	if i < len(s.buf) && s.buf[i] == '.' {
		i++
		if digits() == 0 {
			return bad()
		}
		integer = false
	}
	if i < len(s.buf) && (s.buf[i] == 'e' || s.buf[i] == 'E') {
		i++
		if i < len(s.buf) && (s.buf[i] == '+' || s.buf[i] == '-') {
			i++
		}
		if digits() == 0 {
			return bad()
		}
		integer = false
	}
	s.pos = i
	return s.buf[start:i], integer, nil
}

// uint reads a JSON number that must be a non-negative integer below 2^64.
func (s *scanner) uint(what string) (uint64, error) {
	if c := s.next(); c != '-' && (c < '0' || c > '9') {
		return 0, s.errorf("%s: expected an integer, found %s", what, s.found())
	}
	start := s.pos
	text, integer, err := s.number(what)
	if err != nil {
		return 0, err
	}
	fail := func(format string) (uint64, error) {
		s.pos = start
		return 0, s.errorf(format, what, truncate(string(text), 40))
	}
	switch {
	case text[0] == '-':
		return fail("%s: value %s is negative")
	case !integer:
		return fail("%s: value %s is not an integer")
	}
	var v uint64
	for _, c := range text {
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return fail("%s: value %s does not fit in 64 bits")
		}
		v = v*10 + d
	}
	return v, nil
}

// literal consumes the keyword lit (true, false, null).
func (s *scanner) literal(lit, what string) error {
	s.ws()
	if !strings.HasPrefix(string(s.buf[s.pos:min(s.pos+len(lit), len(s.buf))]), lit) {
		return s.errorf("%s: invalid JSON value", what)
	}
	s.pos += len(lit)
	return nil
}

// skip consumes any JSON value, nested at most maxJSONDepth deep.
func (s *scanner) skip(what string, depth int) error {
	if depth > maxJSONDepth {
		return s.errorf("%s: JSON nested deeper than %d", what, maxJSONDepth)
	}
	switch c := s.next(); {
	case c == '"':
		_, err := s.str(what)
		return err
	case c == '{':
		s.pos++
		for first := true; ; first = false {
			ok, err := s.more('}', first, what)
			if err != nil || !ok {
				return err
			}
			if _, err := s.key(what); err != nil {
				return err
			}
			if err := s.skip(what, depth+1); err != nil {
				return err
			}
		}
	case c == '[':
		s.pos++
		for first := true; ; first = false {
			ok, err := s.more(']', first, what)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(what, depth+1); err != nil {
				return err
			}
		}
	case c == 't':
		return s.literal("true", what)
	case c == 'f':
		return s.literal("false", what)
	case c == 'n':
		return s.literal("null", what)
	case c == '-' || c >= '0' && c <= '9':
		_, _, err := s.number(what)
		return err
	case s.pos >= len(s.buf):
		return s.errorf("%s: JSON ends early", what)
	}
	return s.errorf("%s: invalid JSON value %s", what, s.found())
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end(what string) error {
	if s.next(); s.pos != len(s.buf) {
		return s.errorf("%s: unexpected data after the JSON object", what)
	}
	return nil
}
