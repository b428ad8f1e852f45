package filter

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Length drops records outside word and character bounds; a bound of 0 is
// no bound.
type Length struct {
	MinWords, MaxWords int
	MinChars, MaxChars int // in characters (runes)
}

// Name is "length".
func (l Length) Name() string { return "length" }

// Check drops a text that is too short or too long.
func (l Length) Check(r *Record) string {
	if l.MinWords > 0 || l.MaxWords > 0 {
		n := len(Words(r.Text))
		if l.MinWords > 0 && n < l.MinWords {
			return fmt.Sprintf("under %d words", l.MinWords)
		}
		if l.MaxWords > 0 && n > l.MaxWords {
			return fmt.Sprintf("over %d words", l.MaxWords)
		}
	}
	if l.MinChars > 0 || l.MaxChars > 0 {
		n := runeCount(r.Text)
		if l.MinChars > 0 && n < l.MinChars {
			return fmt.Sprintf("under %d chars", l.MinChars)
		}
		if l.MaxChars > 0 && n > l.MaxChars {
			return fmt.Sprintf("over %d chars", l.MaxChars)
		}
	}
	return ""
}

// englishStopwords are common English function words.
var englishStopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about after again all am an and any are as at be because been before
		being but by can could did do does doing don't down for from had has have he her here him his how
		i if in into is it it's its just me my no not now of off on once one only or our out over she so
		some than that the their them then there these they this to too under up very was we were what
		when where which while who why will with would you your`) {
		englishStopwords[w] = true
	}
}

// English drops records that do not look English: too few of the letters
// are ASCII, or too few of the words are common English function words
// ("the", "and", "was", ...; a children's story has 40-50%).
type English struct {
	MinASCII     float64 // of all letters (default 0.95)
	MinStopwords float64 // of all words (default 0.2)
}

// Name is "lang".
func (e English) Name() string { return "lang" }

// Check drops a text that does not look English.
func (e English) Check(r *Record) string {
	minASCII, minStop := e.MinASCII, e.MinStopwords
	if minASCII <= 0 {
		minASCII = 0.95
	}
	if minStop <= 0 {
		minStop = 0.2
	}
	letters, ascii := 0, 0
	for _, c := range r.Text {
		if unicode.IsLetter(c) {
			letters++
			if c < 128 {
				ascii++
			}
		}
	}
	if letters == 0 {
		return "no letters"
	}
	if float64(ascii) < minASCII*float64(letters) {
		return "non-English letters"
	}
	words := Words(r.Text)
	stop := 0
	for _, w := range words {
		if englishStopwords[strings.ToLower(w)] {
			stop++
		}
	}
	if float64(stop) < minStop*float64(len(words)) {
		return "few English words"
	}
	return ""
}

// Vocabulary is a set of known words; inflected forms of a known word
// count as known (see Known).
type Vocabulary struct {
	words map[string]bool
}

// ParseVocabulary reads a vocabulary: one word per line (further fields,
// like the part of speech of "ball noun", are ignored); blank lines and
// lines starting with # are skipped.
func ParseVocabulary(r io.Reader) (*Vocabulary, error) {
	v := &Vocabulary{words: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v.words[strings.ToLower(strings.Fields(line)[0])] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vocabulary: %w", err)
	}
	if len(v.words) == 0 {
		return nil, fmt.Errorf("vocabulary: no words")
	}
	return v, nil
}

// NewVocabulary returns a vocabulary of the given words.
func NewVocabulary(words ...string) *Vocabulary {
	v := &Vocabulary{words: map[string]bool{}}
	for _, w := range words {
		v.words[strings.ToLower(w)] = true
	}
	return v
}

// Len is the number of words in the vocabulary.
func (v *Vocabulary) Len() int { return len(v.words) }

// Known reports whether word is in the vocabulary, directly or by simple
// English inflection rules: plurals and third persons (-s, -es, -ies),
// pasts (-ed, -d, -ied, doubled consonants: "stopped"), -ing ("making",
// "running", "lying"), comparatives (-er, -est, -ier, -iest) and -ly
// adverbs, possessives and contractions ("Lily's", "don't", "can't",
// "we'll"). Numbers are known. Irregular forms ("went", "mice") must be
// listed.
func (v *Vocabulary) Known(word string) bool {
	w := strings.ToLower(strings.ReplaceAll(word, "’", "'"))
	if w == "" || strings.IndexFunc(w, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return true
	}
	if v.words[w] {
		return true
	}
	if i := strings.IndexByte(w, '\''); i >= 0 {
		base, suffix := w[:i], w[i+1:]
		switch {
		case w == "can't":
			return v.known("can")
		case w == "won't":
			return v.known("will")
		case w == "shan't":
			return v.known("shall")
		case strings.HasSuffix(w, "n't"):
			return v.known(strings.TrimSuffix(w, "n't"))
		case suffix == "s" || suffix == "ll" || suffix == "re" || suffix == "ve" || suffix == "d" || suffix == "m" || suffix == "":
			return v.known(base)
		}
		return false
	}
	return v.known(w)
}

// known checks a lowercase word and its stems.
func (v *Vocabulary) known(w string) bool {
	if v.words[w] {
		return true
	}
	for _, s := range stems(w) {
		if v.words[s] {
			return true
		}
	}
	return false
}

// stems lists the words w may be an inflection of.
func stems(w string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 1 {
			out = append(out, s)
		}
	}
	cut := func(suffix string) (string, bool) {
		if len(w) > len(suffix)+1 && strings.HasSuffix(w, suffix) {
			return w[:len(w)-len(suffix)], true
		}
		return "", false
	}
	// undouble: "stopp" → "stop", "runn" → "run".
	undouble := func(s string) {
		if n := len(s); n >= 3 && s[n-1] == s[n-2] && !strings.ContainsRune("aeiou", rune(s[n-1])) {
			add(s[:n-1])
		}
	}
	if s, ok := cut("ies"); ok {
		add(s + "y")
	}
	if s, ok := cut("es"); ok {
		add(s)
	}
	if s, ok := cut("s"); ok && !strings.HasSuffix(w, "ss") {
		add(s)
	}
	if s, ok := cut("ied"); ok {
		add(s + "y")
	}
	if s, ok := cut("ed"); ok {
		add(s)
		add(s + "e")
		undouble(s)
	}
	if strings.HasSuffix(w, "ying") && len(w) >= 5 { // lying → lie
		add(w[:len(w)-4] + "ie")
	}
	if s, ok := cut("ing"); ok {
		add(s)
		add(s + "e")
		undouble(s)
	}
	for _, suf := range []string{"er", "est"} {
		if s, ok := cut("i" + suf); ok {
			add(s + "y")
		}
		if s, ok := cut(suf); ok {
			add(s)
			add(s + "e")
			undouble(s)
		}
	}
	if s, ok := cut("ily"); ok {
		add(s + "y")
	}
	if s, ok := cut("ly"); ok {
		add(s)
	}
	return out
}

// VocabCheck drops records with too many words outside a vocabulary.
type VocabCheck struct {
	Vocab  *Vocabulary
	MaxOOV float64 // the largest fraction of unknown words kept
	// Names counts capitalized words ("Lily", "Tom") as known: stories
	// have names no vocabulary lists.
	Names bool
}

// Name is "vocab".
func (c VocabCheck) Name() string { return "vocab" }

// Check drops a text whose fraction of unknown words is over MaxOOV.
func (c VocabCheck) Check(r *Record) string {
	if c.Vocab == nil {
		return ""
	}
	words := Words(r.Text)
	oov := 0
	for _, w := range words {
		if c.Vocab.Known(w) {
			continue
		}
		if c.Names && isCapitalized(w) {
			continue
		}
		oov++
	}
	if len(words) > 0 && float64(oov) > c.MaxOOV*float64(len(words)) {
		return "words outside the vocabulary"
	}
	return ""
}

// isCapitalized: an upper-case letter then only lower-case letters and
// apostrophes ("Lily", "Tom's"; not "I", "OK").
func isCapitalized(w string) bool {
	for i, r := range w {
		switch {
		case i == 0:
			if !unicode.IsUpper(r) {
				return false
			}
		case r != '\'' && !unicode.IsLower(r):
			return false
		}
	}
	return len(w) > 1
}

// Readability orders records easiest first by Flesch–Kincaid grade.
type Readability struct{}

// Name is "readability".
func (Readability) Name() string { return "readability" }

// Key is the record's Flesch–Kincaid grade.
func (Readability) Key(r *Record) float64 { return FleschKincaid(r.Text) }
