package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/gophi/gophi/synth/filter"
)

func init() {
	synthCommands["filter"] = synthCommand{
		summary: "clean a JSONL corpus: dedup, near-dup, language, vocabulary, length, safety, readability order",
		run:     cmdSynthFilter,
	}
}

const synthFilterUsage = `Usage: gophi synth filter [flags] -o OUT.jsonl IN.jsonl...

Filters samples (JSON objects with a "text" string, one a line; "-" reads
stdin) through the steps asked for, in this order: length, lang, safety,
vocab, dedup, near-dup; then orders them. Kept lines are written unchanged.
Prints a table of every step: records in, kept, dropped and why.

Flags:
  -o FILE                 output JSONL file, replaced at the end ("-": stdout)
      --min-words N       drop texts under N words
      --max-words N       drop texts over N words
      --min-chars N       drop texts under N characters
      --max-chars N       drop texts over N characters
      --lang en           drop texts that do not look English (ASCII letters and
                          common English words)
      --safety            drop texts matching gophi's safety list (hate, sexual,
                          violence, self-harm, drugs, profanity; whole words) and
                          texts the teacher judged not fine for a child
      --safety-list FILE  use this list instead (the format of gophi's own,
                          synth/filter/safety.txt); implies --safety
      --vocab FILE        drop texts with too many words outside this vocabulary
                          (one word a line; inflections like -s, -ed, -ing count)
      --max-oov F         the largest fraction of unknown words (default 0.02)
      --names             count capitalized words as known names (default true)
      --dedup             drop exact duplicates (case, spacing, punctuation ignored)
      --near-dup J        drop near-duplicates of Jaccard similarity J or more
                          (MinHash + LSH; 0.8 is usual; default 0: off)
      --shingle K         words per shingle for --near-dup (default 3)
      --perms P           MinHash hash functions (default 128)
      --sort readability  order easiest first (Flesch-Kincaid grade; stable)
`

func cmdSynthFilter(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var (
		out, lang, vocabFile, safetyList, sortBy               string
		minWords, maxWords, minChars, maxChars, shingle, perms int
		maxOOV, nearDup                                        float64
		dedup, safety, names                                   bool
	)
	fs := flag.NewFlagSet("synth filter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, synthFilterUsage) }
	fs.StringVar(&out, "o", "", "")
	fs.IntVar(&minWords, "min-words", 0, "")
	fs.IntVar(&maxWords, "max-words", 0, "")
	fs.IntVar(&minChars, "min-chars", 0, "")
	fs.IntVar(&maxChars, "max-chars", 0, "")
	fs.StringVar(&lang, "lang", "", "")
	fs.BoolVar(&safety, "safety", false, "")
	fs.StringVar(&safetyList, "safety-list", "", "")
	fs.StringVar(&vocabFile, "vocab", "", "")
	fs.Float64Var(&maxOOV, "max-oov", 0.02, "")
	fs.BoolVar(&names, "names", true, "")
	fs.BoolVar(&dedup, "dedup", false, "")
	fs.Float64Var(&nearDup, "near-dup", 0, "")
	fs.IntVar(&shingle, "shingle", 3, "")
	fs.IntVar(&perms, "perms", 128, "")
	fs.StringVar(&sortBy, "sort", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if out == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "gophi synth filter: -o and at least one input are required")
		fs.Usage()
		return errUsage
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"--min-words", minWords}, {"--max-words", maxWords}, {"--min-chars", minChars}, {"--max-chars", maxChars}} {
		if v.n < 0 {
			return fmt.Errorf("synth filter: %s %d: must not be negative", v.name, v.n)
		}
	}
	if maxOOV < 0 || maxOOV > 1 {
		return fmt.Errorf("synth filter: --max-oov %v: want a fraction from 0 to 1", maxOOV)
	}

	var p filter.Pipeline
	if minWords > 0 || maxWords > 0 || minChars > 0 || maxChars > 0 {
		p.Steps = append(p.Steps, filter.Length{MinWords: minWords, MaxWords: maxWords, MinChars: minChars, MaxChars: maxChars})
	}
	switch lang {
	case "":
	case "en":
		p.Steps = append(p.Steps, filter.English{})
	default:
		return fmt.Errorf("synth filter: --lang %q: only en is known", lang)
	}
	if safety || safetyList != "" {
		list := filter.DefaultBlocklist()
		if safetyList != "" {
			f, err := os.Open(safetyList)
			if err != nil {
				return fmt.Errorf("synth filter: --safety-list: %w", err)
			}
			list, err = filter.ParseBlocklist(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("synth filter: %s: %w", safetyList, err)
			}
		}
		p.Steps = append(p.Steps, filter.Safety{List: list, UseVerdict: true})
	}
	if vocabFile != "" {
		f, err := os.Open(vocabFile)
		if err != nil {
			return fmt.Errorf("synth filter: --vocab: %w", err)
		}
		v, err := filter.ParseVocabulary(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("synth filter: %s: %w", vocabFile, err)
		}
		p.Steps = append(p.Steps, filter.VocabCheck{Vocab: v, MaxOOV: maxOOV, Names: names})
	}
	if dedup {
		p.Steps = append(p.Steps, filter.NewExactDedup())
	}
	if nearDup != 0 {
		nd, err := filter.NewNearDedup(nearDup, perms, shingle)
		if err != nil {
			return fmt.Errorf("synth filter: --near-dup: %w", err)
		}
		p.Steps = append(p.Steps, nd)
	}
	switch sortBy {
	case "":
	case "readability":
		p.Order = filter.Readability{}
	default:
		return fmt.Errorf("synth filter: --sort %q: only readability is known", sortBy)
	}

	var inputs []filter.Input
	for _, name := range fs.Args() {
		if name == "-" {
			inputs = append(inputs, filter.Input{Name: "stdin", R: stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("synth filter: %w", err)
		}
		defer f.Close()
		inputs = append(inputs, filter.Input{Name: name, R: f})
	}

	reportTo := stdout
	var rep filter.Report
	target, inPlace, err := filterOutput(out)
	if err != nil {
		return fmt.Errorf("synth filter: -o: %w", err)
	}
	switch {
	case out == "-":
		reportTo = stderr
		if rep, err = p.Run(ctx, inputs, stdout); err != nil {
			return err
		}
	case inPlace:
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("synth filter: %w", err)
		}
		rep, err = p.Run(ctx, inputs, f)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("synth filter: %w", cerr)
		}
		if err != nil {
			return err
		}
	default:
		// Write a temporary file next to OUT and rename it at the end, so
		// OUT is never half written (and may be one of the inputs).
		tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
		if err != nil {
			return fmt.Errorf("synth filter: %w", err)
		}
		defer os.Remove(tmp.Name())
		rep, err = p.Run(ctx, inputs, tmp)
		if err == nil {
			err = tmp.Chmod(0o644)
		}
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), target)
		}
		if err != nil {
			return fmt.Errorf("synth filter: %s: %w", out, err)
		}
	}
	return rep.WriteTable(reportTo)
}

// filterOutput says where and how to write OUT: a regular file (or a new
// one) is written to a temporary file renamed over its real path (symlinks
// followed) at the end; anything else, like /dev/null or a pipe, must not
// be replaced and is written in place.
func filterOutput(out string) (path string, inPlace bool, err error) {
	if out == "-" {
		return out, false, nil
	}
	real, err := filepath.EvalSymlinks(out)
	if errors.Is(err, iofs.ErrNotExist) {
		return out, false, nil
	}
	if err != nil {
		return "", false, err
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", false, err
	}
	if st.IsDir() {
		return "", false, fmt.Errorf("%s is a folder", out)
	}
	return real, !st.Mode().IsRegular(), nil
}
