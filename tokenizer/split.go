package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// splitPattern is a pre-tokenizer split regex implemented by hand: Go's
// regexp has no lookahead, which all of these need for \s+(?!\S).
//
// Each pattern is a scanner that returns the end of the regex match that
// starts at a given position, with the semantics of a backtracking regex
// engine (the alternatives are tried in order, the first that matches wins;
// quantifiers are greedy and give back characters when what follows them
// fails), as Hugging Face tokenizers (Oniguruma) and tiktoken (fancy-regex)
// apply them. Every pattern matches at every position, so splitting text
// is: take the match at 0, then the match where it ends, and so on.
//
// Character classes follow Unicode general categories from Go's unicode
// package (Unicode 15.0.0 as of Go 1.26; \p{L} letters, \p{Lu}, \p{Ll}, \p{Lt}, \p{Lm}, \p{Lo}, \p{M}
// marks, \p{N} numbers) and \s is the White_Space property (what Rust's
// regex crate and Go's unicode.IsSpace use; JavaScript's \s differs at
// U+0085 and U+FEFF). The case-insensitive contractions (?i:'s|...) match by
// Unicode simple case folding, so "'ſ" (U+017F LATIN SMALL LETTER LONG S)
// is a contraction like "'s". A byte that is not valid UTF-8 counts as one
// character of category So (like U+FFFD): neither letter, number nor space.
type splitPattern uint8

const (
	patNone splitPattern = iota
	// patGPT2 is GPT-2's pattern, also the one Hugging Face's ByteLevel
	// pre-tokenizer applies with use_regex:
	//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
	patGPT2
	// patCL100K is tiktoken's cl100k_base pattern (GPT-4, Phi-3-small,
	// Llama-3):
	//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
	//   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
	patCL100K
	// patO200K is tiktoken's o200k_base pattern (GPT-4o, Phi-4-mini):
	//   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
	//   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
	//   \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
	patO200K
)

// knownPatterns maps the regex strings found in tokenizer.json files (and
// tiktoken's definitions) to the scanners. The cl100k spellings differ only
// in ways that do not change the matches: possessive quantifiers after an
// optional character that cannot start what follows, and \s*[\r\n] versus
// \s*[\r\n]+ (the greedy \s* backtracks to the last line break of a
// whitespace run either way).
var knownPatterns = map[string]splitPattern{
	`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`: patGPT2,

	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: patCL100K,
	`'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`:       patCL100K,

	`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|` +
		`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|` +
		`\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`: patO200K,
}

// String returns the name of the pattern.
func (p splitPattern) String() string {
	switch p {
	case patGPT2:
		return "gpt2"
	case patCL100K:
		return "cl100k"
	case patO200K:
		return "o200k"
	}
	return "none"
}

// Character class bits.
const (
	cL  uint8 = 1 << iota // \p{L}
	cN                    // \p{N}
	cS                    // \s
	cUp                   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cLo                   // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
	cP                    // [^\r\n\p{L}\p{N}]
	cO                    // [^\s\p{L}\p{N}]
)

var asciiClass [utf8.RuneSelf]uint8

func init() {
	for r := range rune(utf8.RuneSelf) {
		asciiClass[r] = classify(r)
	}
}

// classify returns the class bits of r.
func classify(r rune) uint8 {
	var c uint8
	switch {
	case unicode.IsLetter(r):
		c = cL
		switch {
		case unicode.IsLower(r): // Ll
			c |= cLo
		case unicode.IsUpper(r) || unicode.IsTitle(r): // Lu, Lt
			c |= cUp
		default: // Lm, Lo
			c |= cUp | cLo
		}
	case unicode.IsMark(r):
		c = cUp | cLo
	case unicode.IsNumber(r):
		c = cN
	case unicode.IsSpace(r):
		c = cS
	}
	if c&(cL|cN) == 0 {
		if r != '\r' && r != '\n' {
			c |= cP
		}
		if c&cS == 0 {
			c |= cO
		}
	}
	return c
}

// classAt returns the class of the character at s[i:] and its size; at the
// end of s it returns 0, 0. An invalid byte is U+FFFD of size 1.
func classAt(s string, i int) (uint8, int) {
	if i >= len(s) {
		return 0, 0
	}
	if b := s[i]; b < utf8.RuneSelf {
		return asciiClass[b], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return classify(r), n
}

// run returns the end of the longest run of characters of class mask
// starting at i.
func run(s string, i int, mask uint8) int {
	for i < len(s) {
		c, n := classAt(s, i)
		if c&mask == 0 {
			break
		}
		i += n
	}
	return i
}

// match returns the end of the match of p at s[i:]; i < len(s).
func (p splitPattern) match(s string, i int) int {
	switch p {
	case patO200K:
		return matchO200K(s, i)
	case patCL100K:
		return matchCL100K(s, i)
	case patGPT2:
		return matchGPT2(s, i)
	}
	return len(s)
}

// split calls fn with the consecutive matches of p in s.
func (p splitPattern) split(s string, fn func(string)) {
	for i := 0; i < len(s); {
		j := p.match(s, i)
		fn(s[i:j])
		i = j
	}
}

func matchO200K(s string, i int) int {
	c0, n0 := classAt(s, i)
	if c0&(cP|cUp|cLo) != 0 {
		// [^\r\n\p{L}\p{N}]?[Up]*[Lo]+(?i:contraction)?
		if c0&cP != 0 {
			if e := upperLower(s, i+n0); e >= 0 {
				return contraction(s, e, true)
			}
		}
		if e := upperLower(s, i); e >= 0 {
			return contraction(s, e, true)
		}
		// [^\r\n\p{L}\p{N}]?[Up]+[Lo]*(?i:contraction)?
		if c0&cP != 0 {
			if c1, _ := classAt(s, i+n0); c1&cUp != 0 {
				return contraction(s, run(s, run(s, i+n0, cUp), cLo), true)
			}
		}
		if c0&cUp != 0 {
			return contraction(s, run(s, run(s, i, cUp), cLo), true)
		}
	}
	if c0&cN != 0 {
		return numbers(s, i, 3)
	}
	if e := punctuation(s, i, c0, "\r\n/"); e > i {
		return e
	}
	return whitespace(s, i, true)
}

// upperLower matches [Up]*[Lo]+ at s[j:] and returns its end, or -1. The
// greedy [Up]* takes the longest run of Up characters; when no Lo character
// follows the run, it gives back characters until the last one that is
// also Lo (Lm, Lo, M are in both classes), which [Lo]+ then matches alone.
func upperLower(s string, j int) int {
	k, lastLo := j, -1
	for k < len(s) {
		c, n := classAt(s, k)
		if c&cUp == 0 {
			if c&cLo != 0 { // Ll
				return run(s, k, cLo)
			}
			break
		}
		k += n
		if c&cLo != 0 {
			lastLo = k
		}
	}
	return lastLo
}

func matchCL100K(s string, i int) int {
	if e := contraction(s, i, true); e > i {
		return e
	}
	c0, n0 := classAt(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0&cP != 0 {
		if c1, _ := classAt(s, i+n0); c1&cL != 0 {
			return run(s, i+n0, cL)
		}
	}
	if c0&cL != 0 {
		return run(s, i, cL)
	}
	if c0&cN != 0 {
		return numbers(s, i, 3)
	}
	if e := punctuation(s, i, c0, "\r\n"); e > i {
		return e
	}
	return whitespace(s, i, true)
}

func matchGPT2(s string, i int) int {
	if e := contraction(s, i, false); e > i {
		return e
	}
	c0, _ := classAt(s, i)
	// " ?\p{L}+" and " ?\p{N}+"
	for _, mask := range [2]uint8{cL, cN} {
		if s[i] == ' ' {
			if c1, _ := classAt(s, i+1); c1&mask != 0 {
				return run(s, i+1, mask)
			}
		}
		if c0&mask != 0 {
			return run(s, i, mask)
		}
	}
	if e := punctuation(s, i, c0, ""); e > i {
		return e
	}
	return whitespace(s, i, false)
}

// numbers matches \p{N}{1,max} at s[i:], whose first character is a number.
func numbers(s string, i, max int) int {
	for k := 0; k < max; k++ {
		c, n := classAt(s, i)
		if c&cN == 0 {
			break
		}
		i += n
	}
	return i
}

// punctuation matches " ?[^\s\p{L}\p{N}]+[suffix]*" at s[i:] (suffix holds
// ASCII characters) and returns its end, or i when it does not match.
func punctuation(s string, i int, c0 uint8, suffix string) int {
	j := i
	if s[i] == ' ' {
		if c1, _ := classAt(s, i+1); c1&cO != 0 {
			j = i + 1
		}
	}
	if j == i && c0&cO == 0 {
		return i
	}
	k := run(s, j, cO)
	for k < len(s) && suffix != "" && indexByte(suffix, s[k]) {
		k++
	}
	return k
}

func indexByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// whitespace matches the whitespace alternatives at s[i:]: with lineBreaks
// "\s*[\r\n]+|\s+(?!\S)|\s+", else "\s+(?!\S)|\s+". s[i:] starts with a
// whitespace character whenever the earlier alternatives failed, except at
// characters no alternative matches (none for the supported patterns); the
// match is then one character, so that splitting always advances.
func whitespace(s string, i int, lineBreaks bool) int {
	k, lastStart, lastBreak := i, i, -1
	for k < len(s) {
		c, n := classAt(s, k)
		if c&cS == 0 {
			break
		}
		if lineBreaks && (s[k] == '\r' || s[k] == '\n') {
			lastBreak = k + 1
		}
		lastStart = k
		k += n
	}
	switch {
	case k == i:
		_, n := classAt(s, i)
		return i + n
	case lastBreak >= 0:
		// \s*[\r\n]+: the greedy \s* gives back up to the last line
		// break, which [\r\n]+ takes alone.
		return lastBreak
	case k == len(s):
		return k
	case lastStart > i:
		// \s+(?!\S) before a non-space: all but the last space.
		return lastStart
	}
	return k // \s+
}

// contraction matches "'s|'t|'re|'ve|'m|'ll|'d" at s[e:], case-insensitive
// by simple case folding when fold is set, and returns its end, or e.
func contraction(s string, e int, fold bool) int {
	if e >= len(s) || s[e] != '\'' {
		return e
	}
	lower := func(r rune) rune {
		if !fold {
			return r
		}
		switch {
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		case r == 'ſ': // U+017F folds to s
			return 's'
		}
		return r
	}
	r1, n1 := utf8.DecodeRuneInString(s[e+1:])
	switch l := lower(r1); l {
	case 's', 't', 'm', 'd':
		return e + 1 + n1
	case 'r', 'v', 'l':
		want := 'e'
		if l == 'l' {
			want = 'l'
		}
		if r2, n2 := utf8.DecodeRuneInString(s[e+1+n1:]); lower(r2) == want {
			return e + 1 + n1 + n2
		}
	}
	return e
}
