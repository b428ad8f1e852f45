package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gophi/gophi/quantize"
)

func cmdCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	random := fs.Bool("random", false, "fill the weights with random values (required: the only kind of model create makes)")
	shape := fs.String("shape", "phi3-mini", "model shape: "+strings.Join(quantize.Shapes(), ", "))
	typ := fs.String("type", "Q4_0", "file type: "+fileTypeNames())
	seed := fs.Uint64("seed", 1, "random seed; the same seed, shape and type give the same file")
	tokDir := fs.String("tokenizer", "", "folder with Phi-3's tokenizer.json (default: testdata/phi3/phi3-tokenizer of the gophi source tree, searched upwards from here)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gophi create --random [flags] OUT.gguf

Writes a synthetic GGUF model (arch phi3) of a real model's shape with random
weights, for benchmarks: it loads and runs like the real model, in gophi and
in llama.cpp, but babbles. Phi-3 shapes get Phi-3's vocabulary; phi4-mini
gets none (gophi runs it on token ids).

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 1 || !*random {
		fs.Usage()
		return errUsage
	}
	ft, err := quantize.ParseFileType(*typ)
	if err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	start := time.Now()
	err = quantize.WriteRandomWith(ctx, fs.Arg(0), quantize.RandomOptions{
		Shape: *shape, Type: ft, Seed: *seed, TokenizerDir: *tokDir,
		Progress: progressTo(stderr),
		Warn:     func(msg string) { fmt.Fprintln(stderr, "warning:", msg) },
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s %s, random) in %v\n", fs.Arg(0), *shape, ft, time.Since(start).Round(time.Millisecond))
	return nil
}
