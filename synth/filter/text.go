package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words splits text into words: runs of letters and digits, with
// apostrophes inside a word kept ("don't", "Lily's"; ’ is read as ').
// Case is kept.
func Words(text string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := strings.Trim(text[start:end], "'’")
			if w != "" {
				out = append(out, strings.ReplaceAll(w, "’", "'"))
			}
			start = -1
		}
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || ((r == '\'' || r == '’') && start >= 0) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

// Normalize lowercases text and reduces everything but letters and digits
// to single spaces, so texts that differ only in case, spacing or
// punctuation normalize alike.
func Normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	space := false
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = true
	}
	return b.String()
}

// Syllables estimates the syllables of an English word: groups of vowels
// (y counts after the first letter), less a silent final e ("make") and
// the e of -ed and -es where it is not sounded ("jumped", "makes" but
// "wanted", "boxes"), at least 1.
func Syllables(word string) int {
	w := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return -1
	}, word)
	if len(w) == 0 {
		return 0
	}
	if len(w) <= 3 {
		return 1
	}
	vowel := func(i int) bool {
		switch w[i] {
		case 'a', 'e', 'i', 'o', 'u':
			return true
		case 'y':
			return i > 0
		}
		return false
	}
	n := 0
	for i := range len(w) {
		if vowel(i) && (i == 0 || !vowel(i-1)) {
			n++
		}
	}
	last, prev := w[len(w)-1], w[len(w)-2]
	switch {
	case last == 'e' && prev == 'l' && !vowel(len(w)-3): // little, table: the e is sounded
	case last == 'e' && !vowel(len(w)-2):
		n-- // make, love
	case last == 'd' && prev == 'e' && !strings.ContainsRune("aeioutd", rune(w[len(w)-3])):
		n-- // jumped, played (but wanted, needed, freed)
	case last == 's' && prev == 'e' && !strings.ContainsRune("aeiousxzcgh", rune(w[len(w)-3])):
		n-- // makes, likes (but boxes, wishes, pages, goes)
	}
	return max(n, 1)
}

// sentences counts sentences: runs of . ! ? plus a last one without an end
// mark; at least 1 when the text has words.
func sentences(text string) int {
	n, open := 0, false
	for _, r := range text {
		switch {
		case r == '.' || r == '!' || r == '?':
			if open {
				n++
				open = false
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			open = true
		}
	}
	if open {
		n++
	}
	return n
}

// FleschKincaid is the Flesch–Kincaid grade level of text:
// 0.39·words/sentences + 11.8·syllables/words − 15.59. Very simple text
// scores below 0; text without words scores 0.
func FleschKincaid(text string) float64 {
	words := Words(text)
	if len(words) == 0 {
		return 0
	}
	syl := 0
	for _, w := range words {
		syl += Syllables(w)
	}
	s := max(sentences(text), 1)
	return 0.39*float64(len(words))/float64(s) + 11.8*float64(syl)/float64(len(words)) - 15.59
}

// runeCount is the length of text in characters.
func runeCount(text string) int { return utf8.RuneCountInString(text) }
