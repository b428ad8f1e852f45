package teacher

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// POS is a part of speech in a word list.
type POS string

// The parts of speech a prompt asks for.
const (
	Noun      POS = "noun"
	Verb      POS = "verb"
	Adjective POS = "adjective"
)

// WordList holds the words prompts draw from, by part of speech, in the
// order of the list (so that a seed gives the same prompts every time).
type WordList struct {
	Nouns, Verbs, Adjectives []string
}

//go:embed words.txt
var defaultWords string

// DefaultWords returns the word list embedded in gophi: a few hundred words
// a 3 year old understands.
func DefaultWords() WordList {
	wl, err := ParseWords(strings.NewReader(defaultWords))
	if err != nil {
		// The embedded list is checked by TestDefaultWords.
		return WordList{Nouns: []string{"ball"}, Verbs: []string{"jump"}, Adjectives: []string{"red"}}
	}
	return wl
}

// ParseWords reads a word list: one word per line followed by its part of
// speech ("ball noun", "jump verb", "red adjective"; n, v, adj and a are
// accepted too). Blank lines and lines starting with # are skipped; a word
// listed twice under one part of speech counts once. Each part of speech
// needs at least one word.
func ParseWords(r io.Reader) (WordList, error) {
	var wl WordList
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return WordList{}, fmt.Errorf("words: line %d: want \"WORD POS\" (like \"ball noun\"), got %q", n, line)
		}
		w := strings.ToLower(f[0])
		pos, err := parsePOS(f[1])
		if err != nil {
			return WordList{}, fmt.Errorf("words: line %d: %w", n, err)
		}
		if seen[string(pos)+" "+w] {
			continue
		}
		seen[string(pos)+" "+w] = true
		switch pos {
		case Noun:
			wl.Nouns = append(wl.Nouns, w)
		case Verb:
			wl.Verbs = append(wl.Verbs, w)
		case Adjective:
			wl.Adjectives = append(wl.Adjectives, w)
		}
	}
	if err := sc.Err(); err != nil {
		return WordList{}, fmt.Errorf("words: %w", err)
	}
	for _, c := range []struct {
		pos   POS
		words []string
	}{{Noun, wl.Nouns}, {Verb, wl.Verbs}, {Adjective, wl.Adjectives}} {
		if len(c.words) == 0 {
			return WordList{}, fmt.Errorf("words: no %s in the list; a prompt needs a noun, a verb and an adjective", c.pos)
		}
	}
	return wl, nil
}

func parsePOS(s string) (POS, error) {
	switch strings.ToLower(strings.TrimSuffix(s, ".")) {
	case "noun", "n":
		return Noun, nil
	case "verb", "v":
		return Verb, nil
	case "adjective", "adj", "a":
		return Adjective, nil
	}
	return "", fmt.Errorf("part of speech %q: want noun, verb or adjective", s)
}
