package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gophi/gophi/tokenizer"
	"github.com/gophi/gophi/tokenizer/bpetrain"
	"github.com/gophi/gophi/tokenizer/shards"
)

const tokenizerUsage = `Usage: gophi tokenizer COMMAND [flags]

Commands:
  train   train a SentencePiece-style BPE tokenizer (Phi-3's kind) and write its tokenizer.json

"gophi tokenizer COMMAND -h" lists a command's flags.
`

func cmdTokenizer(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenizerUsage)
		return errUsage
	}
	switch args[0] {
	case "train":
		return cmdTokenizerTrain(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, tokenizerUsage)
		return nil
	}
	fmt.Fprintf(stderr, "gophi tokenizer: unknown command %q\n\n%s", args[0], tokenizerUsage)
	return errUsage
}

// inputFlags are the flags that say how input files become documents.
type inputFlags struct {
	format, field, textDocs *string
}

func addInputFlags(fs *flag.FlagSet) inputFlags {
	return inputFlags{
		format:   fs.String("format", bpetrain.FormatAuto, "input format: auto (.jsonl/.json/.ndjson[.gz] are JSONL, other names plain text; stdin is sniffed), jsonl or text"),
		field:    fs.String("field", "", "JSONL field with the document's text (default \"text\", but a chat record's \"messages\" when it has them, so that chats get the tokenizer's template and loss masks)"),
		textDocs: fs.String("text-docs", bpetrain.DocsLine, "what a document is in plain text: line, paragraph (blank-line separated) or file"),
	}
}

func (f inputFlags) input(paths []string, stdin io.Reader) *bpetrain.Input {
	return &bpetrain.Input{Paths: paths, Stdin: stdin, Format: *f.format, Field: *f.field, TextDocs: *f.textDocs}
}

// parseFlags parses args; help is not an error.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errUsage
	}
	return false, nil
}

func cmdTokenizerTrain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokenizer train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vocab := fs.Int("vocab-size", 0, fmt.Sprintf("number of token ids, special tokens included (required; at least %d plus one per special token)", bpetrain.MinVocabSize(0)))
	out := fs.String("o", "tokenizer.json", "output tokenizer.json")
	fs.StringVar(out, "output", "tokenizer.json", "same as -o")
	special := fs.String("special", "", `comma-separated special tokens, e.g. "<|user|>,<|assistant|>,<|end|>,<|system|>,<|endoftext|>"`)
	coverage := fs.Float64("character-coverage", bpetrain.DefaultCharacterCoverage, "fraction of the text's characters that single-character pieces cover; rarer characters fall back to bytes")
	maxLen := fs.Int("max-piece-length", bpetrain.DefaultMaxPieceLength, "longest piece, in characters")
	splitDigits := fs.Bool("split-digits", false, "keep every digit a token of its own")
	threads := fs.Int("threads", 0, "goroutines reading and counting (default: GOMAXPROCS)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	inf := addInputFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gophi tokenizer train --vocab-size N [flags] INPUT...

Trains a BPE tokenizer with byte fallback the way SentencePiece's spm_train
does (Phi-3's tokenizer type) and writes a Hugging Face tokenizer.json:
<unk>=0, <s>=1, </s>=2, the byte tokens <0x00>..<0xFF>, the merged pieces,
the characters, then the special tokens. INPUT is a JSONL file (the "text"
field, or the "messages" of a chat record), a plain-text file, or - for
stdin; .gz files are decompressed.

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 || *vocab == 0 {
		fs.Usage()
		return errUsage
	}
	var specials []string
	for _, s := range strings.Split(*special, ",") {
		if s = strings.TrimSpace(s); s != "" {
			specials = append(specials, s)
		}
	}
	opts := bpetrain.Options{
		VocabSize: *vocab, Specials: specials, CharacterCoverage: *coverage,
		MaxPieceLength: *maxLen, SplitDigits: *splitDigits,
	}
	var progress io.Writer
	if !*quiet {
		progress = stderr
		opts.Progress = stderr
	}
	if *maxLen <= 0 {
		return fmt.Errorf("--max-piece-length %d: must be at least 1", *maxLen)
	}
	in := inf.input(fs.Args(), stdin)
	in.Chat = bpetrain.ChatRenderer(specials)
	start := time.Now()
	counts, ist, err := bpetrain.Count(ctx, in, specials, *threads, progress)
	if err != nil {
		return err
	}
	if counts.Documents() == 0 {
		return fmt.Errorf("no documents in %s", strings.Join(fs.Args(), ", "))
	}
	if progress != nil {
		fmt.Fprintf(progress, "bpetrain: counted %d documents (%.1f MB, %d distinct words) in %s\n",
			counts.Documents(), float64(counts.Bytes())/1e6, counts.Words(), time.Since(start).Round(time.Millisecond))
	}
	m, err := bpetrain.Train(ctx, counts, opts)
	if err != nil {
		return err
	}
	if err := m.WriteFile(*out); err != nil {
		return err
	}
	st := m.Stats
	skipped := ""
	if ist.Skipped > 0 {
		skipped = fmt.Sprintf(", %d records without text skipped", ist.Skipped)
	}
	fmt.Fprintf(stdout, "wrote %s: %d tokens (%d fixed, %d characters covering %.4f%%, %d merged, %d special; %d merges) from %d documents (%.1f MB, %d distinct words%s) in %s; the text takes %d tokens, %.2f bytes/token\n",
		*out, m.VocabSize(), bpetrain.BaseSize, st.KeptCharacters, 100*st.Coverage, st.Merged, len(specials), st.Merges,
		st.Documents, float64(st.Bytes)/1e6, st.Words, skipped, time.Since(start).Round(time.Millisecond),
		st.Tokens, float64(st.Bytes)/float64(max(st.Tokens, 1)))
	return nil
}

// loadTokenizer loads a tokenizer.json, or a folder with one (and its
// tokenizer_config.json), and returns the tokenizer.json path.
func loadTokenizer(path string) (*tokenizer.Tokenizer, string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("--tokenizer: %w (give a tokenizer.json, e.g. from gophi tokenizer train, or a model folder)", err)
	}
	return tokenizer.LoadPath(path)
}

func cmdTokenize(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tokPath := fs.String("tokenizer", "", "tokenizer.json, or a folder with one (required)")
	out := fs.String("o", "", "output folder (required)")
	fs.StringVar(out, "output", "", "same as -o")
	shardTokens := fs.Int64("shard-tokens", shards.DefaultShardTokens, "most tokens per shard (a longer document gets a shard of its own)")
	valFrac := fs.Float64("val-fraction", 0.01, "fraction of documents held out in val-*.bin, chosen by a hash of each document's text")
	bos := fs.Bool("bos", true, "put BOS before every document")
	eos := fs.Bool("eos", true, "put EOS after every document")
	threads := fs.Int("threads", 0, "encoding goroutines (default: GOMAXPROCS)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	mask := maskFlag(bpetrain.MaskAuto)
	fs.Var(&mask, "mask", "write loss masks (*.mask): by default when an input record is a chat; --mask always, --mask=false never")
	inf := addInputFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: gophi tokenize --tokenizer TOKENIZER -o DIR [flags] INPUT...

Encodes documents into training shards in DIR: train-00000.bin, ...,
val-00000.bin (token ids, little-endian uint16, or uint32 for vocabularies
over 65536 ids; each document as BOS, its tokens, EOS) and index.json
(written last; read the folder with package tokenizer/shards). INPUT is as
for "gophi tokenizer train"; chat records are rendered with the tokenizer's
chat template (Phi-3's format when it has none; contents joined by newlines
when the vocabulary has no <|end|>).

When an input record is a chat (or with --mask), every shard gets a loss
mask beside it, train-00000.mask, ...: one byte per token, 1 when the
token's prediction counts in the loss (a chat's assistant content, the
<|end|> closing an assistant turn and the EOS after the last one; every
token of plain text but BOS), 0 when not (system and user turns, role
markers, BOS). --mask=false writes none.

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 || *tokPath == "" || *out == "" {
		fs.Usage()
		return errUsage
	}
	if *shardTokens <= 0 {
		return fmt.Errorf("--shard-tokens %d: must be positive", *shardTokens)
	}
	tok, jsonPath, err := loadTokenizer(*tokPath)
	if err != nil {
		return err
	}
	in := inf.input(fs.Args(), stdin)
	if _, ok := tok.ID("<|end|>"); ok {
		in.ChatSegments = func(msgs []tokenizer.Message) ([]tokenizer.ChatSegment, error) { return tok.ChatSegments(msgs, false) }
	}
	opts := bpetrain.TokenizeOptions{
		Dir: *out, ShardTokens: *shardTokens, ValFraction: *valFrac, DocBOS: *bos, DocEOS: *eos,
		Workers: *threads, TokenizerPath: jsonPath, Mask: bpetrain.MaskMode(mask),
	}
	if !*quiet {
		opts.Progress = stderr
	}
	res, err := bpetrain.Tokenize(ctx, tok, in, opts)
	if err != nil {
		return err
	}
	x := res.Index
	n := res.Tokens()
	skipped := ""
	if res.Input.Skipped > 0 {
		skipped = fmt.Sprintf(", %d records without text skipped", res.Input.Skipped)
	}
	masked := ""
	if x.Masked {
		masked = fmt.Sprintf(", with loss masks (%d chat records)", res.Chats)
	}
	fmt.Fprintf(stdout, "wrote %d tokens in %d shards (train %d, val %d) to %s, %d documents (%.1f MB%s) in %s, %.2f M tokens/s%s\n",
		n, len(x.Train)+len(x.Val), x.Tokens(shards.Train), x.Tokens(shards.Val), *out,
		res.Input.Documents, float64(res.Input.Bytes)/1e6, skipped, res.Duration.Round(time.Millisecond),
		float64(n)/res.Duration.Seconds()/1e6, masked)
	return nil
}

// maskFlag is --mask: a boolean flag whose unset value is "auto".
type maskFlag bpetrain.MaskMode

// String returns "auto", "true" or "false".
func (m *maskFlag) String() string {
	switch bpetrain.MaskMode(*m) {
	case bpetrain.MaskOn:
		return "true"
	case bpetrain.MaskOff:
		return "false"
	}
	return "auto"
}

// Set parses a boolean or "auto".
func (m *maskFlag) Set(s string) error {
	if s == "auto" {
		*m = maskFlag(bpetrain.MaskAuto)
		return nil
	}
	on, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true, false or auto: %w", err)
	}
	*m = maskFlag(bpetrain.MaskOff)
	if on {
		*m = maskFlag(bpetrain.MaskOn)
	}
	return nil
}

// IsBoolFlag lets --mask stand alone.
func (m *maskFlag) IsBoolFlag() bool { return true }
