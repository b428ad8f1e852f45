package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gophi/gophi/convert"
	"github.com/gophi/gophi/tensor"
)

func cmdConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typ := fs.String("type", "F16", "weight type: F32, F16, BF16, Q8_0 or Q4_0")
	name := fs.String("name", "", "general.name for the file (default: the folder's name)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: gophi convert [flags] HF_FOLDER OUT.gguf\n\nWrites a GGUF file (arch phi3, llama.cpp-compatible) from a Hugging Face model folder.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	t, err := tensor.ParseDType(*typ)
	if err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	start := time.Now()
	err = convert.HFToGGUF(ctx, fs.Arg(0), fs.Arg(1), convert.Options{
		Type: t,
		Name: *name,
		Warn: func(msg string) { fmt.Fprintln(stderr, "warning:", msg) },
		Progress: func(done, total int, tensorName string) {
			fmt.Fprintf(stderr, "\r[%d/%d] %-60s", done, total, tensorName)
		},
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s) in %v\n", fs.Arg(1), t, time.Since(start).Round(time.Millisecond))
	return nil
}
