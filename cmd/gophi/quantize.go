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

func cmdQuantize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("quantize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typ := fs.String("type", "Q4_K_M", "file type: "+fileTypeNames())
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gophi quantize [flags] IN OUT.gguf

Writes a quantized GGUF file as llama.cpp's llama-quantize does (same
per-tensor types, same rounding). IN is a GGUF file with F32, F16 or BF16
tensors, or a Hugging Face model folder.

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
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	ft, err := quantize.ParseFileType(*typ)
	if err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	start := time.Now()
	err = quantize.Quantize(ctx, fs.Arg(0), fs.Arg(1), ft, progressTo(stderr))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s) in %v\n", fs.Arg(1), ft, time.Since(start).Round(time.Millisecond))
	return nil
}

// fileTypeNames lists the writable file types for flag help.
func fileTypeNames() string {
	var names []string
	for _, ft := range quantize.FileTypes() {
		names = append(names, ft.String())
	}
	return strings.Join(names, ", ")
}

// progressTo reports per-tensor progress on one rewritten line of w.
func progressTo(w io.Writer) func(done, total int, name string) {
	return func(done, total int, name string) {
		fmt.Fprintf(w, "\r[%d/%d] %-40s", done, total, name)
	}
}
