package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/gophi/gophi/synth"
)

// gophi synth stories, qa and chat: the story world's generators (package
// synth), written as JSONL.

func init() {
	synthCommands["stories"] = synthCommand{summary: "TinyStories-style stories from the story world, with their instructions", run: cmdSynthStories}
	synthCommands["qa"] = synthCommand{summary: "common-sense questions about the story world, with held-out test splits", run: cmdSynthQA}
	synthCommands["chat"] = synthCommand{summary: "Phi-3 chats: a child asks why, or asks for a story, and a teacher answers", run: cmdSynthChat}
}

// genFlags are the flags every generator shares.
type genFlags struct {
	n         int
	seed      uint64
	out       string
	shardSize int
	workers   int
}

func (g *genFlags) register(fs *flag.FlagSet, what string, n int) {
	fs.IntVar(&g.n, "n", n, "how many "+what+" to make")
	fs.Uint64Var(&g.seed, "seed", 1, "random seed: the same seed gives the same output, byte for byte")
	fs.StringVar(&g.out, "o", "-", "output: a .jsonl file, a folder (existing, or a path ending in /) for numbered shards, or - for standard output")
	fs.IntVar(&g.shardSize, "shard-size", 100000, "lines per shard when -o is a folder")
	fs.IntVar(&g.workers, "workers", 0, "goroutines making "+what+" (default: GOMAXPROCS)")
}

func (g *genFlags) check(cmd string) error {
	switch {
	case g.n < 0:
		return fmt.Errorf("synth %s: -n must not be negative, got %d", cmd, g.n)
	case g.shardSize < 1:
		return fmt.Errorf("synth %s: --shard-size must be at least 1, got %d", cmd, g.shardSize)
	case g.workers < 0:
		return fmt.Errorf("synth %s: --workers must not be negative, got %d", cmd, g.workers)
	}
	return nil
}

// parseSynthFlags parses a generator's flags; done is true when the command
// should return err at once (help, or a usage error).
func parseSynthFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "gophi synth %s: unexpected argument %q (flags go before arguments; this command takes none)\n", fs.Name(), fs.Arg(0))
		return true, errUsage
	}
	return false, nil
}

// progress reports how far a run is on stderr, when stderr is a terminal,
// and always a summary line at the end.
type progress struct {
	w       io.Writer
	what    string
	total   int
	done    atomic.Int64
	start   time.Time
	stop    chan struct{}
	stopped chan struct{}
}

func startProgress(w io.Writer, what string, total int) *progress {
	p := &progress{w: w, what: what, total: total, start: time.Now(), stop: make(chan struct{}), stopped: make(chan struct{})}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		close(p.stopped)
		return p
	}
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				d := p.done.Load()
				fmt.Fprintf(p.w, "\r%d/%d %s (%.0f/s)\033[K", d, p.total, p.what, float64(d)/time.Since(p.start).Seconds())
			}
		}
	}()
	return p
}

// halt stops the progress line.
func (p *progress) halt() {
	select {
	case <-p.stopped:
	default:
		close(p.stop)
		<-p.stopped
	}
}

// finish stops the progress line and prints the summary.
func (p *progress) finish(out *synth.Output, extra string) {
	p.halt()
	el := time.Since(p.start)
	where := "standard output"
	if ps := out.Paths(); len(ps) == 1 {
		where = ps[0]
	} else if len(ps) > 1 {
		where = fmt.Sprintf("%d shards in %s", len(ps), filepath.Dir(ps[0]))
	}
	fmt.Fprintf(p.w, "wrote %d %s (%s) to %s in %v: %.0f %s/s%s\n", out.Lines, p.what, humanBytes(out.Bytes), where,
		el.Round(time.Millisecond), float64(p.done.Load())/el.Seconds(), p.what, extra)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// writeAll runs gen for [0, n) into out, counting progress; it aborts the
// output on error.
func writeAll(ctx context.Context, out *synth.Output, n, workers int, p *progress, gen synth.GenFunc) error {
	err := synth.Generate(ctx, n, workers, func(i int, buf []byte) ([]byte, bool, error) {
		b, drop, err := gen(i, buf)
		p.done.Add(1)
		return b, drop, err
	}, func(_ int, line []byte) error { return out.Write(line) })
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		out.Abort()
	}
	return err
}

// loadHeldOut reads held-out items for decontamination.
func loadHeldOut(path string, n int) (*synth.Decontaminator, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("--decontaminate: %w", err)
	}
	defer f.Close()
	d := synth.NewDecontaminator(n)
	k, err := d.AddJSONL(f)
	if err != nil {
		return nil, 0, fmt.Errorf("--decontaminate %s: %w", path, err)
	}
	return d, k, nil
}

const synthStoriesUsage = `Usage: gophi synth stories [flags]

Writes TinyStories-style stories made by gophi's story world, one JSON object
a line: {"id", "seed", "instruction", "words", "features", "plot", "text"}.
Each story uses a required noun, verb and adjective of a child's word list and
has zero to three of TinyStories' features (Dialogue, BadEnding, MoralValue,
Twist, Foreshadowing, Conflict), described by its instruction as TinyStories'
prompts do. Story i of seed S is the same however many are made.

Flags:
`

func cmdSynthStories(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stories", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g genFlags
	g.register(fs, "stories", 1000)
	stats := fs.Bool("stats", false, "print diversity statistics (distinct n-grams, near-duplicates) of the stories on stderr")
	statsSample := fs.Int("stats-sample", 20000, "measure --stats on at most this many stories (the first ones)")
	decon := fs.String("decontaminate", "", "leave out stories that share an n-gram with an item of this JSONL file (e.g. a held-out QA split)")
	ngram := fs.Int("ngram", synth.DefaultNGram, "n-gram length for --decontaminate")
	fs.Usage = func() { fmt.Fprint(stderr, synthStoriesUsage); fs.PrintDefaults() }
	if done, err := parseSynthFlags(fs, args); done {
		return err
	}
	if err := g.check("stories"); err != nil {
		return err
	}
	if *ngram < 1 {
		return fmt.Errorf("synth stories: --ngram must be at least 1, got %d", *ngram)
	}
	var dec *synth.Decontaminator
	if *decon != "" {
		d, k, err := loadHeldOut(*decon, *ngram)
		if err != nil {
			return fmt.Errorf("synth stories: %w", err)
		}
		dec = d
		fmt.Fprintf(stderr, "decontaminating against %d held-out items of %s (%d-grams)\n", k, *decon, *ngram)
	}
	out, err := synth.CreateOutput(g.out, "stories", g.shardSize, stdout)
	if err != nil {
		return fmt.Errorf("synth stories: %w", err)
	}
	var texts []string
	if *stats {
		texts = make([]string, min(g.n, max(*statsSample, 0)))
	}
	var dropped atomic.Int64
	var bugs bugLog
	p := startProgress(stderr, "stories", g.n)
	err = writeAll(ctx, out, g.n, g.workers, p, func(i int, buf []byte) ([]byte, bool, error) {
		s := synth.GenerateStory(i, synth.SampleSeed(g.seed, i))
		if len(s.Problems) > 0 {
			bugs.note(fmt.Sprintf("story %d (seed %d): %s", i, s.Seed, strings.Join(s.Problems, "; ")))
			return buf, true, nil
		}
		if dec != nil && dec.Contaminated(s.Text) {
			dropped.Add(1)
			return buf, true, nil
		}
		if i < len(texts) {
			texts[i] = s.Text
		}
		b, err := synth.AppendJSONL(buf, s)
		return b, false, err
	})
	if err != nil {
		return fmt.Errorf("synth stories: %w", err)
	}
	extra := ""
	if dec != nil {
		extra = fmt.Sprintf(" (%d dropped by decontamination)", dropped.Load())
	}
	p.finish(out, extra)
	bugs.report(stderr, "stories")
	if *stats {
		kept := texts[:0]
		for _, t := range texts {
			if t != "" {
				kept = append(kept, t)
			}
		}
		printDiversity(stderr, synth.Diversity(kept))
	}
	return nil
}

func printDiversity(w io.Writer, d synth.DiversityStats) {
	fmt.Fprintf(w, "diversity over %d samples (%d words): distinct-1 %.4f, distinct-2 %.4f, distinct-3 %.4f; near-duplicates (MinHash Jaccard > %.1f over word 3-shingles): %d (%.2f%%)\n",
		d.Samples, d.Words, d.Distinct1, d.Distinct2, d.Distinct3, d.Threshold, d.NearDuplicates, 100*d.NearDupRate)
}

const synthQAUsage = `Usage: gophi synth qa [flags]

Writes common-sense questions about the story world as JSONL in the style of
lm-evaluation-harness: {"id", "context", "question", "choices", "gold",
"answer", "kind", "format", "key", "seed"}. Multiple-choice items have
choices and gold (the index of the right one); short-answer items only an
answer. Answers follow from the world's rules, and every wrong choice is
false by them.

With --heldout F, the items whose facts (their key: the rule and the things
asked about, not the names) fall in a fixed fraction F are a test split; the
training split leaves out every item that shares an n-gram with a test item.
By default the training split goes to -o and the test split to --test-out;
--split train or test writes only one of them to -o.

Flags:
`

func cmdSynthQA(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g genFlags
	g.register(fs, "questions", 1000)
	heldout := fs.Float64("heldout", 0, "fraction of the world's facts held out as a test split (0 to 1)")
	testOut := fs.String("test-out", "", "where the test split goes (default: -o with -test before .jsonl)")
	split := fs.String("split", "", "write only this split to -o: train or test (needs --heldout)")
	ngram := fs.Int("ngram", synth.DefaultNGram, "n-gram length of decontamination")
	fs.Usage = func() { fmt.Fprint(stderr, synthQAUsage); fs.PrintDefaults() }
	if done, err := parseSynthFlags(fs, args); done {
		return err
	}
	if err := g.check("qa"); err != nil {
		return err
	}
	switch {
	case *heldout < 0 || *heldout >= 1:
		return fmt.Errorf("synth qa: --heldout must be at least 0 and less than 1, got %g", *heldout)
	case *split != "" && *split != "train" && *split != "test":
		return fmt.Errorf("synth qa: --split must be train or test, got %q", *split)
	case *split != "" && *heldout == 0:
		return errors.New("synth qa: --split needs --heldout, the fraction held out for the test split")
	case *ngram < 1:
		return fmt.Errorf("synth qa: --ngram must be at least 1, got %d", *ngram)
	case *testOut != "" && (*heldout == 0 || *split != ""):
		return errors.New("synth qa: --test-out is for --heldout without --split")
	}
	item := func(i int) synth.QAItem { return synth.GenerateQA(i, synth.SampleSeed(g.seed, i)) }
	if *heldout == 0 {
		out, err := synth.CreateOutput(g.out, "qa", g.shardSize, stdout)
		if err != nil {
			return fmt.Errorf("synth qa: %w", err)
		}
		p := startProgress(stderr, "questions", g.n)
		if err := writeAll(ctx, out, g.n, g.workers, p, func(i int, buf []byte) ([]byte, bool, error) {
			q := item(i)
			return appendQA(buf, q)
		}); err != nil {
			return fmt.Errorf("synth qa: %w", err)
		}
		p.finish(out, "")
		return nil
	}
	// Pass 1: the test split (written when asked for) and its n-grams.
	testPath := ""
	switch *split {
	case "test":
		testPath = g.out
	case "":
		testPath = *testOut
		if testPath == "" {
			if g.out == "-" || g.out == "" || synth.IsShardDir(g.out) {
				return errors.New("synth qa: give --test-out for the test split (or --split) when -o is standard output or a folder")
			}
			testPath = strings.TrimSuffix(g.out, ".jsonl") + "-test.jsonl"
		}
	}
	dec := synth.NewDecontaminator(*ngram)
	var testOutput *synth.Output
	if testPath != "" {
		o, err := synth.CreateOutput(testPath, "qa-test", g.shardSize, stdout)
		if err != nil {
			return fmt.Errorf("synth qa: %w", err)
		}
		testOutput = o
	}
	p := startProgress(stderr, "questions", g.n)
	err := synth.Generate(ctx, g.n, g.workers, func(i int, buf []byte) ([]byte, bool, error) {
		q := item(i)
		p.done.Add(1)
		if !synth.HeldOut(q.Key, *heldout) {
			return buf, true, nil
		}
		return appendQA(buf, q)
	}, func(i int, line []byte) error {
		q := item(i) // cheap; keeps Add on one goroutine
		dec.Add(q.Text())
		if testOutput != nil {
			return testOutput.Write(line)
		}
		return nil
	})
	if err == nil && testOutput != nil {
		err = testOutput.Close()
	}
	if err != nil {
		if testOutput != nil {
			testOutput.Abort()
		}
		return fmt.Errorf("synth qa: test split: %w", err)
	}
	if *split == "test" {
		p.finish(testOutput, " (test split)")
		return nil
	}
	if testOutput != nil {
		p.finish(testOutput, " (test split)")
	} else {
		p.halt()
	}
	p = startProgress(stderr, "questions", g.n)
	// Pass 2: the training split, decontaminated.
	var dropped atomic.Int64
	out, err := synth.CreateOutput(g.out, "qa", g.shardSize, stdout)
	if err != nil {
		return fmt.Errorf("synth qa: %w", err)
	}
	if err := writeAll(ctx, out, g.n, g.workers, p, func(i int, buf []byte) ([]byte, bool, error) {
		q := item(i)
		if synth.HeldOut(q.Key, *heldout) {
			return buf, true, nil
		}
		if dec.Contaminated(q.Text()) {
			dropped.Add(1)
			return buf, true, nil
		}
		return appendQA(buf, q)
	}); err != nil {
		return fmt.Errorf("synth qa: training split: %w", err)
	}
	p.finish(out, fmt.Sprintf(" (training split; %d dropped for sharing a %d-gram with a test item)", dropped.Load(), *ngram))
	return nil
}

func appendQA(buf []byte, q synth.QAItem) ([]byte, bool, error) {
	b, err := synth.AppendJSONL(buf, q)
	return b, false, err
}

const synthChatUsage = `Usage: gophi synth chat [flags]

Writes conversations in the story world as JSONL: {"id", "seed", "kind",
"messages": [{"role", "content"}, ...], "text"}. A child asks why something
happened and a teacher explains the world's rule (kind "explain"), or asks
for a story and gets one built to the request (kind "story"); some have a
follow-up question. "text" is the chat in Phi-3's format:
<|user|>\n...<|end|>\n<|assistant|>\n...<|end|>\n

Flags:
`

func cmdSynthChat(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g genFlags
	g.register(fs, "chats", 1000)
	noText := fs.Bool("no-text", false, "leave out the Phi-3-formatted text field")
	decon := fs.String("decontaminate", "", "leave out chats that share an n-gram with an item of this JSONL file")
	ngram := fs.Int("ngram", synth.DefaultNGram, "n-gram length for --decontaminate")
	fs.Usage = func() { fmt.Fprint(stderr, synthChatUsage); fs.PrintDefaults() }
	if done, err := parseSynthFlags(fs, args); done {
		return err
	}
	if err := g.check("chat"); err != nil {
		return err
	}
	var dec *synth.Decontaminator
	if *decon != "" {
		d, k, err := loadHeldOut(*decon, *ngram)
		if err != nil {
			return fmt.Errorf("synth chat: %w", err)
		}
		dec = d
		fmt.Fprintf(stderr, "decontaminating against %d held-out items of %s (%d-grams)\n", k, *decon, *ngram)
	}
	out, err := synth.CreateOutput(g.out, "chat", g.shardSize, stdout)
	if err != nil {
		return fmt.Errorf("synth chat: %w", err)
	}
	var dropped atomic.Int64
	var bugs bugLog
	p := startProgress(stderr, "chats", g.n)
	err = writeAll(ctx, out, g.n, g.workers, p, func(i int, buf []byte) ([]byte, bool, error) {
		c, err := synth.GenerateChat(i, synth.SampleSeed(g.seed, i), !*noText)
		if err != nil {
			return buf, false, err
		}
		if len(c.Problems) > 0 {
			bugs.note(fmt.Sprintf("chat %d (seed %d): %s", i, c.Seed, strings.Join(c.Problems, "; ")))
			return buf, true, nil
		}
		if dec != nil {
			for _, m := range c.Messages {
				if dec.Contaminated(m.Content) {
					dropped.Add(1)
					return buf, true, nil
				}
			}
		}
		b, err := synth.AppendJSONL(buf, c)
		return b, false, err
	})
	if err != nil {
		return fmt.Errorf("synth chat: %w", err)
	}
	extra := ""
	if dec != nil {
		extra = fmt.Sprintf(" (%d dropped by decontamination)", dropped.Load())
	}
	p.finish(out, extra)
	bugs.report(stderr, "chats")
	return nil
}

// bugLog counts samples left out because the generator found a bug of its
// own (a broken world rule, a missing required word): the run goes on, and
// the first one is reported.
type bugLog struct {
	n     atomic.Int64
	first atomic.Pointer[string]
}

func (l *bugLog) note(msg string) {
	l.n.Add(1)
	l.first.CompareAndSwap(nil, &msg)
}

func (l *bugLog) report(w io.Writer, what string) {
	if n := l.n.Load(); n > 0 {
		fmt.Fprintf(w, "warning: left out %d %s because of generator bugs (please report); the first: %s\n", n, what, *l.first.Load())
	}
}
