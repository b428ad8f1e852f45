package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/gophi/gophi/sample"
	"github.com/gophi/gophi/tokenizer"
)

const tinyModel = "../testdata/phi3/phi3-mini-4k-tiny"

var (
	tinyOnce sync.Once
	tiny     *Engine
	tinyErr  error
)

func loadTiny(t *testing.T) *Engine {
	t.Helper()
	tinyOnce.Do(func() { tiny, tinyErr = Load(tinyModel, Options{Threads: 2}) })
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tiny
}

func greedy() sample.Options {
	o := sample.DefaultOptions()
	o.Temperature = 0
	return o
}

func collect(t *testing.T, s *Session, req Request) (string, Stats) {
	t.Helper()
	var b strings.Builder
	st, err := s.Generate(context.Background(), req, func(text string) error {
		if !utf8.ValidString(text) {
			t.Errorf("emitted invalid UTF-8 %q", text)
		}
		b.WriteString(text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), st
}

// TestGreedyMatchesModel checks that the engine's greedy tokens are the
// model's argmax chain, decoded.
func TestGreedyMatchesModel(t *testing.T) {
	e := loadTiny(t)
	s, err := e.NewSession(256)
	if err != nil {
		t.Fatal(err)
	}
	prompt := e.Tokenizer.Encode("Once upon a time", false)
	text, st := collect(t, s, Request{Tokens: prompt, Sampling: greedy(), MaxTokens: 10})
	// Recompute the argmax chain directly on the model.
	seq, _ := e.Model.NewSequence(256)
	lg, err := e.Model.Eval(seq, prompt, false)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for len(ids) < st.Generated {
		best := int32(0)
		for i, v := range lg[:e.Tokenizer.Len()] {
			if v > lg[best] {
				best = int32(i)
			}
		}
		if e.Tokenizer.IsEOG(best) {
			break
		}
		ids = append(ids, best)
		if lg, err = e.Model.Eval(seq, []int32{best}, false); err != nil {
			t.Fatal(err)
		}
	}
	if want := e.Tokenizer.Decode(ids); text != want && st.DoneReason != "stop" {
		t.Errorf("engine text %q, model argmax chain decodes to %q", text, want)
	}
	if st.PromptTokens != len(prompt) {
		t.Errorf("PromptTokens = %d, want %d", st.PromptTokens, len(prompt))
	}
}

// TestSeedReproducible: the same seed gives the same text, another seed
// (almost surely) another.
func TestSeedReproducible(t *testing.T) {
	e := loadTiny(t)
	prompt, err := e.Prompt([]tokenizer.Message{{Role: "user", Content: "Hello"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed int64) string {
		s, _ := e.NewSession(256)
		o := sample.DefaultOptions()
		o.Seed = seed
		o.Temperature = 1.5
		o.TopK = 0
		o.TopP = 1
		text, _ := collect(t, s, Request{Tokens: prompt, Sampling: o, MaxTokens: 20})
		return text
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("same seed, different text: %q vs %q", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same 20 tokens %q", a)
	}
}

// TestCacheReuse: a second turn that extends the first reuses its cache.
func TestCacheReuse(t *testing.T) {
	e := loadTiny(t)
	s, _ := e.NewSession(256)
	msgs := []tokenizer.Message{{Role: "user", Content: "Tell me a story."}}
	p1, _ := e.Prompt(msgs, false)
	reply, _ := collect(t, s, Request{Tokens: p1, Sampling: greedy(), MaxTokens: 5})
	msgs = append(msgs, tokenizer.Message{Role: "assistant", Content: reply}, tokenizer.Message{Role: "user", Content: "Another one."})
	p2, _ := e.Prompt(msgs, false)
	_, st := collect(t, s, Request{Tokens: p2, Sampling: greedy(), MaxTokens: 5})
	if st.CachedTokens < len(p1)-1 {
		t.Errorf("second turn reused %d cached tokens, want at least %d", st.CachedTokens, len(p1)-1)
	}
	if st.CachedTokens+st.PromptTokens != len(p2) {
		t.Errorf("cached %d + evaluated %d != prompt %d", st.CachedTokens, st.PromptTokens, len(p2))
	}
}

func TestPromptTooLong(t *testing.T) {
	e := loadTiny(t)
	s, _ := e.NewSession(16)
	prompt := e.Tokenizer.Encode(strings.Repeat("hello world ", 20), false)
	_, err := s.Generate(context.Background(), Request{Tokens: prompt, Sampling: greedy()}, func(string) error { return nil })
	if !errors.Is(err, ErrPromptTooLong) || !strings.Contains(err.Error(), "--ctx") {
		t.Fatalf("want a clear prompt-too-long error, got %v", err)
	}
}

// TestContextFullStops: generation without a token limit ends cleanly with
// "length" when the context is full.
func TestContextFullStops(t *testing.T) {
	e := loadTiny(t)
	s, _ := e.NewSession(24)
	prompt := e.Tokenizer.Encode("Once upon a time", false)
	_, st := collect(t, s, Request{Tokens: prompt, Sampling: greedy()})
	if st.DoneReason != "length" && st.DoneReason != "stop" {
		t.Fatalf("DoneReason %q", st.DoneReason)
	}
	if st.DoneReason == "length" && len(prompt)+st.Generated < 24-1 {
		t.Errorf("stopped after %d tokens in a context of 24", len(prompt)+st.Generated)
	}
}

func TestCancel(t *testing.T) {
	e := loadTiny(t)
	s, _ := e.NewSession(512)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := s.Generate(ctx, Request{Tokens: e.Tokenizer.Encode("Hi", false), Sampling: greedy()}, func(string) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestStopper(t *testing.T) {
	tests := []struct {
		stops  []string
		pieces []string
		want   string
		stop   bool
	}{
		{nil, []string{"a", "b"}, "ab", false},
		{[]string{"END"}, []string{"hello E", "N", "D more"}, "hello ", true},
		{[]string{"END"}, []string{"hello E", "x"}, "hello Ex", false},
		{[]string{"<|user|>", "\n\n"}, []string{"one\n", "\ntwo"}, "one", true},
		{[]string{"ab"}, []string{"a"}, "a", false}, // flushed at the end
	}
	for _, tt := range tests {
		s := stopper{stops: tt.stops}
		var got strings.Builder
		stopped := false
		for _, p := range tt.pieces {
			out, st := s.push(p)
			got.WriteString(out)
			if st {
				stopped = true
				break
			}
		}
		if !stopped {
			got.WriteString(s.flush())
		}
		if got.String() != tt.want || stopped != tt.stop {
			t.Errorf("stops %q pieces %q: got %q stopped %v, want %q %v", tt.stops, tt.pieces, got.String(), stopped, tt.want, tt.stop)
		}
	}
}

// TestBadModelPath: a missing path and a folder without a tokenizer give
// errors.
func TestBadModelPath(t *testing.T) {
	for _, p := range []string{"does/not/exist", "../testdata/phi3/phi3-gqa-tiny"} {
		if _, err := Load(p, Options{}); err == nil {
			t.Errorf("Load(%q) succeeded", p)
		}
	}
}
