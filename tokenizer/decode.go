package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Decode turns ids back into text the way the tokenizer.json decoder does
// for Phi-3 (Replace "▁" -> " ", ByteFallback, Fuse, Strip one leading
// space): every token contributes its text, special tokens included, runs of
// byte tokens <0xXX> are joined into bytes, and one leading space of the
// whole result is removed. Ids that name no token are skipped.
//
// Bytes of a byte-token run that do not form valid UTF-8 become U+FFFD, one
// per byte that is not part of a complete character. Hugging Face replaces
// every byte of such a run (also the valid characters in it); the two agree
// whenever the run is valid or consists only of invalid bytes. This rule is
// what makes streaming with a Decoder give exactly the same text.
//
// For a byte-level tokenizer (Phi-4-mini) Decode is Hugging Face's
// ByteLevel decoder (and tiktoken's decode): the bytes of all tokens,
// added tokens included, are joined and read as UTF-8, each maximal
// ill-formed subsequence becoming one U+FFFD (Rust's from_utf8_lossy).
func (t *Tokenizer) Decode(ids []int32) string { return t.decode(ids, false) }

// DecodeSkipSpecial is Decode without special tokens (IsSpecial), like
// Hugging Face's skip_special_tokens=True: they are dropped before the
// decoder runs, so the tokens around them join as if they were adjacent.
func (t *Tokenizer) DecodeSkipSpecial(ids []int32) string { return t.decode(ids, true) }

func (t *Tokenizer) decode(ids []int32, skipSpecial bool) string {
	if t.byteLevel {
		var b []byte
		for _, id := range ids {
			if id >= 0 && int(id) < len(t.kinds) && t.kinds[id] == kindBytes && !(skipSpecial && t.special[id]) {
				b = append(b, t.dtext[id]...)
			}
		}
		out, _ := appendLossy(make([]byte, 0, len(b)+8), b, true)
		return string(out)
	}
	var sb strings.Builder
	sb.Grow(len(ids) * 4)
	var run []byte
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.kinds) || (skipSpecial && t.special[id]) {
			continue
		}
		switch t.kinds[id] {
		case kindByte:
			run = append(run, t.dbyte[id])
		case kindText:
			if len(run) > 0 {
				writeBytes(&sb, run)
				run = run[:0]
			}
			sb.WriteString(t.dtext[id])
		}
	}
	writeBytes(&sb, run)
	s := sb.String()
	for i := 0; i < t.stripStart && strings.HasPrefix(s, t.stripContent); i++ {
		s = s[len(t.stripContent):]
	}
	return s
}

// writeBytes writes b, replacing each byte that does not start a complete
// valid UTF-8 sequence by U+FFFD.
func writeBytes(sb *strings.Builder, b []byte) {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
}

// Decoder turns a stream of ids into text incrementally. The concatenation
// of all Add results and a final Flush equals Decode (or DecodeSkipSpecial)
// of the whole sequence, and every Add result is valid UTF-8: bytes of a
// character spelled with byte tokens (or, for a byte-level tokenizer, split
// across tokens) are held back until it is complete.
type Decoder struct {
	t           *Tokenizer
	skipSpecial bool
	pending     []byte // held bytes: an incomplete UTF-8 prefix
	strip       int    // leading strip characters still to remove
	buf         []byte
}

// NewDecoder returns a streaming Decoder; with skipSpecial, special tokens
// are dropped as in DecodeSkipSpecial.
func (t *Tokenizer) NewDecoder(skipSpecial bool) *Decoder {
	return &Decoder{t: t, skipSpecial: skipSpecial, strip: t.stripStart}
}

// Reset prepares the Decoder for a new sequence.
func (d *Decoder) Reset() {
	d.pending = d.pending[:0]
	d.strip = d.t.stripStart
}

// Add consumes one id and returns the text that is complete now (possibly
// empty).
func (d *Decoder) Add(id int32) string {
	t := d.t
	if id < 0 || int(id) >= len(t.kinds) || (d.skipSpecial && t.special[id]) {
		return ""
	}
	d.buf = d.buf[:0]
	switch t.kinds[id] {
	case kindByte:
		d.pending = append(d.pending, t.dbyte[id])
		n := 0
		for n < len(d.pending) && utf8.FullRune(d.pending[n:]) {
			r, size := utf8.DecodeRune(d.pending[n:])
			if r == utf8.RuneError && size == 1 {
				d.buf = utf8.AppendRune(d.buf, utf8.RuneError)
			} else {
				d.buf = append(d.buf, d.pending[n:n+size]...)
			}
			n += size
		}
		d.pending = append(d.pending[:0], d.pending[n:]...)
	case kindText:
		d.flushPending()
		d.buf = append(d.buf, t.dtext[id]...)
	case kindBytes:
		d.pending = append(d.pending, t.dtext[id]...)
		var n int
		d.buf, n = appendLossy(d.buf, d.pending, false)
		d.pending = append(d.pending[:0], d.pending[n:]...)
	default:
		return ""
	}
	return d.emit()
}

// Flush returns the held bytes, each byte of an incomplete character as
// U+FFFD (for a byte-level tokenizer: one U+FFFD for the incomplete
// character). Adding more ids afterwards continues the same text.
func (d *Decoder) Flush() string {
	d.buf = d.buf[:0]
	d.flushPending()
	return d.emit()
}

// flushPending appends the held bytes to buf as Decode would at the end of
// a byte run.
func (d *Decoder) flushPending() {
	if d.t.byteLevel {
		d.buf, _ = appendLossy(d.buf, d.pending, true)
		d.pending = d.pending[:0]
		return
	}
	b := d.pending
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			d.buf = utf8.AppendRune(d.buf, utf8.RuneError)
		} else {
			d.buf = append(d.buf, b[:size]...)
		}
		b = b[size:]
	}
	d.pending = d.pending[:0]
}

// emit applies the leading strip to buf and returns it as a string.
func (d *Decoder) emit() string {
	b := d.buf
	for d.strip > 0 && len(b) > 0 {
		if !strings.HasPrefix(string(b), d.t.stripContent) {
			d.strip = 0
			break
		}
		b = b[len(d.t.stripContent):]
		d.strip--
	}
	return string(b)
}
