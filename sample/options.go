package sample

import (
	"errors"
	"fmt"
	"math"
)

// Options configures a Sampler. The field meanings and names follow the
// sampling options of Ollama's API (temperature, top_k, top_p, min_p,
// repeat_penalty, repeat_last_n, presence_penalty, frequency_penalty, seed).
//
// Start from DefaultOptions and change what you need. The zero value is not
// a usable configuration: its TopP and RepeatPenalty of 0 are rejected by
// Validate, so an Options{} that was forgotten somewhere cannot silently turn
// into greedy (temperature 0) decoding.
type Options struct {
	// Temperature divides the logits before the softmax. 0 selects greedy
	// decoding (argmax, ties broken towards the lowest id); the top-k, top-p
	// and min-p filters are then irrelevant and no randomness is consumed.
	// Must be finite and >= 0.
	Temperature float32

	// TopK keeps only the TopK most likely tokens. <= 0 disables it.
	TopK int

	// TopP keeps the smallest set of most likely tokens whose cumulative
	// probability reaches TopP (nucleus sampling; at least one token is
	// always kept). Must be in (0, 1]; 1 disables it.
	TopP float32

	// MinP keeps only tokens whose probability is at least MinP times the
	// probability of the most likely token. Must be in [0, 1]; 0 disables it.
	MinP float32

	// RepeatPenalty penalises every distinct token that occurs in the
	// penalty window, with llama.cpp's semantics: a positive logit is
	// divided by RepeatPenalty and a negative (or zero) logit is multiplied
	// by it. Must be finite and > 0; 1 disables it, values below 1 favour
	// repetition.
	RepeatPenalty float32

	// RepeatLastN is the size of the penalty window: the penalties look at
	// the last RepeatLastN ids of the history passed to Sample. 0 disables
	// all three penalties (repeat, presence and frequency); -1 uses the
	// whole history. Must be >= -1.
	RepeatLastN int

	// PresencePenalty is subtracted once from the logit of every distinct
	// token present in the penalty window. Must be finite; 0 disables it,
	// negative values favour repetition.
	PresencePenalty float32

	// FrequencyPenalty is subtracted count times from the logit of every
	// token, where count is the number of times it occurs in the penalty
	// window. Must be finite; 0 disables it, negative values favour
	// repetition.
	FrequencyPenalty float32

	// Seed seeds the pseudo-random generator (a PCG from math/rand/v2).
	// The same Seed, Options, mask and sequence of Sample inputs give the
	// same sequence of tokens on every run and platform. -1 picks a random
	// seed from crypto/rand; Sampler.Seed reports it. Every other value,
	// negative ones included, is used as is.
	Seed int64
}

// RandomSeed is the Options.Seed value that asks for a random seed.
const RandomSeed int64 = -1

// DefaultOptions returns Ollama's default sampling options: temperature 0.8,
// top_k 40, top_p 0.9, min_p 0, repeat_last_n 64, presence_penalty 0,
// frequency_penalty 0 and a random seed (-1).
//
// The one deliberate difference is RepeatPenalty, which is 1.0 (disabled)
// rather than Ollama's documented 1.1. The llama.cpp-style penalty punishes
// every token of the window alike, including the whitespace, punctuation and
// chat-template tokens that normal Phi-3 output has to repeat, so gophi leaves
// it off unless asked. Set RepeatPenalty to 1.1 to reproduce Ollama's
// documented defaults exactly.
func DefaultOptions() Options {
	return Options{
		Temperature:      0.8,
		TopK:             40,
		TopP:             0.9,
		MinP:             0,
		RepeatPenalty:    1.0,
		RepeatLastN:      64,
		PresencePenalty:  0,
		FrequencyPenalty: 0,
		Seed:             RandomSeed,
	}
}

// Validate reports whether o is a usable configuration. The error lists
// every invalid field (joined with errors.Join); it is nil when o is valid.
func (o Options) Validate() error {
	if o == (Options{}) {
		return errors.New("sample: zero Options are not valid (TopP and RepeatPenalty are 0); start from DefaultOptions()")
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("sample: "+format, args...))
	}
	finite := func(v float32) bool {
		f := float64(v)
		return !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	if !finite(o.Temperature) || o.Temperature < 0 {
		bad("Temperature must be finite and >= 0 (0 = greedy), got %v", o.Temperature)
	}
	if !finite(o.TopP) || o.TopP <= 0 || o.TopP > 1 {
		bad("TopP must be in (0, 1] (1 = disabled), got %v", o.TopP)
	}
	if !finite(o.MinP) || o.MinP < 0 || o.MinP > 1 {
		bad("MinP must be in [0, 1] (0 = disabled), got %v", o.MinP)
	}
	if !finite(o.RepeatPenalty) || o.RepeatPenalty <= 0 {
		bad("RepeatPenalty must be finite and > 0 (1 = disabled), got %v", o.RepeatPenalty)
	}
	if o.RepeatLastN < -1 {
		bad("RepeatLastN must be >= -1 (0 = disabled, -1 = whole history), got %d", o.RepeatLastN)
	}
	if !finite(o.PresencePenalty) {
		bad("PresencePenalty must be finite, got %v", o.PresencePenalty)
	}
	if !finite(o.FrequencyPenalty) {
		bad("FrequencyPenalty must be finite, got %v", o.FrequencyPenalty)
	}
	return errors.Join(errs...)
}
