package synth

import (
	"sort"
	"strings"
	"testing"
)

// TestStoryVocabulary: every word of every story, lower-cased and stripped
// of punctuation, is in the word list, an inflection of a listed word, or a
// name from the names list.
func TestStoryVocabulary(t *testing.T) {
	l := Vocabulary()
	unknown := map[string]int{}
	example := map[string]string{}
	for i := 0; i < 3000; i++ {
		s := GenerateStory(i, SampleSeed(7, i))
		for _, w := range l.Unknown(s.Text) {
			unknown[w]++
			if example[w] == "" {
				example[w] = s.Text
			}
		}
	}
	if len(unknown) > 0 {
		var ws []string
		for w := range unknown {
			ws = append(ws, w)
		}
		sort.Strings(ws)
		t.Errorf("%d words not in the vocabulary: %s", len(ws), strings.Join(ws, " "))
		t.Logf("e.g. %q in:\n%s", ws[0], example[ws[0]])
	}
}

// TestWordListTags: every tag is one the world understands (a typo would
// silently drop a word from the world), and each part of a compound is a
// word of the list.
func TestWordListTags(t *testing.T) {
	l := Vocabulary()
	for _, w := range l.Words {
		for _, tag := range w.Tags {
			key, val, kv := strings.Cut(tag, ":")
			switch {
			case !kv:
				if _, ok := propByName[tag]; !ok {
					t.Errorf("%s %s: unknown tag %q", w.Text, w.POS, tag)
				}
			case key == "tr" || key == "prop":
				if _, ok := propByName[val]; !ok && val != "obj" && val != "animal" {
					t.Errorf("%s: unknown property %q", w.Text, tag)
				}
			case key == "feel":
				if len(theCatalog().feel[val]) == 0 {
					t.Errorf("%s: empty feeling group %q", w.Text, val)
				}
			default:
				t.Errorf("%s: unknown tag %q", w.Text, tag)
			}
		}
		for _, part := range strings.Fields(w.Text) {
			if !l.Known(part) {
				t.Errorf("compound %q: %q is not a word of the list", w.Text, part)
			}
		}
	}
	if n := len(l.Words); n < 1400 {
		t.Errorf("only %d words", n)
	}
	if _, err := ParseLexicon("ball x\n", "Lily f\n"); err == nil {
		t.Error("unknown part of speech accepted")
	}
	if _, err := ParseLexicon("ball n\n", "Lily q\n"); err == nil {
		t.Error("unknown gender accepted")
	}
	if _, err := ParseLexicon("Ball n\n", "Lily f\n"); err == nil {
		t.Error("capitalized word accepted")
	}
}

func TestTokensAndKnown(t *testing.T) {
	got := strings.Join(Tokens(`"Oh no!" Lily's dog didn't jump-rope.`), "|")
	if want := "oh|no|lily's|dog|didn't|jump|rope"; got != want {
		t.Errorf("Tokens = %s, want %s", got, want)
	}
	l := Vocabulary()
	for _, w := range []string{"children", "dropped", "cried", "went", "bigger", "happiest", "lily", "lily's", "dog's", "an", "don't", "teddy", "boxes", "leaves"} {
		if !l.Known(w) {
			t.Errorf("%q is not known", w)
		}
	}
	for _, w := range []string{"xylophone", "antidisestablishment", "quantum"} {
		if l.Known(w) {
			t.Errorf("%q is known", w)
		}
	}
}
