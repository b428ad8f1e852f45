// Package bench measures how fast gophi runs a model, in the manner of
// llama.cpp's llama-bench, so the numbers can be compared with it.
//
// A benchmark is a set of configurations (model × mmap mode × thread count).
// Each configuration loads its model once, in a process of its own when
// Config.Exec is set, and runs two kinds of test on it:
//
//   - ppN (prompt processing): N random token ids evaluated in one batch on
//     an empty sequence, only the last token's logits computed;
//   - tgN (text generation): N tokens fed one at a time to an empty
//     sequence, each followed by an argmax over the logits; the next token
//     fed is a random id, as llama-bench does.
//
// Each test runs once untimed (the warmup: the whole prompt for pp, one
// token for tg) and then Reps timed times; a result reports the mean and
// the sample standard deviation of the whole test's time (avg_ns,
// stddev_ns) and of its rate in tokens per second (avg_ts, stddev_ts).
//
// Every result also carries numbers of its configuration's process:
//
//   - load_ms: the time of model.Load (config and weights bound, the file
//     mapped or read; no tokenizer), the first thing the process does.
//   - ttft_ms, time to first token: in the freshly loaded process, before
//     any warmup, the time to evaluate a prompt of ttft_n_prompt random
//     tokens (the largest -p, or 1 token when every -p is 0) and pick the
//     first generated token by argmax over its last logits. The first
//     generated token comes from the prompt pass's logits, so no decode step
//     is included. It is a cold number: it pays the first touch of every
//     weight page (page faults of a mapped file), the allocation of the
//     activations and the start of the workers. The operating system's page
//     cache is not dropped, so a file read recently is served from memory.
//   - peak_rss_bytes: the process's maximum resident set size
//     (getrusage's ru_maxrss) after all its tests. It covers the mapped
//     weights that were touched, the KV cache of n_ctx tokens and the
//     activations. It is per configuration only when the configuration ran
//     in a process of its own (isolated); in-process it is the whole
//     process's peak so far.
//
// For tg tests gbps is the achieved bandwidth of weight reads:
// weight_bytes_per_token × n_gen / avg_ns, where weight_bytes_per_token is
// the byte size of every matrix a token multiplies by (qkv, o, gate_up and
// down of every layer, and the output matrix: lm_head, or the embedding when
// the two are tied). The embedding lookup reads one row per token and is left
// out, as are the norms and the KV cache.
//
// For pp tests gflops is flops / avg_ns with
//
//	flops = 2·p·Σ_layers(qkv + o + gate_up + down elements)   matrix products
//	      + 2·vocab·hidden                                     lm_head, last token only
//	      + Σ_layers Σ_{i<p} 4·heads·head_dim·keys(i)          attention: q·k and a·v
//
// where keys(i) = min(i+1, sliding_window) is the number of positions token
// i attends to. Elementwise work (norms, RoPE, softmax, SiLU) is not counted.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// Config describes a benchmark. The zero value of a field means
// llama-bench's default where it has one.
type Config struct {
	// Models are Hugging Face model folders or .gguf files.
	Models []string
	// Prompt lists the prompt lengths of the pp tests; a 0 is skipped.
	// Default {512}.
	Prompt []int
	// Gen lists the token counts of the tg tests; a 0 is skipped.
	// Default {128}.
	Gen []int
	// Reps is the number of timed runs of each test. Default 5.
	Reps int
	// Threads lists the thread counts to try. Default {runtime.NumCPU()}.
	Threads []int
	// Mmap lists the load modes to try: true maps the weights, false reads
	// them into memory. Default {true}.
	Mmap []bool
	// KVType is the KV cache type, "f16" (default, as llama-bench), "f32"
	// or "q8_0".
	KVType string
	// Ctx is the KV cache size in tokens. Default: the largest prompt plus
	// the largest generation.
	Ctx int
	// NoWarmup skips the untimed run before each test.
	NoWarmup bool
	// ExactHalf multiplies prompts with F16/BF16 weights in float32
	// instead of bfloat16 pairs (model.LoadOptions.ExactHalf).
	ExactHalf bool
	// Seed seeds the random token ids. The same seed gives the same ids.
	Seed uint64
	// Version is gophi's version, reported as gophi_version (and as
	// build_commit when the binary has no VCS revision).
	Version string
	// Progress, when set, receives a line as each configuration and test
	// starts.
	Progress io.Writer
	// Exec, when set, runs each configuration in a child process: the
	// command Exec[0] with arguments Exec[1:] and then one more, the
	// configuration as JSON, which must call Child with that argument and
	// write to its standard output. cmd/gophi uses its own executable with a
	// hidden flag. When nil, configurations run in this process.
	Exec []string
	// OnResult, when set, is called with each result as soon as its
	// configuration finishes, in order; an error from it stops the run.
	OnResult func(Result) error
}

// Instance is one configuration of a benchmark: a model loaded once, with
// one load mode and one thread count, and every test run on it. It is what
// a child process receives, as JSON.
type Instance struct {
	Model   string `json:"model"`                // model folder or .gguf file
	Mmap    bool   `json:"mmap"`                 // map the weights (else read them into memory)
	Threads int    `json:"threads"`              // worker pool size
	Prompt  []int  `json:"prompt"`               // pp test lengths; 0s are skipped
	Gen     []int  `json:"gen"`                  // tg test lengths; 0s are skipped
	Reps    int    `json:"reps"`                 // timed runs per test
	Ctx     int    `json:"ctx"`                  // KV cache size in tokens
	KVType  string `json:"kv_type,omitempty"`    // "f16", "f32" or "q8_0"
	Warmup  bool   `json:"warmup"`               // an untimed run before each test
	Exact   bool   `json:"exact_half,omitempty"` // float32 prompt products for F16/BF16
	Seed    uint64 `json:"seed"`                 // seed of the random token ids
	Version string `json:"version"`              // gophi's version
	// Isolated tells that the instance runs in a process of its own.
	Isolated bool `json:"isolated"`
	// Progress asks a child to write progress lines to its stderr.
	Progress bool `json:"progress"`
	// Index and Count number the configuration for progress lines (1-based).
	Index int `json:"index"`
	Count int `json:"count"`
}

// Instances validates c, fills in the defaults and returns its
// configurations in llama-bench's order: by model, then load mode, then
// thread count.
func (c Config) Instances() ([]Instance, error) {
	if len(c.Models) == 0 {
		return nil, errors.New("bench: no model given")
	}
	prompt, gen, threads, mmaps := c.Prompt, c.Gen, c.Threads, c.Mmap
	if prompt == nil {
		prompt = []int{512}
	}
	if gen == nil {
		gen = []int{128}
	}
	if threads == nil {
		threads = []int{runtime.NumCPU()}
	}
	if mmaps == nil {
		mmaps = []bool{true}
	}
	reps := c.Reps
	if reps == 0 {
		reps = 5
	}
	if reps < 0 {
		return nil, fmt.Errorf("bench: repetitions must be at least 1, got %d", reps)
	}
	for _, p := range prompt {
		if p < 0 {
			return nil, fmt.Errorf("bench: prompt length %d is negative", p)
		}
	}
	for _, n := range gen {
		if n < 0 {
			return nil, fmt.Errorf("bench: generation length %d is negative", n)
		}
	}
	if slices.Max(append([]int{0}, prompt...)) == 0 && slices.Max(append([]int{0}, gen...)) == 0 {
		return nil, errors.New("bench: no tests: every prompt and generation length is 0")
	}
	if len(threads) == 0 || len(mmaps) == 0 {
		return nil, errors.New("bench: empty list of thread counts or mmap modes")
	}
	for _, t := range threads {
		if t < 1 {
			return nil, fmt.Errorf("bench: thread count must be at least 1, got %d", t)
		}
	}
	need := neededCtx(prompt, gen)
	ctx := c.Ctx
	if ctx == 0 {
		ctx = need
	}
	if ctx < need {
		return nil, fmt.Errorf("bench: context of %d tokens is too small: the tests need %d", ctx, need)
	}
	switch c.KVType {
	case "", "f16", "f32", "q8_0":
	default:
		return nil, fmt.Errorf("bench: KV cache type %q: use f16, f32 or q8_0", c.KVType)
	}
	var out []Instance
	for _, m := range c.Models {
		for _, mm := range mmaps {
			for _, t := range threads {
				out = append(out, Instance{
					Model: m, Mmap: mm, Threads: t, Prompt: prompt, Gen: gen, Reps: reps,
					Ctx: ctx, KVType: c.KVType, Warmup: !c.NoWarmup, Exact: c.ExactHalf, Seed: c.Seed, Version: c.Version,
					Isolated: c.Exec != nil, Progress: c.Progress != nil,
				})
			}
		}
	}
	for i := range out {
		out[i].Index, out[i].Count = i+1, len(out)
	}
	return out, nil
}

// neededCtx is the KV cache the tests need: the largest prompt (also the
// TTFT prompt) plus the largest generation, and at least one token.
func neededCtx(prompt, gen []int) int {
	return max(ttftPrompt(prompt)+slices.Max(append([]int{0}, gen...)), 1)
}

// ttftPrompt is the prompt length of the TTFT measurement.
func ttftPrompt(prompt []int) int {
	return max(slices.Max(append([]int{0}, prompt...)), 1)
}

// Run runs the benchmark and returns its results: for each configuration
// its pp tests and then its tg tests, in the order of c.Prompt and c.Gen.
// On an error it returns the results so far with it.
func Run(ctx context.Context, c Config) ([]Result, error) {
	insts, err := c.Instances()
	if err != nil {
		return nil, err
	}
	var all []Result
	for _, in := range insts {
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "gophi bench: configuration %d/%d: %s, mmap %d, %d threads\n",
				in.Index, in.Count, in.Model, b2i(in.Mmap), in.Threads)
		}
		var rs []Result
		if c.Exec != nil {
			rs, err = runChild(ctx, c.Exec, in, c.Progress)
		} else {
			rs, err = Measure(ctx, in, c.Progress)
		}
		if err != nil {
			return all, err
		}
		for _, r := range rs {
			all = append(all, r)
			if c.OnResult != nil {
				if err := c.OnResult(r); err != nil {
					return all, err
				}
			}
		}
	}
	return all, nil
}

// Measure runs one configuration in this process: it loads the model,
// measures the time to first token, runs every test and returns one result
// per test. Progress lines go to progress when it is not nil.
func Measure(ctx context.Context, in Instance, progress io.Writer) ([]Result, error) {
	if in.Reps < 1 || in.Threads < 1 || in.Ctx < neededCtx(in.Prompt, in.Gen) {
		return nil, fmt.Errorf("bench: invalid configuration (reps %d, threads %d, ctx %d); build it with Config.Instances", in.Reps, in.Threads, in.Ctx)
	}
	say := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, "gophi bench: %d/%d: "+format+"\n", append([]any{in.Index, in.Count}, args...)...)
		}
	}
	where := fmt.Sprintf("%s (mmap %d, %d threads)", in.Model, b2i(in.Mmap), in.Threads)

	say("loading %s", in.Model)
	start := time.Now()
	kv := tensor.F16
	switch in.KVType {
	case "f32":
		kv = tensor.F32
	case "q8_0":
		kv = tensor.Q8_0
	}
	m, err := model.Load(in.Model, model.LoadOptions{NoMmap: !in.Mmap, Threads: in.Threads, KVType: kv, ExactHalf: in.Exact})
	load := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("bench: loading %s: %w", where, err)
	}
	defer m.Close()
	vocab := m.Config.VocabSize
	rng := rand.New(rand.NewPCG(in.Seed, in.Seed^0x9e3779b97f4a7c15))
	randomIDs := func(n int) []int32 {
		ids := make([]int32, n)
		for i := range ids {
			ids[i] = int32(rng.IntN(vocab))
		}
		return ids
	}

	// chosen keeps the argmax of the logits alive, as a sampler uses it.
	var chosen int
	defer runtime.KeepAlive(&chosen)

	seq, err := m.NewSequence(in.Ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", where, err)
	}

	// Time to first token, cold: the first forward pass of the process.
	tp := ttftPrompt(in.Prompt)
	say("time to first token, %d-token prompt", tp)
	ids := randomIDs(tp)
	start = time.Now()
	logits, err := m.Eval(seq, ids, false)
	if err == nil {
		chosen += argmax(logits)
	}
	ttft := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: time to first token: %w", where, err)
	}

	info, err := describe(in.Model)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", where, err)
	}
	cpu, commit := cpuInfo(), buildCommit(in.Version)

	type test struct{ p, n int }
	var tests []test
	for _, p := range in.Prompt {
		if p > 0 {
			tests = append(tests, test{p: p})
		}
	}
	for _, n := range in.Gen {
		if n > 0 {
			tests = append(tests, test{n: n})
		}
	}
	var results []Result
	for _, t := range tests {
		name := testName(t.p, t.n)
		r := Result{
			BuildCommit: commit, CPUInfo: cpu, Backends: "CPU",
			ModelFilename: in.Model, ModelType: info.modelType(), ModelSize: info.size, ModelNParams: info.params,
			NBatch: max(t.p, 1), NUBatch: max(t.p, 1), NThreads: in.Threads, TypeK: in.kvName(), TypeV: in.kvName(),
			UseMmap: in.Mmap, LoadMode: loadMode(in.Mmap), NPrompt: t.p, NGen: t.n,
			TestTime:     time.Now().UTC().Format("2006-01-02T15:04:05Z"),
			GophiVersion: in.Version, NCtx: in.Ctx, LoadMs: ms(load), TTFTMs: ms(ttft), TTFTNPrompt: tp,
			Isolated: in.Isolated,
		}
		run := func(ids []int32) error {
			seq.Truncate(0)
			if t.p > 0 {
				_, err := m.Eval(seq, ids, false)
				return err
			}
			for _, id := range ids {
				if err := ctx.Err(); err != nil {
					return err
				}
				logits, err := m.Eval(seq, []int32{id}, false)
				if err != nil {
					return err
				}
				chosen += argmax(logits)
			}
			return nil
		}
		if in.Warmup {
			say("%s warmup", name)
			if err := run(randomIDs(max(t.p, min(t.n, 1)))); err != nil {
				return results, fmt.Errorf("bench: %s: %s warmup: %w", where, name, err)
			}
		}
		for i := range in.Reps {
			if err := ctx.Err(); err != nil {
				return results, err
			}
			say("%s run %d/%d", name, i+1, in.Reps)
			ids := randomIDs(t.p + t.n)
			start := time.Now()
			err := run(ids)
			d := time.Since(start)
			if err != nil {
				return results, fmt.Errorf("bench: %s: %s: %w", where, name, err)
			}
			r.SamplesNs = append(r.SamplesNs, uint64(d.Nanoseconds()))
		}
		r.finish()
		if t.n > 0 {
			r.WeightBytes = info.matBytes
			r.GBps = float64(info.matBytes) * float64(t.n) / float64(r.AvgNs)
		} else {
			r.Flops = info.ppFlops(t.p)
			r.GFLOPS = r.Flops / float64(r.AvgNs)
		}
		results = append(results, r)
	}
	rss := peakRSS()
	for i := range results {
		results[i].PeakRSSBytes = rss
	}
	return results, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func testName(p, n int) string {
	switch {
	case n == 0:
		return fmt.Sprintf("pp%d", p)
	case p == 0:
		return fmt.Sprintf("tg%d", n)
	}
	return fmt.Sprintf("pp%d+tg%d", p, n)
}

func loadMode(mmap bool) string {
	if mmap {
		return "mmap"
	}
	return "none"
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Nanoseconds())/1e3) / 1e3 }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (in Instance) kvName() string {
	if in.KVType == "f32" || in.KVType == "q8_0" {
		return in.KVType
	}
	return "f16"
}
