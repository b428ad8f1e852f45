package synth

import (
	"fmt"
	"strings"
)

// Feature is one of TinyStories' story features.
type Feature uint8

// The features of TinyStories' instructions, by their names in the
// TinyStories-Instruct data.
const (
	Dialogue Feature = iota
	BadEnding
	MoralValue
	Twist
	Foreshadowing
	Conflict
	numFeatures
)

var featureNames = [numFeatures]string{"Dialogue", "BadEnding", "MoralValue", "Twist", "Foreshadowing", "Conflict"}

// featurePhrases are the features as TinyStories' prompts describe them.
var featurePhrases = [numFeatures]string{
	"the story should contain at least one dialogue",
	"the story has a bad ending",
	"the story has a moral value",
	"something unexpected happens / there is a plot twist",
	"the narrative uses foreshadowing or setup and payoff",
	"the story has some form of conflict in it",
}

// String returns the feature's name: "Dialogue", "BadEnding", ...
func (f Feature) String() string {
	if f < numFeatures {
		return featureNames[f]
	}
	return fmt.Sprintf("Feature(%d)", f)
}

// ParseFeature returns the feature with the given name (any case).
func ParseFeature(s string) (Feature, error) {
	for i, n := range featureNames {
		if strings.EqualFold(n, s) {
			return Feature(i), nil
		}
	}
	return 0, fmt.Errorf("synth: unknown story feature %q (want one of %s)", s, strings.Join(featureNames[:], ", "))
}

// Features is a set of features.
type Features uint8

// Has reports whether the set holds f.
func (fs Features) Has(f Feature) bool { return fs&(1<<f) != 0 }

// With returns the set with f added.
func (fs Features) With(f Feature) Features { return fs | 1<<f }

// List returns the features of the set in a fixed order.
func (fs Features) List() []Feature {
	var out []Feature
	for f := Feature(0); f < numFeatures; f++ {
		if fs.Has(f) {
			out = append(out, f)
		}
	}
	return out
}

// Names returns the names of the set's features in a fixed order.
func (fs Features) Names() []string {
	out := []string{}
	for _, f := range fs.List() {
		out = append(out, f.String())
	}
	return out
}

// Instruction is the TinyStories prompt for a story with the given
// required words and features.
func Instruction(noun, verb, adj string, fs Features, order []Feature) string {
	var b strings.Builder
	b.WriteString("Write a short story (3-5 paragraphs) which only uses very simple words that a 3 year old child would understand. ")
	fmt.Fprintf(&b, "The story should use the verb %q, the noun %q and the adjective %q. ", verb, noun, adj)
	if fs != 0 {
		b.WriteString("The story has the following features: ")
		first := true
		for _, f := range order {
			if !fs.Has(f) {
				continue
			}
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString(featurePhrases[f])
		}
		b.WriteString(". ")
	}
	b.WriteString("Remember to only use simple words!")
	return b.String()
}
