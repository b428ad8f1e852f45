// Command gophi runs Phi-3-family language models on this computer, offline.
//
//	gophi run [flags] MODEL [PROMPT]   chat, or answer one prompt
//	gophi show MODEL                   describe a model
//	gophi convert [flags] IN OUT       Hugging Face folder -> GGUF
//	gophi quantize [flags] IN OUT      GGUF or folder -> quantized GGUF
//	gophi create --random [flags] OUT  synthetic model with random weights
//	gophi bench [flags] MODEL          measure speed, like llama-bench
//	gophi synth COMMAND [flags]        synthetic training data
//	gophi tokenizer train [flags] IN   train a BPE tokenizer
//	gophi tokenize [flags] IN          documents -> token shards
//	gophi train [flags]                train a model on token shards
//
// MODEL is a Hugging Face model folder (config.json, *.safetensors,
// tokenizer.json) or a .gguf file. Flags go before the positional arguments.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usage = `gophi runs Phi-3-family language models on this computer, offline.

Usage:
  gophi run [flags] MODEL [PROMPT]   chat with a model, or answer PROMPT (or stdin) once
  gophi show MODEL                   print a model's architecture, size, tensor types and chat template
  gophi convert [flags] IN OUT       convert a Hugging Face folder to a GGUF file
  gophi quantize [flags] IN OUT      quantize a GGUF file or folder (Q4_K_M, Q8_0, ...) as llama-quantize does
  gophi create --random [flags] OUT  write a model of a real shape with random weights, for benchmarks
  gophi bench [flags] MODEL          measure prompt and generation speed, like llama-bench
  gophi synth COMMAND [flags]        make synthetic training data (stories, questions, chats, teacher data)
  gophi tokenizer train [flags] IN   train a BPE tokenizer (Phi-3's kind) and write its tokenizer.json
  gophi tokenize [flags] IN          encode documents into token shards for training
  gophi train [flags]                train a Phi-3-architecture model on token shards (or --resume a run)
  gophi version                      print gophi's version

MODEL is a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)
or a .gguf file. Flags go before the positional arguments; "gophi CMD -h" lists them.

Try it on the tiny model that ships with gophi (random weights, so it babbles):
  gophi run -n 40 testdata/phi3/phi3-mini-4k-tiny "Tell me a story"
`

func main() {
	// SIGTERM too, so a killed conversion or quantization removes its
	// temporary file instead of leaving gigabytes behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "gophi:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdin, stdout, stderr)
	case "show":
		return cmdShow(args[1:], stdout, stderr)
	case "convert":
		return cmdConvert(ctx, args[1:], stdout, stderr)
	case "quantize":
		return cmdQuantize(ctx, args[1:], stdout, stderr)
	case "create":
		return cmdCreate(ctx, args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr)
	case "synth":
		return cmdSynth(ctx, args[1:], stdin, stdout, stderr)
	case "tokenizer":
		return cmdTokenizer(ctx, args[1:], stdin, stdout, stderr)
	case "tokenize":
		return cmdTokenize(ctx, args[1:], stdin, stdout, stderr)
	case "train":
		return cmdTrain(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "gophi version", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "gophi: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
