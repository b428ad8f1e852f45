// Package engine runs generation on a loaded model: it owns the model and
// its tokenizer, renders chat prompts, streams decoded text out as tokens
// are sampled, and stops at end tokens, stop strings, a token limit, the
// context limit or cancellation. The CLI, the server and Go programs use it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/sample"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
)

// Engine is a loaded model with its tokenizer.
type Engine struct {
	Model     *model.Model
	Tokenizer *tokenizer.Tokenizer
	// Path is where the model was loaded from.
	Path string
	// LoadDuration is how long Load took.
	LoadDuration time.Duration
	// Format is "safetensors" or "gguf".
	Format string

	gguf *gguf.File // kept open for the model's weights
}

// Options control loading.
type Options struct {
	NoMmap  bool // read weights into memory instead of mapping the file
	Threads int  // 0: one per core
	// KVType is the KV cache's element type: tensor.F32 (zero value, exact)
	// or tensor.F16 (half the memory; the CLI's default).
	KVType tensor.DType
	// ExactHalf keeps prompt products with F16/BF16 weights in float32
	// instead of bfloat16 pairs (see model.LoadOptions.ExactHalf).
	ExactHalf bool
	// TokenizerOptional loads a model folder that has no tokenizer.json
	// (Tokenizer is then nil), for inspecting it; generation needs one.
	TokenizerOptional bool
}

// Load loads a model and its tokenizer from a Hugging Face folder
// (config.json, *.safetensors, tokenizer.json) or a GGUF file.
func Load(path string, opts Options) (*Engine, error) {
	start := time.Now()
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("engine: %w (give a Hugging Face model folder or a .gguf file)", err)
	}
	e := &Engine{Path: path}
	lo := model.LoadOptions{NoMmap: opts.NoMmap, Threads: opts.Threads, KVType: opts.KVType, ExactHalf: opts.ExactHalf}
	if st.IsDir() {
		e.Format = "safetensors"
		if _, err := os.Stat(filepath.Join(path, "tokenizer.json")); err == nil {
			if e.Tokenizer, err = tokenizer.LoadDir(path); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
		} else if !opts.TokenizerOptional {
			return nil, fmt.Errorf("engine: %s has no tokenizer.json: gophi needs the model's tokenizer to turn text into tokens", path)
		}
		if e.Model, err = model.LoadDir(path, lo); err != nil {
			return nil, err
		}
	} else {
		e.Format = "gguf"
		f, err := gguf.OpenWith(path, gguf.OpenOptions{NoMmap: opts.NoMmap, Background: opts.NoMmap})
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		if e.Tokenizer, err = TokenizerFromGGUF(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("engine: %s: %w", path, err)
		}
		if e.Model, err = model.FromGGUF(f, lo); err != nil {
			f.Close()
			return nil, err
		}
		e.gguf = f
	}
	if e.Tokenizer != nil && e.Tokenizer.Len() > e.Model.Config.VocabSize {
		n := e.Tokenizer.Len()
		e.Close()
		return nil, fmt.Errorf("engine: %s: the tokenizer has %d tokens but the model only %d logits", path, n, e.Model.Config.VocabSize)
	}
	e.LoadDuration = time.Since(start)
	return e, nil
}

// TokenizerFromGGUF builds a tokenizer from a GGUF file's tokenizer.ggml.*
// vocabulary.
func TokenizerFromGGUF(f *gguf.File) (*tokenizer.Tokenizer, error) {
	var v tokenizer.Vocab
	v.Model, _ = f.String("tokenizer.ggml.model")
	if v.Model == "" {
		return nil, errors.New("no tokenizer.ggml.model: the file has no vocabulary")
	}
	var ok bool
	if v.Tokens, ok = f.Strings("tokenizer.ggml.tokens"); !ok {
		return nil, errors.New("tokenizer.ggml.tokens is missing")
	}
	v.Pre, _ = f.String("tokenizer.ggml.pre")
	v.Scores, _ = f.Float32s("tokenizer.ggml.scores")
	v.Types, _ = f.Int32s("tokenizer.ggml.token_type")
	v.Merges, _ = f.Strings("tokenizer.ggml.merges")
	id := func(key string) int32 {
		if x, ok := f.Uint(key); ok && x < uint64(len(v.Tokens)) {
			return int32(x)
		}
		return -1
	}
	v.BOS = id("tokenizer.ggml.bos_token_id")
	v.EOS = id("tokenizer.ggml.eos_token_id")
	v.UNK = id("tokenizer.ggml.unknown_token_id")
	v.PAD = id("tokenizer.ggml.padding_token_id")
	if eot := id("tokenizer.ggml.eot_token_id"); eot >= 0 {
		v.EOG = append(v.EOG, eot)
	}
	v.AddBOS, _ = f.Bool("tokenizer.ggml.add_bos_token")
	v.AddEOS, _ = f.Bool("tokenizer.ggml.add_eos_token")
	v.ChatTemplate, _ = f.String("tokenizer.chat_template")
	return tokenizer.FromVocab(v)
}

// Close releases the model.
func (e *Engine) Close() error {
	var errs []error
	if e.Model != nil {
		errs = append(errs, e.Model.Close())
	}
	if e.gguf != nil {
		errs = append(errs, e.gguf.Close())
	}
	return errors.Join(errs...)
}

// Request is one generation.
type Request struct {
	// Tokens is the prompt, already tokenized (see Engine.Prompt).
	Tokens []int32
	// Sampling parameters; use sample.DefaultOptions() as a base.
	Sampling sample.Options
	// MaxTokens caps the generated tokens; ≤ 0 means until an end token
	// or the context is full.
	MaxTokens int
	// Stop strings end generation; the stop string itself is not emitted.
	Stop []string
}

// Stats describe a finished generation.
type Stats struct {
	PromptTokens   int           // tokens evaluated for the prompt (excluding a reused cache prefix)
	CachedTokens   int           // prompt tokens reused from the session's cache
	Generated      int           // tokens generated
	PromptDuration time.Duration // time to evaluate the prompt (time to first token)
	GenDuration    time.Duration // time spent generating after the first token
	// DoneReason is "stop" (end token or stop string), "length" (MaxTokens
	// or the context is full) or "cancel".
	DoneReason string
}

// Prompt renders messages with the model's chat template (adding the
// assistant's turn) and tokenizes the result; raw skips the template and
// tokenizes text as is (adding BOS only when the tokenizer asks for it).
func (e *Engine) Prompt(messages []tokenizer.Message, raw bool) ([]int32, error) {
	if raw {
		var b strings.Builder
		for _, m := range messages {
			b.WriteString(m.Content)
		}
		return e.Tokenizer.Encode(b.String(), true), nil
	}
	text, err := e.Tokenizer.ApplyChatTemplate(messages, true)
	if err != nil {
		return nil, err
	}
	return e.Tokenizer.Encode(text, true), nil
}

// Session is one conversation on the engine: a sequence whose KV cache is
// reused across turns, so each turn only evaluates its new tokens.
type Session struct {
	e    *Engine
	seq  *model.Sequence
	step model.Step // reused every token, so decoding allocates nothing
	tok  [1]int32
}

// NewSession starts a conversation with a context of ctx tokens (≤ 0: the
// model's maximum, capped at 4096 to keep the cache small).
func (e *Engine) NewSession(ctx int) (*Session, error) {
	if ctx <= 0 {
		ctx = min(4096, e.Model.Config.MaxPositions)
	}
	seq, err := e.Model.NewSequence(ctx)
	if err != nil {
		return nil, err
	}
	return &Session{e: e, seq: seq}, nil
}

// Context returns the session's context length in tokens.
func (s *Session) Context() int { return s.seq.Context() }

// Reset forgets the conversation.
func (s *Session) Reset() { s.seq.Truncate(0) }

// ErrPromptTooLong is returned (wrapped) when a prompt does not fit in the
// context.
var ErrPromptTooLong = errors.New("prompt too long")

// Generate continues the session with req.Tokens, which should hold the
// whole conversation so far: the longest prefix already in the cache is
// reused and only the rest is evaluated. emit receives the generated text
// piece by piece, valid UTF-8, with end tokens and stop strings left out;
// an error from emit stops generation and is returned.
func (s *Session) Generate(ctx context.Context, req Request, emit func(text string) error) (st Stats, err error) {
	e := s.e
	if len(req.Tokens) == 0 {
		return st, errors.New("engine: empty prompt")
	}
	if len(req.Tokens) >= s.seq.Context() {
		return st, fmt.Errorf("engine: the prompt is %d tokens but the context holds %d (model maximum %d); shorten the prompt or raise the context length (--ctx): %w",
			len(req.Tokens), s.seq.Context(), e.Model.Config.MaxPositions, ErrPromptTooLong)
	}
	sampler, err := sample.New(req.Sampling, e.Model.Config.VocabSize)
	if err != nil {
		return st, fmt.Errorf("engine: %w", err)
	}
	// Logit rows past the tokenizer's vocabulary (Phi-3 pads 32011 tokens
	// to 32064) map to no token: never sample them.
	if n := e.Tokenizer.Len(); n < e.Model.Config.VocabSize {
		mask := make([]int32, 0, e.Model.Config.VocabSize-n)
		for id := n; id < e.Model.Config.VocabSize; id++ {
			mask = append(mask, int32(id))
		}
		sampler.SetMask(mask)
	}

	// Reuse the cached prefix; keep at least one token to evaluate.
	common := 0
	old := s.seq.Tokens()
	for common < len(old) && common < len(req.Tokens)-1 && old[common] == req.Tokens[common] {
		common++
	}
	s.seq.Truncate(common)
	st.CachedTokens = common
	st.PromptTokens = len(req.Tokens) - common

	start := time.Now()
	eval := func(tokens []int32) ([]float32, error) {
		s.step.Seq, s.step.Tokens, s.step.AllLogits = s.seq, tokens, false
		if err := e.Model.Forward(&s.step); err != nil {
			return nil, err
		}
		return s.step.Logits, nil
	}
	var logits []float32
	logits, err = eval(req.Tokens[common:])
	if err != nil {
		return st, err
	}
	st.PromptDuration = time.Since(start)
	genStart := time.Now()
	defer func() { st.GenDuration = time.Since(genStart) }()

	dec := e.Tokenizer.NewDecoder(true)
	stop := stopper{stops: req.Stop}
	out := func(text string) error {
		if text == "" {
			return nil
		}
		return emit(text)
	}
	for {
		if err := ctx.Err(); err != nil {
			st.DoneReason = "cancel"
			return st, err
		}
		next := sampler.Sample(logits, s.seq.Tokens())
		if e.Tokenizer.IsEOG(next) {
			st.DoneReason = "stop"
			break
		}
		st.Generated++
		text, stopped := stop.push(dec.Add(next))
		if err := out(text); err != nil {
			return st, err
		}
		if stopped {
			st.DoneReason = "stop"
			return st, nil
		}
		if req.MaxTokens > 0 && st.Generated >= req.MaxTokens || s.seq.Len() >= s.seq.Context() {
			st.DoneReason = "length"
			break
		}
		s.tok[0] = next
		if logits, err = eval(s.tok[:]); err != nil {
			return st, err
		}
	}
	text, _ := stop.push(dec.Flush())
	if err := out(text + stop.flush()); err != nil {
		return st, err
	}
	return st, nil
}
