package bpetrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/gophi/gophi/tokenizer"
	"github.com/gophi/gophi/tokenizer/shards"
)

// reporter prints a progress line at most once per second.
type reporter struct {
	w     io.Writer
	name  string
	start time.Time
	next  time.Time
}

func newReporter(w io.Writer, name string) *reporter {
	now := time.Now()
	return &reporter{w: w, name: name, start: now, next: now.Add(time.Second)}
}

// report prints line() when a second has passed since the last line.
func (r *reporter) report(line func() string) {
	if r.w == nil {
		return
	}
	if now := time.Now(); now.After(r.next) {
		r.next = now.Add(time.Second)
		fmt.Fprintf(r.w, "%s: %s, %s\n", r.name, line(), time.Since(r.start).Round(time.Millisecond))
	}
}

// TokenizeOptions configure Tokenize.
type TokenizeOptions struct {
	// Dir is the output folder.
	Dir string
	// ShardTokens is the shard size limit (shards.DefaultShardTokens when
	// 0).
	ShardTokens int64
	// ValFraction is the fraction of documents held out for validation,
	// chosen by a hash of each document's text (so that duplicates land in
	// the same split).
	ValFraction float64
	// DocBOS and DocEOS put the tokenizer's BOS before and EOS after every
	// document.
	DocBOS, DocEOS bool
	// Workers is the number of encoding goroutines (GOMAXPROCS when 0).
	Workers int
	// Progress, when not nil, receives a progress line per second.
	Progress io.Writer
	// TokenizerPath is the tokenizer.json file; it is recorded in the
	// index with its SHA-256.
	TokenizerPath string
}

// TokenizeResult describes a Tokenize run.
type TokenizeResult struct {
	// Index is the written index.json.
	Index *shards.Index
	// Input counts what was read.
	Input InputStats
	// Duration is the wall time of the run.
	Duration time.Duration
}

// Tokens returns the number of tokens written.
func (r *TokenizeResult) Tokens() int64 {
	return r.Index.Tokens(shards.Train) + r.Index.Tokens(shards.Val)
}

// IsVal reports whether a document belongs to the validation split for a
// validation fraction: a 64-bit hash of its text (FNV-1a, then SplitMix64's
// finalizer), read as a number in [0, 1), below the fraction.
func IsVal(doc string, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(doc); i++ {
		h ^= uint64(doc[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return float64(h>>11)/(1<<53) < fraction
}

// encoded is one batch of encoded documents.
type encoded struct {
	ids  []int32
	lens []int32
	val  []bool
}

// Tokenize encodes the input's documents with tok on opts.Workers
// goroutines and writes them, in input order, as token shards (see package
// shards) to opts.Dir.
func Tokenize(ctx context.Context, tok *tokenizer.Tokenizer, in *Input, opts TokenizeOptions) (*TokenizeResult, error) {
	start := time.Now()
	if opts.ValFraction < 0 || opts.ValFraction >= 1 {
		return nil, fmt.Errorf("bpetrain: validation fraction %v is not in [0, 1)", opts.ValFraction)
	}
	if opts.DocBOS && tok.BOS() < 0 {
		return nil, errors.New("bpetrain: the tokenizer has no BOS token to put before documents")
	}
	if opts.DocEOS && tok.EOS() < 0 {
		return nil, errors.New("bpetrain: the tokenizer has no EOS token to put after documents")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	ref := shards.TokenizerRef{Path: opts.TokenizerPath}
	if opts.TokenizerPath != "" {
		data, err := os.ReadFile(opts.TokenizerPath)
		if err != nil {
			return nil, fmt.Errorf("bpetrain: %w", err)
		}
		sum := sha256.Sum256(data)
		ref.SHA256 = hex.EncodeToString(sum[:])
	}
	w, err := shards.Create(opts.Dir, shards.Index{
		VocabSize:   tok.Len(),
		BOS:         tok.BOS(),
		EOS:         tok.EOS(),
		DocBOS:      opts.DocBOS,
		DocEOS:      opts.DocEOS,
		Tokenizer:   ref,
		ValFraction: opts.ValFraction,
		ShardTokens: opts.ShardTokens,
		Inputs:      in.Paths,
	})
	if err != nil {
		return nil, fmt.Errorf("bpetrain: %w", err)
	}
	bos, eos := tok.BOS(), tok.EOS()
	var st InputStats
	var rs readStats
	var tokens int64
	rep := newReporter(opts.Progress, "tokenize")
	err = pipeline(ctx, in, opts.Workers, &st, &rs, func(_ int, docs []string) (encoded, error) {
		var e encoded
		for _, d := range docs {
			n := len(e.ids)
			if opts.DocBOS {
				e.ids = append(e.ids, bos)
			}
			e.ids = append(e.ids, tok.Encode(d, false)...)
			if opts.DocEOS {
				e.ids = append(e.ids, eos)
			}
			e.lens = append(e.lens, int32(len(e.ids)-n))
			e.val = append(e.val, IsVal(d, opts.ValFraction))
		}
		return e, nil
	}, func(e encoded) error {
		off := 0
		for i, n := range e.lens {
			split := shards.Train
			if e.val[i] {
				split = shards.Val
			}
			if err := w.Append(split, e.ids[off:off+int(n)]); err != nil {
				return err
			}
			off += int(n)
		}
		tokens += int64(len(e.ids))
		rep.report(func() string {
			el := time.Since(start).Seconds()
			return fmt.Sprintf("%d documents, %.1f MB read, %d tokens, %.2f M tokens/s",
				st.Documents, float64(rs.bytes.Load())/1e6, tokens, float64(tokens)/el/1e6)
		})
		return nil
	})
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("bpetrain: tokenize: %w", err)
	}
	idx, err := w.Close()
	if err != nil {
		return nil, fmt.Errorf("bpetrain: tokenize: %w", err)
	}
	return &TokenizeResult{Index: idx, Input: st, Duration: time.Since(start)}, nil
}
