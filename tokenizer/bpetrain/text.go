package bpetrain

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fixed pieces of every trained vocabulary.
const (
	// UnkToken is the unknown token, id 0.
	UnkToken = "<unk>"
	// BOSToken is the beginning-of-sequence token, id 1.
	BOSToken = "<s>"
	// EOSToken is the end-of-sequence token, id 2.
	EOSToken = "</s>"
	// FirstByteID is the id of <0x00>; <0xFF> is FirstByteID+255.
	FirstByteID = 3
	// BaseSize is the number of fixed ids: the three control tokens and
	// the 256 byte tokens.
	BaseSize = FirstByteID + 256
)

// wsChar is SentencePiece's whitespace marker, U+2581.
const (
	wsChar = '▁'
	wsStr  = "▁"
)

// addedToken is a token cut out of the raw text before normalization.
type addedToken struct {
	content string
	rstrip  bool // swallows the whitespace to its right
}

// splitter cuts added tokens out of raw text the way the tokenizer package
// (and Hugging Face's AddedVocabulary) does: leftmost match first, longest
// among matches that start at the same byte.
type splitter struct {
	byFirst [256][]addedToken // longest first
	n       int
}

// rstripSpecial reports whether a special token swallows the whitespace to
// its right. This is Phi-3's convention, which tokenizer.FromVocab applies
// to GGUF vocabularies that contain <|end|>: every token of the form <|...|>
// except <|endoftext|>. A tokenizer.json written here states the flag for
// each token, and follows the same rule, so that the tokenizer.json and a
// GGUF converted from it encode alike.
func rstripSpecial(s string, specials []string) bool {
	return slices.Contains(specials, "<|end|>") &&
		strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>") && s != "<|endoftext|>"
}

// newSplitter prepares a splitter for the control tokens and the specials.
func newSplitter(specials []string) *splitter {
	sp := &splitter{}
	add := func(content string, rstrip bool) {
		if content == "" {
			return
		}
		sp.byFirst[content[0]] = append(sp.byFirst[content[0]], addedToken{content, rstrip})
		sp.n++
	}
	for _, s := range []string{UnkToken, BOSToken, EOSToken} {
		add(s, false)
	}
	for _, s := range specials {
		add(s, rstripSpecial(s, specials))
	}
	for i := range sp.byFirst {
		sort.SliceStable(sp.byFirst[i], func(a, b int) bool {
			return len(sp.byFirst[i][a].content) > len(sp.byFirst[i][b].content)
		})
	}
	return sp
}

// segments calls fn, in order, for each stretch of s between added tokens
// (raw, not normalized; empty stretches are skipped) with token false, and
// for each added token with token true.
func (sp *splitter) segments(s string, fn func(seg string, token bool)) {
	done := 0
	for i := 0; i < len(s); {
		var hit *addedToken
		for k := range sp.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], sp.byFirst[s[i]][k].content) {
				hit = &sp.byFirst[s[i]][k]
				break
			}
		}
		if hit == nil {
			i++
			continue
		}
		if done < i {
			fn(s[done:i], false)
		}
		fn(hit.content, true)
		i += len(hit.content)
		if hit.rstrip {
			i = len(s) - len(strings.TrimLeftFunc(s[i:], unicode.IsSpace))
		}
		done = i
	}
	if done < len(s) {
		fn(s[done:], false)
	}
}

// words calls fn for each word of a raw text segment after normalization
// ("▁" prepended, spaces replaced by "▁"): a word starts at the beginning
// and before each "▁" that follows a character other than "▁", so a run of
// "▁" belongs to the word after it. buf is scratch space; the word passed to
// fn is only valid during the call.
func words(seg string, buf []byte, fn func(w []byte)) []byte {
	if seg == "" {
		return buf
	}
	w := append(buf[:0], wsStr...)
	prevWS := true
	for i := 0; i < len(seg); {
		c := seg[i]
		var isWS bool
		var size int
		switch {
		case c == ' ':
			isWS, size = true, 1
		case c < utf8.RuneSelf:
			size = 1
		default:
			r, n := utf8.DecodeRuneInString(seg[i:])
			isWS, size = r == wsChar, n
		}
		if isWS && !prevWS {
			fn(w)
			w = w[:0]
		}
		if c == ' ' {
			w = append(w, wsStr...)
		} else {
			w = append(w, seg[i:i+size]...)
		}
		prevWS = isWS
		i += size
	}
	fn(w)
	return w
}

// Character classes for the validity of merged pieces.
const (
	scriptAny = -1 // no scripted character yet (or only combining marks)
)

// charInfo classifies one character of the vocabulary.
type charInfo struct {
	script int32 // index into scriptNames, or scriptAny for combining marks
	ws     bool  // "▁"
	solo   bool  // never merged (a digit with SplitDigits)
}

// scriptNames lists Go's Unicode script names in a fixed order; a script's
// number is its index.
var scriptNames = func() []string {
	names := make([]string, 0, len(unicode.Scripts))
	for n := range unicode.Scripts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// scriptOf returns the script number of r as SentencePiece's
// IsValidSentencePiece sees it: Hiragana, Katakana and U+30FC count as Han,
// combining marks (Inherited) take the script before them (scriptAny), and
// characters in no script are Common.
func scriptOf(r rune) int32 {
	name := "Common"
	switch {
	case r == 0x30FC || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
		name = "Han"
	case unicode.Is(unicode.Inherited, r):
		return scriptAny
	case unicode.Is(unicode.Latin, r):
		name = "Latin"
	case unicode.Is(unicode.Common, r):
	default:
		for _, n := range scriptNames {
			if unicode.Is(unicode.Scripts[n], r) {
				name = n
				break
			}
		}
	}
	i, _ := slices.BinarySearch(scriptNames, name)
	return int32(i)
}

// isDigit reports whether r is a decimal digit (Unicode Nd), SentencePiece's
// is_unicode_decimal_number.
func isDigit(r rune) bool { return unicode.Is(unicode.Nd, r) }

// classify returns the class of character r.
func classify(r rune, splitDigits bool) charInfo {
	if r == wsChar {
		return charInfo{script: scriptAny, ws: true}
	}
	return charInfo{script: scriptOf(r), solo: splitDigits && isDigit(r)}
}
