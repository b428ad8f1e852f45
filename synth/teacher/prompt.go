package teacher

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Feature is a property a story prompt asks for, as in TinyStories.
type Feature string

// The story features of TinyStories' instructions.
const (
	Dialogue      Feature = "dialogue"
	PlotTwist     Feature = "plot twist"
	BadEnding     Feature = "bad ending"
	Moral         Feature = "moral"
	Conflict      Feature = "conflict"
	Foreshadowing Feature = "foreshadowing"
)

// Features lists every feature in the order prompts name them.
var Features = []Feature{Dialogue, PlotTwist, BadEnding, Moral, Conflict, Foreshadowing}

// instruction returns the feature's wording in a prompt.
func (f Feature) instruction() string {
	switch f {
	case Dialogue:
		return "the story should contain at least one dialogue"
	case PlotTwist:
		return "something unexpected happens or there is a plot twist"
	case BadEnding:
		return "the story has a bad ending"
	case Moral:
		return "the story has a moral value"
	case Conflict:
		return "the story has some sort of conflict"
	case Foreshadowing:
		return "the narrative uses foreshadowing or setup and payoff"
	}
	return string(f)
}

// Words are the words one prompt requires.
type Words struct {
	Noun      string `json:"noun"`
	Verb      string `json:"verb"`
	Adjective string `json:"adjective"`
}

// Prompt is one story request: the instruction sent to the teacher and the
// random choices it was made from.
type Prompt struct {
	Index       int       // position in the run, 0-based
	Seed        uint64    // the run's seed
	Words       Words     // the required words
	Features    []Feature // one to three features, in the order of Features
	Instruction string    // the user message sent to the model
}

// MakePrompt returns prompt number index of the run with the given seed. It
// depends only on (seed, index, words), not on the order prompts are made
// in, so a resumed or concurrent run asks for the same stories.
func MakePrompt(words WordList, seed uint64, index int) Prompt {
	rng := rand.New(rand.NewPCG(seed, uint64(index)))
	p := Prompt{Index: index, Seed: seed}
	pick := func(ws []string) string {
		if len(ws) == 0 {
			return ""
		}
		return ws[rng.IntN(len(ws))]
	}
	p.Words = Words{Noun: pick(words.Nouns), Verb: pick(words.Verbs), Adjective: pick(words.Adjectives)}
	k := 1 + rng.IntN(3)
	chosen := rng.Perm(len(Features))[:k]
	for _, f := range Features { // keep the canonical order
		for _, c := range chosen {
			if Features[c] == f {
				p.Features = append(p.Features, f)
			}
		}
	}
	p.Instruction = Instruction(p.Words, p.Features)
	return p
}

// Instruction words a story request the way TinyStories did.
func Instruction(w Words, features []Feature) string {
	var b strings.Builder
	b.WriteString("Write a short story (3-5 paragraphs) which only uses very simple words that a 3 year old child would understand. ")
	fmt.Fprintf(&b, "The story should use the verb %q, the noun %q and the adjective %q. ", w.Verb, w.Noun, w.Adjective)
	if len(features) > 0 {
		b.WriteString("The story has the following features: ")
		for i, f := range features {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.instruction())
		}
		b.WriteString(". ")
	}
	b.WriteString("Remember to only use simple words!")
	return b.String()
}

// requestSeed is the seed sent with prompt index's request: it differs per
// prompt and fits every server's seed type (31 bits).
func requestSeed(seed uint64, index int) int64 {
	x := seed ^ (uint64(index) * 0x9e3779b97f4a7c15)
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	return int64(x & (1<<31 - 1))
}
