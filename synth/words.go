package synth

import (
	"bufio"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed words.txt
var wordsFile string

//go:embed names.txt
var namesFile string

// POS is a word's part of speech.
type POS uint8

// The parts of speech of the word list.
const (
	Noun POS = iota
	Verb
	Adjective
	Adverb
	Pronoun
	Determiner
	Preposition
	Conjunction
	Number
	Interjection
	Contraction
)

var posCodes = map[string]POS{
	"n": Noun, "v": Verb, "adj": Adjective, "adv": Adverb, "pron": Pronoun,
	"det": Determiner, "prep": Preposition, "conj": Conjunction, "num": Number,
	"intj": Interjection, "contr": Contraction,
}

var posNames = [...]string{"noun", "verb", "adjective", "adverb", "pronoun",
	"determiner", "preposition", "conjunction", "number", "interjection", "contraction"}

// String returns the part of speech's name: "noun", "verb", ...
func (p POS) String() string {
	if int(p) < len(posNames) {
		return posNames[p]
	}
	return fmt.Sprintf("POS(%d)", p)
}

// Word is one entry of the word list: a word (or a compound such as
// "teddy bear"), its part of speech and the tags that tell the story world
// what it is (see words.txt).
type Word struct {
	Text string
	POS  POS
	Tags []string
	// props are the noun's tags as bits (object properties, place and
	// spot features), for fast tests in the generator.
	props props
}

// Has reports whether the word has the tag.
func (w *Word) Has(tag string) bool {
	for _, t := range w.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Value returns the value of the word's first "key:value" tag with the
// given key ("tr" of "tr:kick" is "kick"), or "".
func (w *Word) Value(key string) string {
	for _, t := range w.Tags {
		if len(t) > len(key) && t[len(key)] == ':' && t[:len(key)] == key {
			return t[len(key)+1:]
		}
	}
	return ""
}

// Name is a character name of the names list.
type Name struct {
	Name string
	// Gender is Male, Female, or Neuter for names that fit either (pets).
	Gender Gender
}

// Lexicon is the child's word list and the names list, parsed.
type Lexicon struct {
	// Words are the entries in file order (a word with two parts of
	// speech has two entries).
	Words []*Word
	// Names are the character names.
	Names []Name

	byKey map[string]*Word   // POS code + ":" + text
	forms map[string]bool    // every word form a story may use, lower case
	names map[string]bool    // lower-case names
	byTag map[string][]*Word // POS + ":" + tag -> words
}

var lexicon = sync.OnceValues(func() (*Lexicon, error) { return ParseLexicon(wordsFile, namesFile) })

// Vocabulary returns the word list and names that ship with the package.
func Vocabulary() *Lexicon {
	l, err := lexicon()
	if err != nil {
		// The files are embedded and covered by tests: this cannot happen
		// in a released build.
		panic(err)
	}
	return l
}

// ParseLexicon parses a word list and a names list in the formats of
// words.txt and names.txt.
func ParseLexicon(words, names string) (*Lexicon, error) {
	l := &Lexicon{byKey: map[string]*Word{}, forms: map[string]bool{}, names: map[string]bool{}, byTag: map[string][]*Word{}}
	sc := bufio.NewScanner(strings.NewReader(words))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("synth: word list line %d: %q has no part of speech", line, sc.Text())
		}
		pos, ok := posCodes[f[1]]
		if !ok {
			return nil, fmt.Errorf("synth: word list line %d: unknown part of speech %q", line, f[1])
		}
		text := strings.ReplaceAll(f[0], "_", " ")
		if text != strings.ToLower(text) {
			return nil, fmt.Errorf("synth: word list line %d: %q is not lower case", line, f[0])
		}
		key := f[1] + ":" + text
		w := l.byKey[key]
		if w == nil {
			w = &Word{Text: text, POS: pos}
			l.byKey[key] = w
			l.Words = append(l.Words, w)
		}
		for _, t := range f[2:] {
			if !w.Has(t) {
				w.Tags = append(w.Tags, t)
			}
		}
	}
	for _, w := range l.Words {
		w.props = propsOf(w.Tags)
		for _, t := range w.Tags {
			k := w.POS.String() + ":" + t
			l.byTag[k] = append(l.byTag[k], w)
		}
		for _, form := range Forms(w) {
			for _, part := range strings.Fields(form) {
				l.forms[part] = true
			}
		}
	}
	sc = bufio.NewScanner(strings.NewReader(names))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("synth: names line %d: want NAME GENDER, got %q", line, sc.Text())
		}
		g := Neuter
		switch f[1] {
		case "f":
			g = Female
		case "m":
			g = Male
		case "x":
		default:
			return nil, fmt.Errorf("synth: names line %d: gender %q is not f, m or x", line, f[1])
		}
		l.Names = append(l.Names, Name{Name: f[0], Gender: g})
		l.names[strings.ToLower(f[0])] = true
	}
	if len(l.Words) == 0 || len(l.Names) == 0 {
		return nil, fmt.Errorf("synth: empty word list or names list")
	}
	return l, nil
}

// Forms returns a word's base form and its inflections: plural for nouns;
// past tense, past participle, third person and -ing for verbs; -er and
// -est for one-word adjectives.
func Forms(w *Word) []string {
	t := w.Text
	switch w.POS {
	case Noun:
		return []string{t, Plural(t)}
	case Verb:
		return []string{t, Past(t), PastParticiple(t), Third(t), Gerund(t)}
	case Adjective:
		if strings.Contains(t, " ") {
			return []string{t}
		}
		f := []string{t}
		if c := Comparative(t); !strings.HasPrefix(c, "more ") {
			f = append(f, c, Superlative(t))
		}
		return f
	}
	return []string{t}
}

// Lookup returns the entry for a word with the given part of speech, or nil.
func (l *Lexicon) Lookup(text string, pos POS) *Word {
	for code, p := range posCodes {
		if p == pos {
			return l.byKey[code+":"+text]
		}
	}
	return nil
}

// Tagged returns the words of a part of speech that have a tag, in list
// order.
func (l *Lexicon) Tagged(pos POS, tag string) []*Word { return l.byTag[pos.String()+":"+tag] }

// Known reports whether a token (a word as Tokens returns it) is in the
// vocabulary: a listed word, an inflection of one, a name from the names
// list, or the possessive ('s) of any of these.
func (l *Lexicon) Known(tok string) bool {
	if l.forms[tok] || l.names[tok] {
		return true
	}
	if s, ok := strings.CutSuffix(tok, "'s"); ok {
		return l.forms[s] || l.names[s]
	}
	if s, ok := strings.CutSuffix(tok, "s'"); ok { // the dogs' bowls
		return l.forms[s+"s"]
	}
	return false
}

// Unknown returns the distinct tokens of text that are not Known, sorted.
func (l *Lexicon) Unknown(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Tokens(text) {
		if !seen[t] && !l.Known(t) {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Tokens splits text into lower-case words: runs of letters and
// apostrophes inside words ("don't", "Lily's"); everything else separates.
func Tokens(text string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := strings.Trim(text[start:end], "'")
			if w != "" {
				out = append(out, strings.ToLower(w))
			}
			start = -1
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if isLetter(c) || c == '\'' || c >= 0x80 {
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

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
