package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gophi/gophi/train"
	"github.com/gophi/gophi/train/report"
)

// trainBase returns the options a "gophi train" command line starts from
// before its flags apply: the defaults, or the --config file over them, or
// with --resume the run.json of --out (the resumed run's own settings).
func trainBase(args []string) (train.Options, error) {
	o := train.DefaultOptions()
	val := func(name string) (string, bool) {
		for i, a := range args {
			for _, p := range []string{"-" + name, "--" + name} {
				if a == p && i+1 < len(args) {
					return args[i+1], true
				}
				if v, ok := strings.CutPrefix(a, p+"="); ok {
					return v, true
				}
			}
		}
		return "", false
	}
	resume := false
	for _, a := range args {
		if a == "--resume" || a == "-resume" || a == "--resume=true" || a == "-resume=true" {
			resume = true
		}
	}
	path, ok := val("config")
	if resume {
		out, _ := val("out")
		if out == "" {
			return o, errors.New("--resume needs --out DIR, the folder of the run to continue")
		}
		path, ok = filepath.Join(out, "run.json"), true
	}
	if !ok {
		return o, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if resume && errors.Is(err, os.ErrNotExist) {
			return o, fmt.Errorf("--resume: %s is missing: is this the --out folder of a gophi train run?", path)
		}
		return o, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return o, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := trainBase(args)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "JSON file of options (the flags' names with _ for -, as in run.json); flags given override it")
	fs.IntVar(&o.Layers, "layers", o.Layers, "decoder layers")
	fs.IntVar(&o.Hidden, "hidden", o.Hidden, "hidden size")
	fs.IntVar(&o.Heads, "heads", o.Heads, "attention heads (head size = hidden/heads)")
	fs.IntVar(&o.KVHeads, "kv-heads", o.KVHeads, "key/value heads (GQA when fewer than --heads; 0: as many as --heads)")
	fs.IntVar(&o.FFN, "ffn", o.FFN, "FFN width (intermediate_size)")
	fs.IntVar(&o.Ctx, "ctx", o.Ctx, "sequence length trained on (the model's context)")
	fs.Float64Var(&o.RopeTheta, "rope-theta", o.RopeTheta, "RoPE base")
	fs.Float64Var(&o.RotaryFactor, "partial-rotary", o.RotaryFactor, "fraction of each head's dims that RoPE rotates (Phi-4-mini: 0.75)")
	fs.IntVar(&o.SlidingWindow, "sliding-window", o.SlidingWindow, "keys a query sees, itself included (0: all)")
	fs.BoolVar(&o.TieEmbeddings, "tie-embeddings", o.TieEmbeddings, "share the embedding with the output head")
	fs.StringVar(&o.Data, "data", o.Data, "token shard folder from gophi tokenize (required)")
	fs.StringVar(&o.Tokenizer, "tokenizer", o.Tokenizer, "the tokenizer.json the data was tokenized with, or its folder; sets the vocabulary (default: the one --data's index.json names, if it is there)")
	fs.IntVar(&o.Batch, "batch", o.Batch, "sequences per micro-batch")
	fs.IntVar(&o.Accum, "accum", o.Accum, "micro-batches per optimizer step (gradient accumulation)")
	fs.IntVar(&o.Steps, "steps", o.Steps, "optimizer steps")
	fs.Int64Var(&o.Tokens, "tokens", o.Tokens, "tokens to train on instead of --steps")
	fs.Float64Var(&o.LR, "lr", o.LR, "peak learning rate")
	fs.Float64Var(&o.MinLR, "min-lr", o.MinLR, "learning rate at the end of the cosine decay")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "linear warmup steps")
	fs.Float64Var(&o.WeightDecay, "weight-decay", o.WeightDecay, "AdamW decoupled weight decay (matrices only)")
	fs.BoolVar(&o.DecayAll, "decay-all", o.DecayAll, "apply weight decay to norm weights too")
	fs.Float64Var(&o.Clip, "clip", o.Clip, "clip the gradient to this global norm (0: no clipping)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the weights and the data order")
	fs.IntVar(&o.Threads, "threads", o.Threads, "threads (0: one per core)")
	fs.IntVar(&o.EvalEvery, "eval-every", o.EvalEvery, "steps between validation losses (and loss.svg updates)")
	fs.IntVar(&o.EvalBatches, "eval-batches", o.EvalBatches, "micro-batches of the validation split used")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", o.CheckpointEvery, "steps between checkpoints")
	fs.IntVar(&o.Keep, "keep", o.Keep, "checkpoints kept")
	fs.StringVar(&o.Out, "out", o.Out, "folder for checkpoints, metrics.csv, loss.svg and run.json (required)")
	resume := fs.Bool("resume", false, "continue the run in --out from its last checkpoint, with its run.json settings (flags given override them)")
	fs.StringVar(&o.Init, "init", o.Init, "start from this model folder's weights (a checkpoint, or a Hugging Face Phi-3 folder) to fine-tune it; its shape replaces the shape flags")
	fs.StringVar(&o.SamplePrompt, "sample-prompt", o.SamplePrompt, `prompt of the sample printed at each checkpoint (default "Once upon a time", or a chat request for chat data)`)
	fs.IntVar(&o.SampleTokens, "sample-tokens", o.SampleTokens, "tokens of that sample (0: none)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gophi train --data DIR [--tokenizer TOKENIZER] --out DIR [flags]
       gophi train --resume --out DIR [flags]

Trains a Phi-3-architecture model from scratch (or from --init) on token
shards written by gophi tokenize, on this computer's CPU. Every checkpoint
(DIR/checkpoint-NNNNNN, the last --keep kept) is a Hugging Face model folder
that gophi run, gophi convert and transformers load; DIR also gets
metrics.csv, loss.svg (redrawn at each validation) and run.json. A run killed
at any moment continues with --resume exactly as if it had not stopped.
Data from chat records (gophi synth chat) has a loss mask: only the
assistant's tokens are learned.

Example:
  gophi synth stories -n 20000 -o stories.jsonl
  gophi tokenizer train --vocab-size 2048 -o tok.json stories.jsonl
  gophi tokenize --tokenizer tok.json -o shards stories.jsonl
  gophi train --data shards --tokenizer tok.json --out run1 --steps 2000
  gophi run run1/checkpoint-002000 "Once upon a time"

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("train: unexpected argument %q (flags only; see gophi train -h)", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "steps" { // --steps given wins over a --tokens from --config or run.json
			o.Tokens = 0
		}
	})
	if !*resume && (o.Data == "" || o.Out == "") {
		fs.Usage()
		return errUsage
	}
	log, _ := stderr.(*os.File)
	t, err := train.NewTrainer(o, *resume, stderr, report.IsTerminal(log))
	if err != nil {
		return err
	}
	defer t.Close()
	start := time.Now()
	res, err := t.Run(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("train: interrupted at step %d, checkpoint written; continue with: gophi train --resume --out %s", res.Step, o.Out)
		}
		return err
	}
	if res.Ran == 0 {
		fmt.Fprintf(stdout, "nothing to do: the run in %s is complete at step %d (give a larger --steps to go on)\nmodel: %s\n", o.Out, res.Step, res.Checkpoint)
		return nil
	}
	fmt.Fprintf(stdout, "trained %d steps (to step %d) in %s: train loss %.4f", res.Ran, res.Step, time.Since(start).Round(time.Second), res.TrainLoss)
	if res.ValLoss == res.ValLoss {
		fmt.Fprintf(stdout, ", val loss %.4f", res.ValLoss)
	}
	fmt.Fprintf(stdout, "\nmodel: %s (gophi run %s \"Once upon a time\")\n", res.Checkpoint, res.Checkpoint)
	return nil
}
