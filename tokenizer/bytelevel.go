package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Byte-level BPE (GPT-2, tiktoken, Phi-4-mini): text is cut into pieces by
// a split pattern, each piece's UTF-8 bytes are spelled with one printable
// character per byte (GPT-2's bytes_to_unicode: "Ġ" for a space, "Ċ" for a
// newline), and the characters are merged by merge rank. Every byte has a
// token, so nothing is unknown and there is no byte fallback.

// byteChar maps a byte to its character in GPT-2's bytes_to_unicode:
// printable Latin-1 characters ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
// themselves, the other 68 bytes, in order, for U+0100..U+0143.
var byteChar [256]rune

// charByte is the inverse of byteChar, -1 for other runes.
var charByte [0x144]int16

func init() {
	for i := range charByte {
		charByte[i] = -1
	}
	n := rune(0)
	for b := range 256 {
		r := rune(b)
		if !('!' <= b && b <= '~' || 0xA1 <= b && b <= 0xAC || 0xAE <= b && b <= 0xFF) {
			r = 0x100 + n
			n++
		}
		byteChar[b] = r
		charByte[r] = int16(b)
	}
}

// byteLevelString spells b with bytes_to_unicode characters.
func byteLevelString(b string) string {
	var sb strings.Builder
	sb.Grow(2 * len(b))
	for i := 0; i < len(b); i++ {
		sb.WriteRune(byteChar[b[i]])
	}
	return sb.String()
}

// byteLevelDecode returns the bytes a token stands for, as Hugging Face's
// ByteLevel decoder reads it: each character mapped back to its byte, or,
// when some character is not a bytes_to_unicode character (added tokens
// such as "<|an added token|>" with a space), the token's own UTF-8 bytes.
func byteLevelDecode(piece string) string {
	out := make([]byte, 0, len(piece))
	for _, r := range piece {
		if r < 0 || int(r) >= len(charByte) || charByte[r] < 0 {
			return piece
		}
		out = append(out, byte(charByte[r]))
	}
	return string(out)
}

// preTokenizer describes the pre-tokenizer of a byte-level tokenizer:
// Split steps with hand-written patterns, then ByteLevel (which may add a
// space in front of each piece and split it again with GPT-2's pattern).
type preTokenizer struct {
	splits      []splitPattern
	prefixSpace bool // ByteLevel add_prefix_space
	byteRegex   bool // ByteLevel use_regex: split with patGPT2
}

// preTokenize calls fn with the pieces of s.
func (t *Tokenizer) preTokenize(s string, level int, fn func(string)) {
	if level < len(t.pre.splits) {
		t.pre.splits[level].split(s, func(p string) { t.preTokenize(p, level+1, fn) })
		return
	}
	if t.pre.prefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	if t.pre.byteRegex {
		patGPT2.split(s, fn)
		return
	}
	fn(s)
}

// encodeByteLevel encodes one (normalized) text segment of a byte-level
// tokenizer: pre-tokenize, then merge each piece's bytes by rank. Repeated
// pieces of long segments are encoded once per call.
func (t *Tokenizer) encodeByteLevel(out []int32, s string, sc *scratch) []int32 {
	useCache := len(s) > 256
	if useCache && sc.cache == nil {
		sc.cache = make(map[string][2]int32)
	}
	t.preTokenize(s, 0, func(p string) {
		if !useCache || len(p) > 64 {
			out = t.encodePiece(out, p, sc)
			return
		}
		if sp, ok := sc.cache[p]; ok {
			out = append(out, out[sp[0]:sp[1]]...)
			return
		}
		n := len(out)
		out = t.encodePiece(out, p, sc)
		sc.cache[p] = [2]int32{int32(n), int32(len(out))}
	})
	return out
}

// encodePiece encodes one pre-tokenized piece, as Hugging Face's BPE model
// does with the piece spelled in bytes_to_unicode characters: with
// ignore_merges a piece that is a token is emitted whole; otherwise each
// byte starts as its character's token and merges apply by rank. A byte
// whose character is not in the vocabulary becomes unk (consecutive ones
// fused with fuse_unk), or is dropped without unk.
func (t *Tokenizer) encodePiece(out []int32, p string, sc *scratch) []int32 {
	if len(p) == 1 && t.byteSym[p[0]] >= 0 {
		return append(out, t.byteSym[p[0]])
	}
	if t.ignoreMerges {
		sc.buf = sc.buf[:0]
		for i := 0; i < len(p); i++ {
			sc.buf = utf8.AppendRune(sc.buf, byteChar[p[i]])
		}
		if id, ok := t.vocab[string(sc.buf)]; ok {
			return append(out, id)
		}
	}
	syms := sc.syms[:0]
	lastUnk := false
	for i := 0; i < len(p); i++ {
		id := t.byteSym[p[i]]
		if id < 0 && t.byteFallback && t.byteID[p[i]] >= 0 {
			id = t.byteID[p[i]]
		}
		if id < 0 {
			if t.unk < 0 || (t.fuseUnk && lastUnk) {
				continue
			}
			id, lastUnk = t.unk, true
		} else {
			lastUnk = false
		}
		syms = append(syms, symbol{id: id})
	}
	for k := range syms {
		syms[k].prev = int32(k - 1)
		syms[k].next = int32(k + 1)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	sc.syms = syms
	return t.mergeRanks(out, syms, sc)
}

// appendLossy appends b to dst as UTF-8 text, replacing each maximal
// subpart of an ill-formed sequence by one U+FFFD, as Rust's
// String::from_utf8_lossy, Python's errors="replace" and the WHATWG
// decoder do (and so Hugging Face's ByteLevel decoder and tiktoken). When
// final is false, an incomplete but so far valid sequence at the end of b
// is left unconsumed (more bytes may complete it). It returns dst and the
// number of bytes of b consumed.
func appendLossy(dst, b []byte, final bool) ([]byte, int) {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case 0xC2 <= c && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case 0xE1 <= c && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case 0xF1 <= c && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		default: // 0x80..0xC1, 0xF5..0xFF: never starts a character
			dst = utf8.AppendRune(dst, utf8.RuneError)
			i++
			continue
		}
		k := 1
		for ; k <= need; k++ {
			if i+k >= len(b) {
				if !final {
					return dst, i
				}
				break
			}
			if x := b[i+k]; x < lo || x > hi {
				break
			}
			lo, hi = 0x80, 0xBF
		}
		if k > need {
			dst = append(dst, b[i:i+k]...)
		} else {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
		i += k
	}
	return dst, i
}
