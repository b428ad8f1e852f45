package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/gophi/gophi/engine"
	"github.com/gophi/gophi/sample"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
)

type runFlags struct {
	opts    sample.Options
	numPred int
	ctx     int
	system  string
	raw     bool
	verbose bool
	noMmap  bool
	kvType  string
	exact   bool
	threads int
	stop    multiFlag
	fs      *flag.FlagSet
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newRunFlags(stderr io.Writer) *runFlags {
	f := &runFlags{opts: sample.DefaultOptions(), fs: flag.NewFlagSet("run", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: gophi run [flags] MODEL [PROMPT]\n\nWith PROMPT (or text on stdin) gophi answers once; on a terminal without one it starts a chat.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	o := &f.opts
	fs.Var(float32Flag{&o.Temperature}, "temperature", "sampling temperature; 0 = greedy")
	fs.IntVar(&o.TopK, "top-k", o.TopK, "keep the k most likely tokens (0 = off)")
	fs.Var(float32Flag{&o.TopP}, "top-p", "nucleus sampling: keep tokens up to this cumulative probability (1 = off)")
	fs.Var(float32Flag{&o.MinP}, "min-p", "drop tokens less likely than this fraction of the most likely (0 = off)")
	fs.Var(float32Flag{&o.RepeatPenalty}, "repeat-penalty", "penalise tokens seen in the last --repeat-last-n (1 = off)")
	fs.IntVar(&o.RepeatLastN, "repeat-last-n", o.RepeatLastN, "window of the repeat penalty (-1 = whole context)")
	fs.Var(float32Flag{&o.PresencePenalty}, "presence-penalty", "subtract from tokens already present (0 = off)")
	fs.Var(float32Flag{&o.FrequencyPenalty}, "frequency-penalty", "subtract per occurrence (0 = off)")
	fs.Int64Var(&o.Seed, "seed", -1, "random seed; the same seed gives the same output (-1 = random)")
	fs.IntVar(&f.numPred, "n", -1, "maximum tokens to generate (-1 = until the model stops or the context is full)")
	fs.IntVar(&f.numPred, "num-predict", -1, "same as -n")
	fs.IntVar(&f.ctx, "ctx", 0, "context length in tokens (0 = the model's, at most 4096)")
	fs.StringVar(&f.system, "system", "", "system message")
	fs.BoolVar(&f.raw, "raw", false, "feed the prompt as is: no chat template, no BOS unless the tokenizer asks for it")
	fs.BoolVar(&f.verbose, "verbose", false, "print load time and tokens/s to stderr")
	// Reading the weights into (huge-page) memory is the default: it lets
	// Q4_0 be repacked for the VNNI kernels, decodes faster, and on hosts
	// that evict cold file pages it avoids re-reading the file from disk.
	fs.BoolVar(&f.noMmap, "no-mmap", true, "read the weights into memory (the default; faster decoding)")
	fs.Var(invertedBool{&f.noMmap}, "mmap", "map the model file instead of reading it into memory (less resident memory while idle)")
	fs.StringVar(&f.kvType, "kv-type", "f16", "KV cache type: f16 (half the memory), q8_0 (a quarter, slightly less exact) or f32 (exact)")
	fs.BoolVar(&f.exact, "exact-half", false, "multiply prompts with F16/BF16 weights in float32, not bfloat16 (slower on CPUs with AVX512_BF16, activations unrounded)")
	fs.IntVar(&f.threads, "threads", 0, "threads for the kernels (0 = one per core)")
	fs.Var(&f.stop, "stop", "stop generating at this text (repeatable)")
	return f
}

type float32Flag struct{ p *float32 }

func (f float32Flag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.FormatFloat(float64(*f.p), 'g', -1, 32)
}
func (f float32Flag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return errors.New("not a number")
	}
	*f.p = float32(v)
	return nil
}

func cmdRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f := newRunFlags(stderr)
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if f.fs.NArg() < 1 {
		f.fs.Usage()
		return errUsage
	}
	if err := f.opts.Validate(); err != nil {
		return err
	}
	path := f.fs.Arg(0)
	prompt := strings.Join(f.fs.Args()[1:], " ")
	interactive := false
	if prompt == "" {
		if file, ok := stdin.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
			interactive = true
		} else {
			b, err := io.ReadAll(stdin)
			if err != nil {
				return fmt.Errorf("reading the prompt from stdin: %w", err)
			}
			prompt = strings.TrimRight(string(b), "\n")
			if prompt == "" {
				return errors.New("no prompt: give one after MODEL, pipe it on stdin, or run on a terminal to chat")
			}
		}
	}

	kv, err := tensor.ParseDType(f.kvType)
	if err != nil || (kv != tensor.F16 && kv != tensor.F32 && kv != tensor.Q8_0) {
		return fmt.Errorf("--kv-type %q: use f16, q8_0 or f32", f.kvType)
	}
	e, err := engine.Load(path, engine.Options{NoMmap: f.noMmap, Threads: f.threads, KVType: kv, ExactHalf: f.exact})
	if err != nil {
		return err
	}
	defer e.Close()
	if f.verbose {
		fmt.Fprintf(stderr, "loaded %s (%s) in %v\n", path, e.Format, e.LoadDuration.Round(time.Millisecond))
	}
	sess, err := e.NewSession(f.ctx)
	if err != nil {
		return err
	}
	if interactive {
		return chat(ctx, e, sess, f, stdin.(*os.File), stdout, stderr)
	}
	var msgs []tokenizer.Message
	if f.system != "" && !f.raw {
		msgs = append(msgs, tokenizer.Message{Role: "system", Content: f.system})
	}
	msgs = append(msgs, tokenizer.Message{Role: "user", Content: prompt})
	_, err = generate(ctx, e, sess, f, msgs, stdout, stderr)
	if err == nil && !f.raw {
		fmt.Fprintln(stdout)
	}
	return err
}

// generate runs one turn and streams it to stdout, returning the reply.
func generate(ctx context.Context, e *engine.Engine, sess *engine.Session, f *runFlags, msgs []tokenizer.Message, stdout, stderr io.Writer) (string, error) {
	toks, err := e.Prompt(msgs, f.raw)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(stdout)
	var reply strings.Builder
	st, err := sess.Generate(ctx, engine.Request{Tokens: toks, Sampling: f.opts, MaxTokens: f.numPred, Stop: f.stop},
		func(text string) error {
			reply.WriteString(text)
			w.WriteString(text)
			return w.Flush()
		})
	w.Flush()
	if f.verbose {
		printStats(stderr, st)
	}
	return reply.String(), err
}

func printStats(w io.Writer, st engine.Stats) {
	rate := func(n int, d time.Duration) string {
		if d <= 0 || n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(n)/d.Seconds())
	}
	fmt.Fprintf(w, "\nprompt: %d tokens (%d cached) in %v, %s tokens/s\n", st.PromptTokens, st.CachedTokens, st.PromptDuration.Round(time.Microsecond), rate(st.PromptTokens, st.PromptDuration))
	fmt.Fprintf(w, "generation: %d tokens in %v, %s tokens/s (stopped: %s)\n", st.Generated, st.GenDuration.Round(time.Microsecond), rate(st.Generated, st.GenDuration), st.DoneReason)
}

const chatHelp = `Commands:
  /set parameter NAME VALUE   temperature, top_k, top_p, min_p, repeat_penalty, seed, num_predict
  /set system TEXT            set the system message (starts a new conversation)
  /show                       show the current parameters
  /clear                      forget the conversation
  /bye                        leave (or Ctrl+D)
Use Up/Down for history. Ctrl+C stops a reply.
`

// chat is the interactive multi-turn loop, with line editing and history.
func chat(ctx context.Context, e *engine.Engine, sess *engine.Session, f *runFlags, tty *os.File, stdout, stderr io.Writer) error {
	fd := int(tty.Fd())
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{tty, stdout}, ">>> ")
	var msgs []tokenizer.Message
	reset := func() {
		msgs = msgs[:0]
		if f.system != "" {
			msgs = append(msgs, tokenizer.Message{Role: "system", Content: f.system})
		}
		sess.Reset()
	}
	reset()
	fmt.Fprintln(stdout, "Chatting with", e.Path, "- /? for help, /bye to leave.")
	for {
		old, err := term.MakeRaw(fd)
		if err != nil {
			return fmt.Errorf("terminal: %w", err)
		}
		line, err := t.ReadLine()
		term.Restore(fd, old)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case line == "/bye":
			return nil
		case line == "/?" || line == "/help":
			fmt.Fprint(stdout, chatHelp)
			continue
		case line == "/clear":
			reset()
			fmt.Fprintln(stdout, "Cleared the conversation.")
			continue
		case line == "/show":
			fmt.Fprintf(stdout, "temperature %g, top_k %d, top_p %g, min_p %g, repeat_penalty %g, seed %d, num_predict %d, context %d\n",
				f.opts.Temperature, f.opts.TopK, f.opts.TopP, f.opts.MinP, f.opts.RepeatPenalty, f.opts.Seed, f.numPred, sess.Context())
			continue
		case strings.HasPrefix(line, "/set "):
			if err := chatSet(f, strings.Fields(line)[1:], line); err != nil {
				fmt.Fprintln(stdout, "Error:", err)
			} else if strings.HasPrefix(line, "/set system") {
				reset()
				fmt.Fprintln(stdout, "Set the system message (new conversation).")
			} else {
				fmt.Fprintln(stdout, "Set.")
			}
			continue
		case strings.HasPrefix(line, "/"):
			fmt.Fprintf(stdout, "Unknown command %q; /? lists the commands.\n", line)
			continue
		}
		msgs = append(msgs, tokenizer.Message{Role: "user", Content: line})
		turnCtx, cancel := signal.NotifyContext(ctx, os.Interrupt)
		reply, err := generate(turnCtx, e, sess, f, msgs, stdout, stderr)
		cancel()
		fmt.Fprintln(stdout)
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(stdout, "Error:", err)
			msgs = msgs[:len(msgs)-1]
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		msgs = append(msgs, tokenizer.Message{Role: "assistant", Content: reply})
	}
}

func chatSet(f *runFlags, args []string, line string) error {
	if len(args) >= 1 && args[0] == "system" {
		f.system = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "/set")), "system"))
		return nil
	}
	if len(args) != 3 || args[0] != "parameter" {
		return errors.New("use /set parameter NAME VALUE or /set system TEXT")
	}
	name, val := args[1], args[2]
	o := f.opts
	var err error
	num := func() float32 {
		v, e := strconv.ParseFloat(val, 32)
		if e != nil {
			err = fmt.Errorf("%s: %q is not a number", name, val)
		}
		return float32(v)
	}
	integer := func() int {
		v, e := strconv.Atoi(val)
		if e != nil {
			err = fmt.Errorf("%s: %q is not an integer", name, val)
		}
		return v
	}
	switch name {
	case "temperature":
		o.Temperature = num()
	case "top_k":
		o.TopK = integer()
	case "top_p":
		o.TopP = num()
	case "min_p":
		o.MinP = num()
	case "repeat_penalty":
		o.RepeatPenalty = num()
	case "repeat_last_n":
		o.RepeatLastN = integer()
	case "presence_penalty":
		o.PresencePenalty = num()
	case "frequency_penalty":
		o.FrequencyPenalty = num()
	case "seed":
		o.Seed = int64(integer())
	case "num_predict":
		f.numPred = integer()
		return err
	default:
		return fmt.Errorf("unknown parameter %q", name)
	}
	if err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	f.opts = o
	return nil
}

// invertedBool is a boolean flag that sets *p to the opposite of its value.
type invertedBool struct{ p *bool }

func (b invertedBool) String() string {
	if b.p == nil {
		return "false"
	}
	return strconv.FormatBool(!*b.p)
}
func (b invertedBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.p = !v
	return nil
}
func (b invertedBool) IsBoolFlag() bool { return true }
