package engine_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/gophi/gophi/engine"
	"github.com/gophi/gophi/sample"
	"github.com/gophi/gophi/tokenizer"
)

// Load a model, render a chat prompt with its template and stream the
// reply. The tiny test model has random weights, so the example prints how
// many tokens came back rather than the text itself.
func Example() {
	e, err := engine.Load("../testdata/phi3/phi3-mini-4k-tiny", engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	sess, err := e.NewSession(512)
	if err != nil {
		log.Fatal(err)
	}
	prompt, err := e.Prompt([]tokenizer.Message{
		{Role: "system", Content: "You are a kind teacher."},
		{Role: "user", Content: "Tell me a bedtime story."},
	}, false)
	if err != nil {
		log.Fatal(err)
	}
	opts := sample.DefaultOptions()
	opts.Seed = 42 // reproducible
	var reply strings.Builder
	stats, err := sess.Generate(context.Background(), engine.Request{Tokens: prompt, Sampling: opts, MaxTokens: 8},
		func(text string) error {
			reply.WriteString(text) // or print it as it arrives
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("prompt tokens:", stats.PromptTokens)
	fmt.Println("generated:", stats.Generated, "tokens, stopped by", stats.DoneReason)
	// Output:
	// prompt tokens: 18
	// generated: 8 tokens, stopped by length
}
