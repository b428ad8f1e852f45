package teacher

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultWords(t *testing.T) {
	wl, err := ParseWords(strings.NewReader(defaultWords))
	if err != nil {
		t.Fatal(err)
	}
	if len(wl.Nouns) < 50 || len(wl.Verbs) < 50 || len(wl.Adjectives) < 50 {
		t.Errorf("default list is small: %d nouns, %d verbs, %d adjectives", len(wl.Nouns), len(wl.Verbs), len(wl.Adjectives))
	}
	if !reflect.DeepEqual(DefaultWords(), wl) {
		t.Error("DefaultWords differs from the parsed embedded list")
	}
}

func TestParseWords(t *testing.T) {
	wl, err := ParseWords(strings.NewReader("# comment\n\nBall noun\njump v\nred Adj\nball noun\ncat n\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := WordList{Nouns: []string{"ball", "cat"}, Verbs: []string{"jump"}, Adjectives: []string{"red"}}
	if !reflect.DeepEqual(wl, want) {
		t.Errorf("got %+v, want %+v", wl, want)
	}
	for _, bad := range []string{
		"ball\n",                           // no POS
		"ball noun extra\n",                // too many fields
		"ball thing\njump verb\nred adj\n", // unknown POS
		"ball noun\njump verb\n",           // no adjective
		"",
	} {
		if _, err := ParseWords(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseWords(%q): no error", bad)
		}
	}
}

func TestMakePrompt(t *testing.T) {
	wl := DefaultWords()
	a := MakePrompt(wl, 7, 3)
	if b := MakePrompt(wl, 7, 3); !reflect.DeepEqual(a, b) {
		t.Errorf("same seed and index, different prompts:\n%+v\n%+v", a, b)
	}
	differ := 0
	for i := range 20 {
		p := MakePrompt(wl, 7, i)
		if len(p.Features) < 1 || len(p.Features) > 3 {
			t.Errorf("prompt %d has %d features", i, len(p.Features))
		}
		for _, w := range []string{p.Words.Noun, p.Words.Verb, p.Words.Adjective} {
			if !strings.Contains(p.Instruction, `"`+w+`"`) {
				t.Errorf("prompt %d does not name %q: %s", i, w, p.Instruction)
			}
		}
		if p.Instruction != MakePrompt(wl, 8, i).Instruction {
			differ++
		}
	}
	if differ < 15 {
		t.Errorf("seeds 7 and 8 gave the same prompt %d times in 20", 20-differ)
	}
	seeds := map[int64]bool{}
	for i := range 1000 {
		s := requestSeed(7, i)
		if s < 0 || s >= 1<<31 {
			t.Fatalf("request seed %d out of 31 bits", s)
		}
		seeds[s] = true
	}
	if len(seeds) < 999 {
		t.Errorf("only %d distinct request seeds in 1000", len(seeds))
	}
}

func TestInstructionWording(t *testing.T) {
	got := Instruction(Words{Noun: "ball", Verb: "jump", Adjective: "red"}, []Feature{Dialogue, BadEnding})
	want := `Write a short story (3-5 paragraphs) which only uses very simple words that a 3 year old child would understand. ` +
		`The story should use the verb "jump", the noun "ball" and the adjective "red". ` +
		`The story has the following features: the story should contain at least one dialogue, the story has a bad ending. ` +
		`Remember to only use simple words!`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
