package synth

import (
	"strings"
	"testing"
)

// stories generates n stories of seed s (shared by several tests).
func stories(n int, s uint64) []Story {
	out := make([]Story, n)
	for i := range out {
		out[i] = GenerateStory(i, SampleSeed(s, i))
	}
	return out
}

func TestStoryDeterministic(t *testing.T) {
	for i := 0; i < 50; i++ {
		a := GenerateStory(i, SampleSeed(1, i))
		b := GenerateStory(i, SampleSeed(1, i))
		if a.Text != b.Text || a.Instruction != b.Instruction {
			t.Fatalf("story %d differs between two runs with the same seed", i)
		}
	}
	if GenerateStory(0, SampleSeed(1, 0)).Text == GenerateStory(0, SampleSeed(2, 0)).Text {
		t.Error("seeds 1 and 2 give the same first story")
	}
	if SampleSeed(1, 0) == SampleSeed(1, 1) || SampleSeed(1, 0) == SampleSeed(2, 0) {
		t.Error("SampleSeed collides")
	}
}

// TestStoryRequiredWords: every story uses its noun, verb and adjective,
// and the instruction names them.
func TestStoryRequiredWords(t *testing.T) {
	l := Vocabulary()
	for _, s := range stories(2000, 3) {
		lower := strings.ToLower(s.Text)
		for _, w := range []struct {
			text string
			pos  POS
		}{{s.Words.Noun, Noun}, {s.Words.Verb, Verb}, {s.Words.Adjective, Adjective}} {
			word := l.Lookup(w.text, w.pos)
			if word == nil {
				t.Fatalf("story %d: required %s %q is not in the word list", s.ID, w.pos, w.text)
			}
			if !hasForm(lower, word) {
				t.Errorf("story %d (plot %s) does not use the %s %q:\n%s", s.ID, s.Plot, w.pos, w.text, s.Text)
			}
			if !strings.Contains(s.Instruction, `"`+w.text+`"`) {
				t.Errorf("story %d: instruction does not name %q: %s", s.ID, w.text, s.Instruction)
			}
		}
		if len(s.Problems) > 0 {
			t.Errorf("story %d: %v\n%s", s.ID, s.Problems, s.Text)
		}
	}
}

// TestEveryRequirableWord: each word the generator can require shows up in
// a story built around it.
func TestEveryRequirableWord(t *testing.T) {
	c := theCatalog()
	for i, w := range append(append(append([]*Word{}, c.nouns...), c.verbs...), c.adjs...) {
		spec := StorySpec{}
		switch w.POS {
		case Noun:
			spec.Noun = w.Text
		case Verb:
			spec.Verb = w.Text
		case Adjective:
			spec.Adjective = w.Text
		}
		for k := uint64(0); k < 3; k++ {
			s, err := GenerateStorySpec(SampleSeed(11+k, i), spec)
			if err != nil {
				t.Fatal(err)
			}
			if !hasForm(strings.ToLower(s.Text), w) || len(s.Problems) > 0 {
				t.Errorf("%s %q: missing or problems %v (plot %s):\n%s", w.POS, w.Text, s.Problems, s.Plot, s.Text)
				break
			}
		}
	}
	if n := len(c.nouns) + len(c.verbs) + len(c.adjs); n < 500 {
		t.Errorf("only %d words can be required", n)
	}
}

// TestStoryFeatures: each feature is realized in the text and the event log.
func TestStoryFeatures(t *testing.T) {
	counts := map[Feature]int{}
	for _, s := range stories(2000, 5) {
		fs := Features(0)
		for _, n := range s.Features {
			f, err := ParseFeature(n)
			if err != nil {
				t.Fatal(err)
			}
			fs = fs.With(f)
			counts[f]++
		}
		kinds := map[string]int{}
		for _, e := range s.Events {
			kinds[e.Kind]++
		}
		fail := func(msg string) { t.Errorf("story %d %v (plot %s): %s:\n%s", s.ID, s.Features, s.Plot, msg, s.Text) }
		paras := strings.Split(s.Text, "\n\n")
		if len(paras) < 3 || len(paras) > 5 {
			fail("not 3-5 paragraphs")
		}
		if fs.Has(Dialogue) != (strings.Count(s.Text, `"`) >= 2) {
			fail("dialogue quotes do not match the Dialogue feature")
		}
		if fs.Has(Dialogue) && kinds[evSay] == 0 {
			fail("no say event")
		}
		last := strings.ToLower(paras[len(paras)-1])
		if fs.Has(BadEnding) {
			if kinds[evUnresolved] != 1 || kinds[evResolve] != 0 {
				fail("bad ending is not logged as unresolved")
			}
			for _, happy := range []string{"happy", "glad", "smiled", "laughed", "hooray"} {
				if containsWord(last, happy) {
					fail("bad ending's last paragraph says " + happy)
				}
			}
			if f := finalFeeling(s); f != "" && theCatalog().lex.Lookup(f, Adjective).Value("feel") == "pos" {
				fail("hero ends " + f)
			}
		} else if kinds[evResolve] != 1 || kinds[evUnresolved] != 0 {
			fail("good ending is not logged as resolved")
		}
		hasMoral := strings.Contains(s.Text, "learned") || strings.Contains(s.Text, "lesson")
		if fs.Has(MoralValue) != (kinds[evMoral] == 1) || (fs.Has(MoralValue) && !hasMoral) {
			fail("moral does not match the MoralValue feature")
		}
		twistWords := false
		for _, m := range []string{"something strange happened", "something funny happened", "something happened that no one", "guess what happened"} {
			twistWords = twistWords || strings.Contains(s.Text, m)
		}
		if fs.Has(Twist) != (kinds[evTwist] >= 1) || fs.Has(Twist) != twistWords {
			fail("twist does not match the Twist feature")
		}
		if fs.Has(Foreshadowing) != (kinds[evForeshadow] == 1) {
			fail("foreshadowing does not match the feature")
		}
		if fs.Has(Conflict) != (kinds[evArgue] >= 1) {
			fail("conflict does not match the feature")
		}
	}
	for f := Feature(0); f < numFeatures; f++ {
		if counts[f] < 100 {
			t.Errorf("feature %s in only %d of 2000 stories", f, counts[f])
		}
	}
}

// finalFeeling returns the hero's last feeling in a story's log.
func finalFeeling(s Story) string {
	f := ""
	for _, e := range s.Events {
		if e.Kind == evFeel && e.Actor == 0 {
			f = e.Detail
		}
	}
	return f
}

// TestWorldConsistency replays the event log of many stories: no broken
// thing is used whole, nothing is found before it is lost, characters are
// where their events happen, and foreshadowed events come true.
func TestWorldConsistency(t *testing.T) {
	plotsSeen := map[string]int{}
	for _, s := range stories(2000, 9) {
		plotsSeen[s.Plot]++
		if msg := checkEvents(s.Events, s.Things); msg != "" {
			t.Errorf("story %d (plot %s): %s\n%s", s.ID, s.Plot, msg, s.Text)
		}
	}
	for _, p := range Plots() {
		if plotsSeen[p] < 50 {
			t.Errorf("plot %s in only %d of 2000 stories", p, plotsSeen[p])
		}
	}
}

// TestCheckEventsCatches: the replay catches the violations it is for.
func TestCheckEventsCatches(t *testing.T) {
	l := Vocabulary()
	glass := &Thing{ID: 0, Noun: l.Lookup("glass", Noun)}
	things := []*Thing{glass}
	for _, c := range []struct {
		name string
		log  []Event
	}{
		{"use after break", []Event{{Kind: evBreak, Object: 0, Actor: -1}, {Kind: evUse, Object: 0, Actor: 0}}},
		{"find before lose", []Event{{Kind: evFind, Object: 0, Actor: 0}}},
		{"fix a glass", []Event{{Kind: evBreak, Object: 0, Actor: -1}, {Kind: evFix, Object: 0, Actor: 1}}},
		{"wrong place", []Event{{Kind: evGo, Actor: 0, Object: -1, Detail: "park"}, {Kind: evUse, Actor: 0, Object: 0, Place: "kitchen"}}},
		{"foreshadow unpaid", []Event{{Kind: evForeshadow, Actor: -1, Object: -1, Detail: evLose}}},
	} {
		if checkEvents(c.log, things) == "" {
			t.Errorf("%s: not caught", c.name)
		}
	}
}

func TestInstruction(t *testing.T) {
	got := Instruction("ball", "jump", "red", Features(0).With(Dialogue), []Feature{Dialogue})
	want := `Write a short story (3-5 paragraphs) which only uses very simple words that a 3 year old child would understand. The story should use the verb "jump", the noun "ball" and the adjective "red". The story has the following features: the story should contain at least one dialogue. Remember to only use simple words!`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if s := Instruction("ball", "jump", "red", 0, nil); strings.Contains(s, "features") {
		t.Errorf("no features but: %s", s)
	}
}

func TestStorySpec(t *testing.T) {
	s, err := GenerateStorySpec(4, StorySpec{HeroKind: "cat", Trait: "brave", Noun: "ball", Adjective: "red", Plot: "lost",
		HasFeatures: true, Features: Features(0).With(Dialogue)})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"cat", "brave", "red ball", "found", `"`} {
		if !strings.Contains(s.Text, w) {
			t.Errorf("story lacks %q:\n%s", w, s.Text)
		}
	}
	for _, bad := range []StorySpec{{Noun: "zzz"}, {HeroKind: "ball"}, {Plot: "space"}, {Trait: "red"}} {
		if _, err := GenerateStorySpec(1, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
