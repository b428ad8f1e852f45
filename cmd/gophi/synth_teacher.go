package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/gophi/gophi/synth/teacher"
)

func init() {
	synthCommands["teacher"] = synthCommand{
		summary: "stories from a teacher model (OpenAI or Ollama API), or its grades of samples (--judge)",
		run:     cmdSynthTeacher,
	}
}

const synthTeacherUsage = `Usage: gophi synth teacher [flags] --model NAME -o OUT.jsonl
       gophi synth teacher --judge [flags] --model NAME -o OUT.jsonl IN.jsonl...

Asks a teacher model for short stories the TinyStories way: each prompt
requires a random noun, verb and adjective and one to three random features
(dialogue, plot twist, bad ending, moral, conflict, foreshadowing). Records
(index, seed, instruction, words, features, text, model, usage) are appended
to OUT.jsonl as they arrive; run the same command again after a crash or ^C
and it continues where it stopped, without losing or repeating a record.

With --judge-threshold X each story is also graded by the model (grammar,
consistency, creativity, educational value, 1-10, and "fine for a young
child?") and kept if the mean mark is at least X and it is child safe; the
others go to the rejected file with their grades. With --judge, the samples
of IN.jsonl files (objects with a "text" field) are graded instead.

The API key comes from GOPHI_TEACHER_API_KEY, or for the OpenAI API from
OPENAI_API_KEY, and is sent as a Bearer token.

Flags:
      --endpoint URL        the chat endpoint (default $GOPHI_TEACHER_ENDPOINT or
                            http://127.0.0.1:11434/api/chat): .../v1/chat/completions
                            or .../api/chat, or a base URL with --api
      --api API             openai, ollama or auto (by the endpoint's path; default)
      --model NAME          the teacher model (required)
  -o FILE                   output JSONL file, continued if it exists (required)
      --rejected FILE       judged samples that do not pass (default OUT.rejected.jsonl)
  -n N                      stories to make (default 10)
      --seed S              seed of the prompts (default 1); a rerun must use the same
      --words FILE          word list, one "WORD POS" a line (ball noun, jump verb,
                            red adjective); default: gophi's own list of simple words
      --temperature T       sampling temperature of stories (default 1)
      --max-tokens N        longest answer in tokens (default 1024)
      --concurrency C       requests in flight (default 1)
      --rps R               at most R requests a second (token bucket; default no limit)
      --burst B             requests allowed at once under --rps (default 1)
      --retries K           retries of a failed request (default 5): timeouts, connection
                            errors, 408, 429 (after Retry-After), 5xx; backoff 1s·2^k
      --timeout D           time limit of one request (default 5m)
      --judge               grade the samples of IN.jsonl instead of making stories
      --judge-threshold X   lowest mean mark (1-10) kept; while generating, it turns
                            grading on
      --judge-retries K     asks again when a grade is malformed (default 2)
      --json-mode           ask the server for JSON grades (response_format / format)
  -v, --verbose             log every request that is retried and every record
`

func cmdSynthTeacher(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var (
		endpoint, api, model, out, rejected, wordsFile string
		n, concurrency, burst, retries, maxTokens      int
		judgeRetries                                   int
		seed                                           uint64
		rps, temperature, threshold                    float64
		timeout                                        time.Duration
		judge, jsonMode, verbose                       bool
	)
	defEndpoint := os.Getenv("GOPHI_TEACHER_ENDPOINT")
	if defEndpoint == "" {
		defEndpoint = "http://127.0.0.1:11434/api/chat"
	}
	fs := flag.NewFlagSet("synth teacher", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, synthTeacherUsage) }
	fs.StringVar(&endpoint, "endpoint", defEndpoint, "")
	fs.StringVar(&api, "api", "auto", "")
	fs.StringVar(&model, "model", "", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&rejected, "rejected", "", "")
	fs.IntVar(&n, "n", 10, "")
	fs.Uint64Var(&seed, "seed", 1, "")
	fs.StringVar(&wordsFile, "words", "", "")
	fs.Float64Var(&temperature, "temperature", 1, "")
	fs.IntVar(&maxTokens, "max-tokens", 1024, "")
	fs.IntVar(&concurrency, "concurrency", 1, "")
	fs.Float64Var(&rps, "rps", 0, "")
	fs.IntVar(&burst, "burst", 1, "")
	fs.IntVar(&retries, "retries", 5, "")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "")
	fs.BoolVar(&judge, "judge", false, "")
	fs.Float64Var(&threshold, "judge-threshold", 0, "")
	fs.IntVar(&judgeRetries, "judge-retries", 2, "")
	fs.BoolVar(&jsonMode, "json-mode", false, "")
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	thresholdSet := false
	fs.Visit(func(f *flag.Flag) { thresholdSet = thresholdSet || f.Name == "judge-threshold" })
	switch {
	case model == "" || out == "":
		fmt.Fprintln(stderr, "gophi synth teacher: --model and -o are required")
		fs.Usage()
		return errUsage
	case judge && fs.NArg() == 0:
		fmt.Fprintln(stderr, "gophi synth teacher: --judge needs input JSONL files")
		return errUsage
	case !judge && fs.NArg() > 0:
		fmt.Fprintf(stderr, "gophi synth teacher: unexpected arguments %q (input files are for --judge)\n", fs.Args())
		return errUsage
	case n < 0 || concurrency < 1 || retries < 0 || judgeRetries < 0 || maxTokens < 0 || rps < 0 || timeout < 0:
		return errors.New("synth teacher: -n, --retries, --judge-retries, --max-tokens, --rps and --timeout must not be negative, --concurrency at least 1")
	case thresholdSet && (threshold < 0 || threshold > 10):
		return fmt.Errorf("synth teacher: --judge-threshold %v: want a mark from 0 to 10", threshold)
	}
	url, kind, err := teacher.ResolveEndpoint(endpoint, api)
	if err != nil {
		return fmt.Errorf("synth teacher: --endpoint: %w", err)
	}
	key := os.Getenv("GOPHI_TEACHER_API_KEY")
	if key == "" && kind == teacher.OpenAI {
		key = os.Getenv("OPENAI_API_KEY")
	}
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	client := &teacher.Client{Endpoint: url, API: kind, Model: model, APIKey: key, Timeout: timeout, Retries: retries, Log: log}
	if rps > 0 {
		if client.Limiter, err = teacher.NewLimiter(rps, burst, nil); err != nil {
			return fmt.Errorf("synth teacher: --rps: %w", err)
		}
	}
	jopt := teacher.JudgeOptions{Threshold: threshold, Retries: judgeRetries, JSONMode: jsonMode}
	var progress func(teacher.Stats)
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = func(s teacher.Stats) {
			fmt.Fprintf(stderr, "\r%d/%d done, %d failed, %d tokens ", s.Before+s.Kept+s.Rejected, s.Total, s.Failed,
				s.Usage.PromptTokens+s.Usage.CompletionTokens)
		}
	}

	var st teacher.Stats
	if judge {
		st, err = teacher.JudgeFiles(ctx, teacher.JudgeConfig{Client: client, Inputs: fs.Args(), Out: out, Rejected: rejected,
			Concurrency: concurrency, Judge: jopt, Log: log, Progress: progress})
	} else {
		words := teacher.DefaultWords()
		if wordsFile != "" {
			f, err := os.Open(wordsFile)
			if err != nil {
				return fmt.Errorf("synth teacher: --words: %w", err)
			}
			words, err = teacher.ParseWords(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("synth teacher: --words %s: %w", wordsFile, err)
			}
		}
		cfg := teacher.GenerateConfig{Client: client, Words: words, N: n, Seed: seed, Out: out, Rejected: rejected,
			Concurrency: concurrency, Options: teacher.Options{Temperature: temperature, MaxTokens: maxTokens},
			Log: log, Progress: progress}
		if thresholdSet {
			cfg.Judge = &jopt
		}
		st, err = teacher.Generate(ctx, cfg)
	}
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if st.TornBytes > 0 {
		fmt.Fprintf(stderr, "cut away a torn last line (%d bytes) left by an interrupted run\n", st.TornBytes)
	}
	if st.Total > 0 || err == nil {
		printTeacherTotals(stdout, out, rejected, judge || thresholdSet, st)
	}
	return err
}

func printTeacherTotals(w io.Writer, out, rejected string, judging bool, st teacher.Stats) {
	if rejected == "" {
		rejected = teacher.RejectedPath(out)
	}
	fmt.Fprintf(w, "%s: %d records written this run", out, st.Kept)
	if judging {
		fmt.Fprintf(w, ", %d rejected to %s", st.Rejected, rejected)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "tokens this run:     prompt %d, completion %d, total %d\n",
		st.Usage.PromptTokens, st.Usage.CompletionTokens, st.Usage.PromptTokens+st.Usage.CompletionTokens)
	fmt.Fprintf(w, "tokens in the files: prompt %d, completion %d, total %d\n",
		st.FileUsage.PromptTokens, st.FileUsage.CompletionTokens, st.FileUsage.PromptTokens+st.FileUsage.CompletionTokens)
	fmt.Fprintf(w, "teacher: %s\n", st)
}
