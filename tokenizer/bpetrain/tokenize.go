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

// MaskMode says when Tokenize writes loss masks (TokenizeOptions.Mask).
type MaskMode uint8

// The mask modes.
const (
	// MaskAuto writes masks when at least one document is a chat record.
	MaskAuto MaskMode = iota
	// MaskOn always writes masks (a folder without chats gets all 1s but
	// BOS).
	MaskOn
	// MaskOff never writes masks.
	MaskOff
)

// String returns "auto", "on" or "off".
func (m MaskMode) String() string {
	switch m {
	case MaskAuto:
		return "auto"
	case MaskOn:
		return "on"
	case MaskOff:
		return "off"
	}
	return fmt.Sprintf("MaskMode(%d)", uint8(m))
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
	// document (not a second time before or after a chat whose template
	// already puts it there).
	DocBOS, DocEOS bool
	// Mask says when loss masks are written (MaskAuto: when there are chat
	// records).
	Mask MaskMode
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
	// Chats is the number of documents that were chat records.
	Chats int64
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
	ids    []int32
	mask   []byte // beside ids; meaningful for the masked documents only
	lens   []int32
	val    []bool
	masked []bool // the document is a chat with its own mask
	chats  int64
}

// Tokenize encodes the input's documents with tok on opts.Workers
// goroutines and writes them, in input order, as token shards (see package
// shards) to opts.Dir.
//
// With loss masks (opts.Mask; by default when a record is a chat) every
// shard gets a mask file: a chat's mask is EncodeChat's (assistant content
// and end-of-turn tokens, and the EOS after a last assistant turn, are 1),
// with 0 for the BOS put before it; plain documents are all 1s but BOS.
// A chat rendered by Input.Chat alone has no segments to mask and is an
// error then.
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
	if opts.Mask > MaskOff {
		return nil, fmt.Errorf("bpetrain: unknown mask mode %d", opts.Mask)
	}
	masking := opts.Mask != MaskOff
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
		Masked:      opts.Mask == MaskOn,
	})
	if err != nil {
		return nil, fmt.Errorf("bpetrain: %w", err)
	}
	bos, eos := tok.BOS(), tok.EOS()
	var st InputStats
	var rs readStats
	var tokens, chats int64
	rep := newReporter(opts.Progress, "tokenize")
	err = pipeline(ctx, in, opts.Workers, &st, &rs, func(_ int, docs []document) (encoded, error) {
		var e encoded
		for _, d := range docs {
			n := len(e.ids)
			var body []int32
			var mask []byte
			lastAssistant := false
			masked := d.chat && masking
			switch {
			case masked && d.segs == nil:
				return e, errors.New("a chat record rendered by Input.Chat has no segments to make a loss mask from (set Input.ChatSegments, or TokenizeOptions.Mask to MaskOff)")
			case masked:
				body, mask, lastAssistant = encodeChat(tok, d.segs)
			default:
				body = tok.Encode(d.text, false)
			}
			addBOS := opts.DocBOS && !(d.chat && len(body) > 0 && body[0] == bos)
			addEOS := opts.DocEOS && !(d.chat && len(body) > 0 && body[len(body)-1] == eos)
			if addBOS {
				e.ids = append(e.ids, bos)
				e.mask = append(e.mask, 0)
			}
			e.ids = append(e.ids, body...)
			if masked {
				e.mask = append(e.mask, mask...)
			} else {
				e.mask = append(e.mask, make([]byte, len(body))...)
			}
			if addEOS {
				e.ids = append(e.ids, eos)
				e.mask = append(e.mask, b2u8(lastAssistant))
			}
			e.lens = append(e.lens, int32(len(e.ids)-n))
			e.val = append(e.val, IsVal(d.text, opts.ValFraction))
			e.masked = append(e.masked, masked)
			if d.chat {
				e.chats++
			}
		}
		return e, nil
	}, func(e encoded) error {
		off := 0
		for i, n := range e.lens {
			split := shards.Train
			if e.val[i] {
				split = shards.Val
			}
			var err error
			if e.masked[i] {
				err = w.AppendMasked(split, e.ids[off:off+int(n)], e.mask[off:off+int(n)])
			} else {
				err = w.Append(split, e.ids[off:off+int(n)])
			}
			if err != nil {
				return err
			}
			off += int(n)
		}
		tokens += int64(len(e.ids))
		chats += e.chats
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
	return &TokenizeResult{Index: idx, Input: st, Chats: chats, Duration: time.Since(start)}, nil
}

// b2u8 returns 1 for true, 0 for false.
func b2u8(b bool) byte {
	if b {
		return 1
	}
	return 0
}
