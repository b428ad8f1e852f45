package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gophi/gophi/engine"
	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/sample"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
	"github.com/gophi/gophi/tokenizer/shards"
	"github.com/gophi/gophi/train/report"
)

// Options configure a training run (the flags of "gophi train"). The JSON
// form is the --config file and the run.json a run writes into Out.
type Options struct {
	// Shape. VocabSize is the tokenizer's; the rest as in config.json.
	Layers        int     `json:"layers"`
	Hidden        int     `json:"hidden"`
	Heads         int     `json:"heads"`
	KVHeads       int     `json:"kv_heads"`
	FFN           int     `json:"ffn"`
	Ctx           int     `json:"ctx"` // sequence length trained on (and max_position_embeddings)
	RopeTheta     float64 `json:"rope_theta"`
	RotaryFactor  float64 `json:"partial_rotary_factor"`
	SlidingWindow int     `json:"sliding_window"`
	TieEmbeddings bool    `json:"tie_embeddings"`

	// Data.
	Data      string `json:"data"`      // shard folder from gophi tokenize
	Tokenizer string `json:"tokenizer"` // tokenizer.json, or a folder with one

	// Run.
	Batch           int     `json:"batch"`  // sequences per micro-batch
	Accum           int     `json:"accum"`  // micro-batches per step
	Steps           int     `json:"steps"`  // optimizer steps
	Tokens          int64   `json:"tokens"` // or: tokens to train on (sets Steps)
	LR              float64 `json:"lr"`
	MinLR           float64 `json:"min_lr"`
	Warmup          int     `json:"warmup"`
	WeightDecay     float64 `json:"weight_decay"`
	DecayAll        bool    `json:"decay_all"` // weight decay on norm weights too
	Clip            float64 `json:"clip"`
	Seed            uint64  `json:"seed"`
	Threads         int     `json:"threads"`
	EvalEvery       int     `json:"eval_every"`
	EvalBatches     int     `json:"eval_batches"`
	CheckpointEvery int     `json:"checkpoint_every"`
	Keep            int     `json:"keep"` // checkpoints kept
	Out             string  `json:"out"`
	Init            string  `json:"init"` // a model folder to start from (fine-tuning)
	SamplePrompt    string  `json:"sample_prompt"`
	SampleTokens    int     `json:"sample_tokens"`
}

// DefaultOptions are the defaults of "gophi train": a small model in the
// range TinyStories trains well (llama2.c's stories260K-style schedule).
func DefaultOptions() Options {
	return Options{
		Layers: 4, Hidden: 128, Heads: 4, FFN: 384, Ctx: 256, RopeTheta: 10000, RotaryFactor: 1,
		TieEmbeddings: true,
		Batch:         8, Accum: 1, Steps: 1000, LR: 1e-3, MinLR: 1e-4, Warmup: 100, WeightDecay: 0.1, Clip: 1,
		Seed: 1, EvalEvery: 100, EvalBatches: 8, CheckpointEvery: 500, Keep: 2, SampleTokens: 48,
	}
}

// Config returns the model configuration of the options' shape for a
// tokenizer of vocab ids with the given BOS and EOS ids.
func (o *Options) Config(vocab int, bos int, eos []int) (*model.Config, error) {
	if o.Heads <= 0 || o.Hidden%o.Heads != 0 {
		return nil, fmt.Errorf("--hidden %d is not a multiple of --heads %d", o.Hidden, o.Heads)
	}
	kv := o.KVHeads
	if kv <= 0 {
		kv = o.Heads
	}
	if o.Heads%kv != 0 {
		return nil, fmt.Errorf("--heads %d is not a multiple of --kv-heads %d", o.Heads, o.KVHeads)
	}
	hd := o.Hidden / o.Heads
	rot := int(float64(hd) * o.RotaryFactor)
	if o.RotaryFactor <= 0 || o.RotaryFactor > 1 || rot%2 != 0 || rot == 0 {
		return nil, fmt.Errorf("partial rotary factor %v gives %d rotary dims of a head of %d: need an even number", o.RotaryFactor, rot, hd)
	}
	c := &model.Config{
		Arch: "phi3", VocabSize: vocab, Hidden: o.Hidden, Intermediate: o.FFN, Layers: o.Layers,
		Heads: o.Heads, KVHeads: kv, HeadDim: hd, RotaryDim: rot,
		MaxPositions: o.Ctx, OriginalMaxPositions: o.Ctx, RopeTheta: o.RopeTheta,
		SlidingWindow: o.SlidingWindow, RMSNormEps: 1e-5, TieEmbeddings: o.TieEmbeddings, BOS: bos, EOS: eos,
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Result describes a finished (or stopped) run.
type Result struct {
	Step       int     // steps done
	TrainLoss  float64 // the last step's
	ValLoss    float64 // the last validation's (NaN: none)
	Checkpoint string  // the last checkpoint written
	Ran        int     // steps run by this call (0: the run was already complete)
}

// Trainer runs one training run.
type Trainer struct {
	Opts  Options
	Log   io.Writer // progress and messages
	TTY   bool      // Log is a terminal: redraw the progress line in place
	Pool  *tensor.Pool
	Model *Model
	Opt   *AdamW

	cfg      *model.Config
	tok      *tokenizer.Tokenizer
	tokJSON  string
	data     *Data
	val      []*Batch
	loader   *Loader
	sched    Schedule
	batches  []*Batch
	tokens   int64
	lastCkpt string
	start    int // the step the run starts after (a resumed run's checkpoint)
}

// MemAvailable returns the memory the system can give without swapping
// (Linux /proc/meminfo), or 0 when unknown.
func MemAvailable() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}

// NewTrainer prepares a run: loads the tokenizer and the data, plans and
// allocates the model (refusing a shape that does not fit in memory),
// starts from --init or a checkpoint (resume), and writes run.json.
func NewTrainer(o Options, resume bool, log io.Writer, tty bool) (_ *Trainer, err error) {
	if o.Out == "" {
		return nil, errors.New("train: --out is required (the folder for checkpoints, metrics.csv and loss.svg)")
	}
	if o.Data == "" {
		return nil, errors.New("train: --data is required (a folder written by gophi tokenize)")
	}
	if o.Batch <= 0 || o.Accum <= 0 || o.Ctx <= 0 {
		return nil, fmt.Errorf("train: --batch %d, --accum %d and --ctx %d must be positive", o.Batch, o.Accum, o.Ctx)
	}
	if o.Tokens > 0 {
		per := int64(o.Batch * o.Accum * o.Ctx)
		o.Steps = int((o.Tokens + per - 1) / per)
	}
	if o.Steps <= 0 {
		return nil, fmt.Errorf("train: --steps %d must be positive", o.Steps)
	}
	if o.Keep <= 0 {
		o.Keep = 2
	}
	t := &Trainer{Opts: o, Log: log, TTY: tty}
	defer func() {
		if err != nil {
			t.Close() // the pool, once it is started
		}
	}()
	tokPath := o.Tokenizer
	if tokPath == "" && o.Init != "" {
		tokPath = o.Init
	}
	ds, err := shards.Open(o.Data)
	if err != nil {
		return nil, fmt.Errorf("train: --data: %w", err)
	}
	if p := ds.Index.Tokenizer.Path; tokPath == "" && p != "" {
		// The data's index.json names the tokenizer it was made with.
		if _, err := os.Stat(p); err == nil {
			tokPath = p
			fmt.Fprintf(log, "tokenizer: %s (named by %s)\n", p, filepath.Join(o.Data, shards.IndexName))
		}
	}
	if tokPath == "" {
		return nil, errors.New("train: --tokenizer is required (the tokenizer.json the data was tokenized with)")
	}
	if t.tok, t.tokJSON, err = tokenizer.LoadPath(tokPath); err != nil {
		return nil, fmt.Errorf("train: --tokenizer: %w", err)
	}
	var eos []int
	if id := t.tok.EOS(); id >= 0 {
		eos = append(eos, int(id))
	}
	if id, ok := t.tok.ID("<|end|>"); ok {
		eos = append(eos, int(id))
	}
	if o.Init != "" {
		if t.cfg, err = model.LoadConfig(o.Init); err != nil {
			return nil, fmt.Errorf("train: --init: %w", err)
		}
		if t.cfg.VocabSize < t.tok.Len() {
			return nil, fmt.Errorf("train: --init %s has %d logits, the tokenizer %d tokens", o.Init, t.cfg.VocabSize, t.tok.Len())
		}
		t.cfg.MaxPositions = max(t.cfg.MaxPositions, o.Ctx)
	} else if t.cfg, err = o.Config(t.tok.Len(), int(t.tok.BOS()), eos); err != nil {
		return nil, fmt.Errorf("train: shape: %w", err)
	}
	// The data's ids are the tokenizer's; a model (from --init) may have
	// more logits than the tokenizer has tokens (Phi-3 pads 32011 to 32064).
	if t.data, err = OpenData(ds, shards.Train, t.tok.Len()); err != nil {
		return nil, err
	}
	if want := t.data.Index.Tokenizer.SHA256; want != "" {
		if got, err := fileSHA256(t.tokJSON); err == nil && got != want {
			return nil, fmt.Errorf("train: --data %s was tokenized with another tokenizer (%s, SHA-256 %s…), not %s", o.Data, t.data.Index.Tokenizer.Path, want[:12], t.tokJSON)
		}
	}
	if t.data.Tokens() == 0 {
		return nil, fmt.Errorf("train: --data %s has no training tokens", o.Data)
	}
	if t.loader, err = NewLoader(t.data, o.Batch, o.Ctx, o.Seed); err != nil {
		return nil, err
	}
	if val, err := OpenData(ds, shards.Val, t.tok.Len()); err == nil && val.Windows(o.Ctx) > 0 {
		t.val = ValBatches(val, o.Batch, o.Ctx, max(o.EvalBatches, 1))
	} else if err != nil {
		return nil, err
	}
	t.Pool = tensor.NewPool(o.Threads) // ≤ 0: one thread per core
	plan, err := PlanMemory(t.cfg, o.Batch, o.Ctx, t.Pool.Threads())
	if err != nil {
		return nil, fmt.Errorf("train: shape: %w", err)
	}
	fmt.Fprintf(log, "model: %d layers, hidden %d, %d heads (%d kv), ffn %d, vocab %d, ctx %d: %.2fM parameters, %.1f MFLOPs per token\n",
		t.cfg.Layers, t.cfg.Hidden, t.cfg.Heads, t.cfg.KVHeads, t.cfg.Intermediate, t.cfg.VocabSize, o.Ctx,
		float64(plan.Params)/1e6, FLOPsPerToken(t.cfg, o.Ctx)/1e6)
	fmt.Fprintf(log, "memory: %s\n", plan)
	if avail := MemAvailable(); avail > 0 && plan.Total() > avail*9/10 {
		return nil, fmt.Errorf("train: this run needs %.1f GiB but only %.1f GiB of memory is available: lower --batch or --ctx, or choose a smaller shape",
			float64(plan.Total())/(1<<30), float64(avail)/(1<<30))
	}
	if t.Model, err = New(t.cfg, o.Batch, o.Ctx, o.Seed, t.Pool); err != nil {
		return nil, err
	}
	t.Opt = NewAdamW(t.Model, o.WeightDecay)
	t.Opt.DecayAll = o.DecayAll
	t.sched = Schedule{LR: o.LR, MinLR: o.MinLR, Warmup: o.Warmup, Steps: o.Steps}
	for i := 0; i < o.Accum; i++ {
		b := &Batch{Tokens: make([]int32, o.Batch*(o.Ctx+1))}
		if t.data.Masked() {
			b.Mask = make([]byte, len(b.Tokens))
		}
		t.batches = append(t.batches, b)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	start := 0
	if resume {
		if start, err = t.resume(); err != nil {
			return nil, err
		}
	} else {
		if steps, _ := Checkpoints(o.Out); len(steps) > 0 {
			return nil, fmt.Errorf("train: %s already holds checkpoints (up to step %d): add --resume to continue that run, or choose another --out", o.Out, steps[len(steps)-1])
		}
		if o.Init != "" {
			if err := t.initFrom(o.Init); err != nil {
				return nil, err
			}
		}
		if err := report.WriteCSV(filepath.Join(o.Out, "metrics.csv"), nil); err != nil {
			return nil, err
		}
	}
	t.start = start
	if err := writeJSON(filepath.Join(o.Out, "run.json"), t.Opts); err != nil {
		return nil, err
	}
	return t, nil
}

// initFrom loads the weights of a model folder (a checkpoint or any
// Hugging Face Phi-3 folder) to fine-tune them.
func (t *Trainer) initFrom(dir string) error {
	ck, err := safetensors.OpenDir(dir, safetensors.OpenOptions{NoMmap: true})
	if err != nil {
		return fmt.Errorf("train: --init: %w", err)
	}
	defer ck.Close()
	if err := t.Model.SetWeights(model.SafetensorsSource(ck, "")); err != nil {
		return fmt.Errorf("train: --init %s: %w", dir, err)
	}
	return nil
}

// resume loads the newest checkpoint of Out and cuts metrics.csv back to
// its step.
func (t *Trainer) resume() (int, error) {
	o := t.Opts
	steps, err := Checkpoints(o.Out)
	if err != nil {
		return 0, err
	}
	if len(steps) == 0 {
		return 0, fmt.Errorf("train: --resume: %s has no checkpoint yet (start the run without --resume)", o.Out)
	}
	dir := CheckpointDir(o.Out, steps[len(steps)-1])
	st, err := LoadCheckpoint(dir, t.Model, t.Opt)
	if err != nil {
		return 0, err
	}
	if st.Seed != o.Seed {
		return 0, fmt.Errorf("train: --resume: %s was made with --seed %d, not %d", dir, st.Seed, o.Seed)
	}
	t.loader.Epoch, t.loader.Next, t.tokens = st.Epoch, st.Next, st.Tokens
	path := filepath.Join(o.Out, "metrics.csv")
	rows, err := report.ReadCSV(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// A kill in the middle of an append tears the last line, which is
		// after the checkpoint: keep the rows before it.
		fmt.Fprintf(t.Log, "metrics.csv: %v; keeping the %d rows before it\n", err, len(rows))
	}
	rows = report.Truncate(rows, st.Step)
	if len(rows) > 0 && rows[len(rows)-1].Step != st.Step {
		fmt.Fprintf(t.Log, "metrics.csv ends at step %d, the checkpoint is at step %d: the rows between are lost\n", rows[len(rows)-1].Step, st.Step)
	}
	if err := report.WriteCSV(path, rows); err != nil {
		return 0, err
	}
	t.lastCkpt = dir
	fmt.Fprintf(t.Log, "resuming from %s (step %d, %d tokens seen)\n", dir, st.Step, st.Tokens)
	return st.Step, nil
}

// Close releases the worker pool.
func (t *Trainer) Close() {
	if t.Pool != nil {
		t.Pool.Close()
		t.Pool = nil
	}
}

// ErrNotFinite is returned (wrapped) when the loss or the gradient becomes
// NaN or infinite.
var ErrNotFinite = errors.New("the loss is not finite")

// Run trains until Steps, or until ctx is cancelled (then it writes a
// checkpoint at the step reached and returns ctx's error).
func (t *Trainer) Run(ctx context.Context) (*Result, error) {
	o := t.Opts
	m := t.Model
	res := &Result{Step: t.start, ValLoss: math.NaN(), Checkpoint: t.lastCkpt}
	metrics := filepath.Join(o.Out, "metrics.csv")
	prog := report.NewProgress(t.Log, t.TTY, o.Steps)
	defer prog.Done()
	flops := m.FLOPsPerToken()
	perStep := int64(o.Batch * o.Accum * o.Ctx)
	if len(t.val) == 0 {
		prog.Line(fmt.Sprintf("%s has no validation window of %d+1 tokens (val-*.bin, see gophi tokenize --val-fraction): val_loss stays empty", o.Data, o.Ctx))
	}
	for step := t.start + 1; step <= o.Steps; step++ {
		if err := ctx.Err(); err != nil {
			if step-1 > t.start {
				if _, cerr := t.checkpoint(step-1, prog); cerr != nil {
					return res, errors.Join(err, cerr)
				}
			}
			return res, err
		}
		t0 := time.Now()
		counted := 0
		for _, b := range t.batches {
			t.loader.Fill(b)
			counted += m.Counted(b)
		}
		m.ZeroGrad()
		var sum float64
		if counted > 0 {
			for _, b := range t.batches {
				s, err := m.Step(b, 1/float64(counted))
				if err != nil {
					return res, err
				}
				sum += s
			}
		}
		loss := sum / float64(max(counted, 1))
		norm := m.ClipGrad(o.Clip)
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(norm) || math.IsInf(norm, 0) {
			last := "none yet"
			if t.lastCkpt != "" {
				last = t.lastCkpt
			}
			return res, fmt.Errorf("train: step %d: %w (loss %v, gradient norm %v); the last good checkpoint is %s: lower --lr (now %g) or raise --warmup, then resume", step, ErrNotFinite, loss, norm, last, o.LR)
		}
		lr := t.sched.At(step)
		t.Opt.Update(m, lr)
		t.tokens += perStep
		el := time.Since(t0).Seconds()
		row := report.Row{Step: step, TrainLoss: loss, ValLoss: math.NaN(), LR: lr, TokensPerS: float64(perStep) / el, GradNorm: norm}
		evaluate := len(t.val) > 0 && ((o.EvalEvery > 0 && step%o.EvalEvery == 0) || step == o.Steps)
		if evaluate {
			v, err := t.validate()
			if err != nil {
				return res, err
			}
			row.ValLoss, res.ValLoss = v, v
		}
		if err := report.AppendCSV(metrics, row); err != nil {
			return res, err
		}
		res.Step, res.TrainLoss, res.Ran = step, loss, res.Ran+1
		prog.Update(step, loss, lr, row.TokensPerS, flops*row.TokensPerS/1e9)
		if evaluate {
			prog.Line(fmt.Sprintf("step %d: train loss %.4f, val loss %.4f", step, loss, row.ValLoss))
			if err := t.plot(); err != nil {
				return res, err
			}
		}
		if (o.CheckpointEvery > 0 && step%o.CheckpointEvery == 0) || step == o.Steps {
			dir, err := t.checkpoint(step, prog)
			if err != nil {
				return res, err
			}
			res.Checkpoint = dir
		}
	}
	if err := t.plot(); err != nil {
		return res, err
	}
	return res, nil
}

// validate returns the mean loss over the held-out batches.
func (t *Trainer) validate() (float64, error) {
	var sum float64
	var n int
	for _, b := range t.val {
		s, c, err := t.Model.Loss(b)
		if err != nil {
			return 0, err
		}
		sum += s
		n += c
	}
	return sum / float64(max(n, 1)), nil
}

func (t *Trainer) plot() error {
	rows, err := report.ReadCSV(filepath.Join(t.Opts.Out, "metrics.csv"))
	if err != nil {
		return err
	}
	c := t.cfg
	title := fmt.Sprintf("gophi train: %d layers, hidden %d, vocab %d, ctx %d", c.Layers, c.Hidden, c.VocabSize, t.Opts.Ctx)
	return report.WriteSVG(filepath.Join(t.Opts.Out, "loss.svg"), rows, title)
}

// checkpoint writes the checkpoint of step and prints a sample generation
// from it, loaded back as gophi run loads it.
func (t *Trainer) checkpoint(step int, prog *report.Progress) (string, error) {
	runJSON, _ := json.Marshal(t.Opts)
	st := State{Step: step, Epoch: t.loader.Epoch, Next: t.loader.Next, Seed: t.Opts.Seed, Tokens: t.tokens, Run: runJSON}
	dir, err := SaveCheckpoint(t.Opts.Out, t.Model, t.Opt, st, t.tok, t.tokJSON, t.Opts.Keep)
	if err != nil {
		return "", err
	}
	t.lastCkpt = dir
	if t.Opts.SampleTokens <= 0 {
		prog.Line("checkpoint " + dir)
		return dir, nil
	}
	prompt, text, err := t.sample(dir, step)
	if err != nil {
		return "", fmt.Errorf("train: the checkpoint %s does not run: %w", dir, err)
	}
	prog.Line(fmt.Sprintf("checkpoint %s; sample: %q → %q", dir, prompt, text))
	return dir, nil
}

// sample generates SampleTokens tokens from the checkpoint folder with the
// runtime (temperature 0.8, seeded by the step).
func (t *Trainer) sample(dir string, step int) (prompt, text string, err error) {
	n := t.Opts.SampleTokens
	e, err := engine.Load(dir, engine.Options{Threads: t.Pool.Threads()})
	if err != nil {
		return "", "", err
	}
	defer e.Close()
	prompt = t.Opts.SamplePrompt
	var ids []int32
	if t.data.Masked() && e.Tokenizer.ChatFamily() != "" {
		if prompt == "" {
			prompt = "Tell me a story."
		}
		ids, err = e.Prompt([]tokenizer.Message{{Role: "user", Content: prompt}}, false)
	} else {
		if prompt == "" {
			prompt = "Once upon a time"
		}
		ids = e.Tokenizer.Encode(prompt, true)
		if b := e.Tokenizer.BOS(); b >= 0 && (len(ids) == 0 || ids[0] != b) {
			ids = append([]int32{b}, ids...)
		}
	}
	if err != nil {
		return "", "", err
	}
	s, err := e.NewSession(min(t.Opts.Ctx, e.Model.Config.MaxPositions))
	if err != nil {
		return "", "", err
	}
	opts := sample.DefaultOptions()
	opts.Temperature, opts.Seed = 0.8, int64(step)
	var out strings.Builder
	_, err = s.Generate(context.Background(), engine.Request{Tokens: ids, Sampling: opts, MaxTokens: min(n, t.Opts.Ctx-len(ids))},
		func(text string) error { out.WriteString(text); return nil })
	return prompt, out.String(), err
}
