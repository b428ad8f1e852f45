package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gophi/gophi/engine"
)

func cmdShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, "Usage: gophi show MODEL\n") }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	e, err := engine.Load(fs.Arg(0), engine.Options{TokenizerOptional: true})
	if err != nil {
		return err
	}
	defer e.Close()
	c := e.Model.Config
	p := func(k string, v any) { fmt.Fprintf(stdout, "  %-22s %v\n", k, v) }
	fmt.Fprintln(stdout, "Model")
	p("architecture", c.Arch)
	p("format", e.Format)
	p("parameters", humanCount(c.ParamCount()))
	p("context length", c.MaxPositions)
	p("embedding length", c.Hidden)
	p("feed-forward length", c.Intermediate)
	p("layers", c.Layers)
	p("attention heads", fmt.Sprintf("%d (key/value heads %d, head dim %d)", c.Heads, c.KVHeads, c.HeadDim))
	p("rotary dims", fmt.Sprintf("%d, theta %g", c.RotaryDim, c.RopeTheta))
	if c.Rope != nil {
		p("rope scaling", fmt.Sprintf("LongRoPE from %d tokens, attention factor %.7g", c.OriginalMaxPositions, c.Rope.AttentionFactor))
	}
	if c.SlidingWindow > 0 {
		p("sliding window", c.SlidingWindow)
	}
	p("tied embeddings", c.TieEmbeddings)
	if e.Tokenizer != nil {
		p("vocabulary", fmt.Sprintf("%d tokens, %d logits", e.Tokenizer.Len(), c.VocabSize))
		var eog []string
		for _, id := range e.Tokenizer.EOGs() {
			eog = append(eog, fmt.Sprintf("%s (%d)", e.Tokenizer.Token(id), id))
		}
		p("stops at", strings.Join(eog, ", "))
	} else {
		p("vocabulary", fmt.Sprintf("%d logits, no tokenizer", c.VocabSize))
	}
	types := e.Model.TensorTypes()
	var ts []string
	for t, n := range types {
		ts = append(ts, fmt.Sprintf("%s ×%d", t, n))
	}
	sort.Strings(ts)
	p("tensor types", strings.Join(ts, ", "))
	if e.Tokenizer == nil {
		return nil
	}
	if tmpl := e.Tokenizer.ChatTemplate(); tmpl != "" {
		fmt.Fprintln(stdout, "\nChat template")
		for _, l := range strings.Split(tmpl, "\n") {
			fmt.Fprintln(stdout, "  "+l)
		}
	}
	return nil
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
