package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/gophi/gophi/bench"
)

// benchChildFlag runs "gophi bench" as the child process of one
// configuration (see bench.Config.Exec); it is not in the usage text.
const benchChildFlag = "--internal-child"

// benchExec returns the command that starts a configuration's child
// process; tests replace it to run configurations in-process.
var benchExec = func() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: finding gophi's executable to run each configuration in: %w", err)
	}
	return []string{exe, "bench", benchChildFlag}, nil
}

const benchUsage = `Usage: gophi bench [flags] MODEL...

Measures prompt processing (ppN: N random tokens in one batch) and text
generation (tgN: N tokens one at a time) like llama.cpp's llama-bench. Each
model × mmap mode × thread count runs in a fresh process, which also gives
its load time, time to first token and peak RSS. Lists are comma-separated.

Flags:
  -m, --model PATH          model folder or .gguf file (or give it after the flags)
  -p, --n-prompt LIST       prompt lengths (default 512)
  -n, --n-gen LIST          generation lengths (default 128)
  -r, --repetitions N       timed runs of each test (default 5)
  -t, --threads LIST        thread counts (default %d, the number of cores)
  -mmp LIST                 mmap modes, 0 and/or 1 (default 1)
      --mmap, --no-mmap     map the weights (default) or read them into memory
      --ctx N               KV cache size in tokens (default: largest -p + largest -n)
  -ctk, --cache-type T      KV cache type: f16 (default, as llama-bench), f32 or q8_0
      --exact-half          multiply prompts with F16/BF16 weights in float32, not
                            bfloat16 pairs (on CPUs with AVX512_BF16)
      --warmup              one untimed run before each test (default true; --no-warmup)
  -o, --output FORMAT       md, json or jsonl (default md)
      --synthetic SHAPE     benchmark a model of this shape with random weights
                            instead of MODEL (cached in the user cache folder)
      --type TYPE           weight type of the synthetic model, e.g. Q4_0
  -v, --verbose             progress on stderr (default when stderr is a terminal)

Columns beyond llama-bench's: load ms and TTFT ms (cold, the largest -p
prompt) of the configuration's process, its peak RSS, GB/s of weights read
for tg and GFLOPS for pp (formulas: go doc github.com/gophi/gophi/bench).
`

// intList is a comma-separated list of integers; the flag given replaces
// the default, and repeating it appends.
type intList struct {
	vals *[]int
	set  bool
}

func (l *intList) String() string {
	if l.vals == nil {
		return ""
	}
	var s []string
	for _, v := range *l.vals {
		s = append(s, strconv.Itoa(v))
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(s string) error {
	if !l.set {
		*l.vals, l.set = nil, true
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", f)
		}
		if v < 0 {
			return fmt.Errorf("%d is negative", v)
		}
		*l.vals = append(*l.vals, v)
	}
	return nil
}

// mmapList collects the mmap modes of -mmp, --mmap and --no-mmap.
type mmapList struct {
	vals []bool
	set  bool
}

func (l *mmapList) add(s string, invert bool) error {
	if !l.set {
		l.vals, l.set = nil, true
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseBool(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not 0 or 1", f)
		}
		l.vals = append(l.vals, v != invert)
	}
	return nil
}

type mmapFlag struct {
	l      *mmapList
	invert bool // --no-mmap
	isBool bool // --mmap and --no-mmap may be given without a value
}

func (f mmapFlag) String() string {
	if f.l == nil {
		return ""
	}
	var s []string
	for _, v := range f.l.vals {
		s = append(s, strconv.Itoa(b2i(v)))
	}
	return strings.Join(s, ",")
}
func (f mmapFlag) Set(s string) error { return f.l.add(s, f.invert) }
func (f mmapFlag) IsBoolFlag() bool   { return f.isBool }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stringList is a repeatable string flag that also splits on commas.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	*l = append(*l, strings.Split(s, ",")...)
	return nil
}

var looksLikeMmapList = regexp.MustCompile(`^(0|1|true|false)(,(0|1|true|false))*$`)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == benchChildFlag {
		if len(args) != 2 {
			return fmt.Errorf("bench %s takes one argument, the configuration as JSON", benchChildFlag)
		}
		return bench.Child(ctx, args[1], stdout, stderr)
	}

	cfg := bench.Config{Prompt: []int{512}, Gen: []int{128}, Threads: []int{runtime.NumCPU()}, Version: version}
	var (
		models            stringList
		mmaps             = mmapList{vals: []bool{true}}
		warmup            = true
		noWarmup, verbose bool
		output            = "md"
		synthetic, typ    string
	)
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, benchUsage, runtime.NumCPU()) }
	for _, n := range []string{"m", "model"} {
		fs.Var(&models, n, "")
	}
	pl, nl, tl := &intList{vals: &cfg.Prompt}, &intList{vals: &cfg.Gen}, &intList{vals: &cfg.Threads}
	fs.Var(pl, "p", "")
	fs.Var(pl, "n-prompt", "")
	fs.Var(nl, "n", "")
	fs.Var(nl, "n-gen", "")
	fs.Var(tl, "t", "")
	fs.Var(tl, "threads", "")
	fs.IntVar(&cfg.Reps, "r", 5, "")
	fs.IntVar(&cfg.Reps, "repetitions", 5, "")
	fs.Var(mmapFlag{l: &mmaps}, "mmp", "")
	fs.Var(mmapFlag{l: &mmaps, isBool: true}, "mmap", "")
	fs.Var(mmapFlag{l: &mmaps, invert: true, isBool: true}, "no-mmap", "")
	fs.IntVar(&cfg.Ctx, "ctx", 0, "")
	fs.StringVar(&cfg.KVType, "ctk", "f16", "")
	fs.StringVar(&cfg.KVType, "cache-type", "f16", "")
	fs.BoolVar(&cfg.ExactHalf, "exact-half", false, "")
	fs.BoolVar(&warmup, "warmup", true, "")
	fs.BoolVar(&noWarmup, "no-warmup", false, "")
	fs.StringVar(&output, "o", "md", "")
	fs.StringVar(&output, "output", "md", "")
	fs.StringVar(&synthetic, "synthetic", "", "")
	fs.StringVar(&typ, "type", "", "")
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	format, err := bench.ParseFormat(output)
	if err != nil {
		return fmt.Errorf("bench: -o: %w", err)
	}
	if cfg.Reps < 1 {
		return fmt.Errorf("bench: -r: repetitions must be at least 1, got %d", cfg.Reps)
	}
	for _, t := range cfg.Threads {
		if t < 1 {
			return fmt.Errorf("bench: -t: thread count must be at least 1, got %d", t)
		}
	}
	cfg.Mmap, cfg.NoWarmup = mmaps.vals, noWarmup || !warmup
	models = append(models, fs.Args()...)
	for _, m := range models {
		if _, err := os.Stat(m); err != nil && looksLikeMmapList.MatchString(m) {
			return fmt.Errorf("bench: %q is not a model: give mmap modes as -mmp %s or --mmap=%s", m, m, m)
		}
	}
	if file, ok := stderr.(*os.File); verbose || ok && term.IsTerminal(int(file.Fd())) {
		cfg.Progress = stderr
	}
	switch {
	case synthetic != "" && len(models) > 0:
		return errors.New("bench: give either MODEL or --synthetic SHAPE, not both")
	case synthetic != "" && typ == "":
		return errors.New("bench: --synthetic needs --type, the weight type (such as Q4_0)")
	case synthetic == "" && typ != "":
		return errors.New("bench: --type is for --synthetic models; a model file has its own types")
	case synthetic != "":
		path, err := bench.Synthetic(ctx, synthetic, typ, cfg.Progress)
		if err != nil {
			return err
		}
		models = stringList{path}
	case len(models) == 0:
		fs.Usage()
		return errUsage
	}
	for _, m := range models {
		if _, err := os.Stat(m); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	cfg.Models = models
	if cfg.Exec, err = benchExec(); err != nil {
		return err
	}
	// Check the whole configuration before the first (slow) test.
	if _, err := cfg.Instances(); err != nil {
		return err
	}
	p := bench.NewPrinter(stdout, format)
	cfg.OnResult = p.Print
	_, err = bench.Run(ctx, cfg)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}
