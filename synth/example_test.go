package synth_test

import (
	"fmt"
	"strings"

	"github.com/gophi/gophi/synth"
)

// Each story comes from its own seed; SampleSeed gives story i of a run.
func ExampleGenerateStory() {
	s := synth.GenerateStory(0, synth.SampleSeed(1, 0))
	fmt.Println(s.Words.Noun != "" && s.Words.Verb != "" && s.Words.Adjective != "")
	fmt.Println(strings.HasPrefix(s.Instruction, "Write a short story (3-5 paragraphs)"))
	fmt.Println(s.Text == synth.GenerateStory(0, s.Seed).Text)
	// Output:
	// true
	// true
	// true
}

func ExampleInstruction() {
	fs := synth.Features(0).With(synth.Dialogue)
	fmt.Println(synth.Instruction("ball", "jump", "red", fs, []synth.Feature{synth.Dialogue}))
	// Output:
	// Write a short story (3-5 paragraphs) which only uses very simple words that a 3 year old child would understand. The story should use the verb "jump", the noun "ball" and the adjective "red". The story has the following features: the story should contain at least one dialogue. Remember to only use simple words!
}

func ExampleDecontaminate() {
	test := []string{"Sam put a rock in the pond. What did the rock do? It sank."}
	train := []string{
		"Mia put a rock in the pond. What did the rock do? It sank.",
		"Mia put a leaf in the pond. What did the leaf do? It floated.",
	}
	kept, dropped := synth.Decontaminate(train, test, 8)
	fmt.Println(kept, dropped)
	// Output: [1] 1
}

func ExampleDropOutcome() {
	l := synth.Vocabulary()
	glass, ball := l.Lookup("glass", synth.Noun), l.Lookup("ball", synth.Noun)
	fmt.Println(synth.DropOutcome(glass, true), synth.DropOutcome(glass, false), synth.DropOutcome(ball, true))
	// Output: broke landed bounced
}
