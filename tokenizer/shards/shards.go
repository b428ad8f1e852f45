// Package shards reads and writes token shards: a folder of flat files of
// token ids, ready for training, described by an index.json.
//
// Layout of a folder (written by "gophi tokenize"):
//
//	index.json       the Index, written last
//	train-00000.bin  training shards: token ids, little-endian uint16
//	train-00001.bin  (uint32 when the vocabulary has more than 65536 ids)
//	val-00000.bin    held-out validation shards, same format
//	train-00000.mask loss masks (only when Index.Masked): one byte per token
//	val-00000.mask   of the shard with the same number, 1 or 0
//
// A shard holds whole documents, one after the other, each (by default)
// preceded by BOS and followed by EOS (Index.DocBOS, Index.DocEOS): the
// layout of llama2.c's pretokenized shards with nanoGPT's end-of-text token
// added, so that a model learns both where text starts and when to stop. A
// shard is closed before the document that would take it past ShardTokens
// (a longer document gets a shard of its own).
//
// A masked folder (Index.Masked, written by "gophi tokenize" when the input
// has chat records) has a mask file beside every shard: byte i is 1 when
// token i of the shard is a target whose prediction (from the tokens
// before it) counts in the loss, 0 when it does not. For a chat that is
// the assistant's content, the end-of-turn token closing an assistant
// message and the EOS right after the last assistant turn; system and user
// turns, role markers and BOS are 0. Plain documents are all 1s but BOS.
// Dataset.LoadMask reads one.
//
// Every file is written to a temporary name and renamed when complete, and
// index.json is removed when writing starts and written after every shard is
// in place: a folder whose index.json is missing is incomplete, and Open
// refuses it.
package shards

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// IndexName is the name of the index file in a shard folder.
const IndexName = "index.json"

// FormatName is Index.Format.
const FormatName = "gophi-tokens"

// Data types of token ids.
const (
	Uint16 = "uint16"
	Uint32 = "uint32"
)

// Split names a part of the data set.
type Split string

// The two splits.
const (
	Train Split = "train"
	Val   Split = "val"
)

// Shard describes one file of token ids.
type Shard struct {
	// File is the file name, relative to the folder ("train-00000.bin").
	File string `json:"file"`
	// Tokens is the number of token ids in the file.
	Tokens int64 `json:"tokens"`
	// Documents is the number of documents in the file.
	Documents int64 `json:"documents"`
	// SHA256 is the hex SHA-256 of the file's contents.
	SHA256 string `json:"sha256"`
	// Mask is the loss mask's file name ("train-00000.mask", the shard's
	// name with .mask for .bin), set exactly when Index.Masked is.
	Mask string `json:"mask,omitempty"`
	// MaskSHA256 is the hex SHA-256 of the mask file.
	MaskSHA256 string `json:"mask_sha256,omitempty"`
}

// TokenizerRef identifies the tokenizer that made the ids.
type TokenizerRef struct {
	// Path is the tokenizer.json path as given when tokenizing.
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of the tokenizer.json file.
	SHA256 string `json:"sha256"`
}

// Index is the contents of index.json.
type Index struct {
	// Format is FormatName; Version is 1.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// DType is Uint16 or Uint32: the little-endian type of each id.
	DType string `json:"dtype"`
	// VocabSize is the number of ids of the tokenizer; every id is below it.
	VocabSize int `json:"vocab_size"`
	// BOS and EOS are the ids added around documents, -1 when none.
	BOS int32 `json:"bos"`
	EOS int32 `json:"eos"`
	// DocBOS and DocEOS say whether each document is preceded by BOS and
	// followed by EOS.
	DocBOS bool `json:"doc_bos"`
	DocEOS bool `json:"doc_eos"`
	// Tokenizer identifies the tokenizer.json used.
	Tokenizer TokenizerRef `json:"tokenizer"`
	// ValFraction is the fraction of documents held out for validation
	// (chosen by a hash of each document's text).
	ValFraction float64 `json:"val_fraction"`
	// ShardTokens is the shard size limit in tokens.
	ShardTokens int64 `json:"shard_tokens"`
	// Inputs lists the input files.
	Inputs []string `json:"inputs,omitempty"`
	// Masked says that every shard has a loss mask file (Shard.Mask).
	Masked bool `json:"masked,omitempty"`
	// Train and Val list the shards of each split, in order.
	Train []Shard `json:"train"`
	Val   []Shard `json:"val"`
}

// Shards returns the shards of a split.
func (x *Index) Shards(s Split) []Shard {
	if s == Val {
		return x.Val
	}
	return x.Train
}

// Tokens returns the number of tokens in a split.
func (x *Index) Tokens(s Split) int64 {
	var n int64
	for _, sh := range x.Shards(s) {
		n += sh.Tokens
	}
	return n
}

// Documents returns the number of documents in a split.
func (x *Index) Documents(s Split) int64 {
	var n int64
	for _, sh := range x.Shards(s) {
		n += sh.Documents
	}
	return n
}

// IDSize returns the size in bytes of one token id (2 or 4).
func (x *Index) IDSize() int {
	if x.DType == Uint32 {
		return 4
	}
	return 2
}

// DTypeFor returns the id type for a vocabulary of n ids: Uint16 up to
// 65536 ids, else Uint32.
func DTypeFor(n int) string {
	if n <= 1<<16 {
		return Uint16
	}
	return Uint32
}

var (
	shardName = regexp.MustCompile(`^(train|val)-[0-9]{5,}\.bin$`)
	maskName  = regexp.MustCompile(`^(train|val)-[0-9]{5,}\.mask$`)
)

// MaskFile returns the mask file name of a shard file name:
// "train-00000.bin" → "train-00000.mask".
func MaskFile(shardFile string) string {
	return strings.TrimSuffix(shardFile, ".bin") + ".mask"
}

// Validate checks the index for consistency: known format and type, ids
// that fit the type, shard files named as the writer names them (no paths,
// so that a hostile index cannot point outside its folder), counts that
// are not negative, and when Masked a mask file for every shard, named
// after it (and none when not).
func (x *Index) Validate() error {
	if x.Format != FormatName {
		return fmt.Errorf("format %q is not %q", x.Format, FormatName)
	}
	if x.Version != 1 {
		return fmt.Errorf("unsupported version %d", x.Version)
	}
	switch x.DType {
	case Uint16:
		if x.VocabSize > 1<<16 {
			return fmt.Errorf("vocab_size %d does not fit dtype uint16", x.VocabSize)
		}
	case Uint32:
		if int64(x.VocabSize) > 1<<31 {
			return fmt.Errorf("vocab_size %d is too large", x.VocabSize)
		}
	default:
		return fmt.Errorf("unknown dtype %q", x.DType)
	}
	if x.VocabSize <= 0 {
		return fmt.Errorf("vocab_size %d is not positive", x.VocabSize)
	}
	for _, id := range []int32{x.BOS, x.EOS} {
		if id < -1 || int64(id) >= int64(x.VocabSize) {
			return fmt.Errorf("special id %d out of range [0, %d)", id, x.VocabSize)
		}
	}
	if (x.DocBOS && x.BOS < 0) || (x.DocEOS && x.EOS < 0) {
		return errors.New("doc_bos/doc_eos set without a bos/eos id")
	}
	seen := map[string]bool{}
	for _, split := range []Split{Train, Val} {
		for i, sh := range x.Shards(split) {
			if !shardName.MatchString(sh.File) {
				return fmt.Errorf("%s shard %d: bad file name %q", split, i, sh.File)
			}
			if seen[sh.File] {
				return fmt.Errorf("%s shard %d: file %q listed twice", split, i, sh.File)
			}
			seen[sh.File] = true
			if sh.Tokens < 0 || sh.Documents < 0 {
				return fmt.Errorf("%s shard %d (%s): bad counts: %d tokens, %d documents", split, i, sh.File, sh.Tokens, sh.Documents)
			}
			switch {
			case x.Masked && sh.Mask == "":
				return fmt.Errorf("%s shard %d (%s): no mask file, but the index is masked", split, i, sh.File)
			case !x.Masked && (sh.Mask != "" || sh.MaskSHA256 != ""):
				return fmt.Errorf("%s shard %d (%s): mask %q listed, but the index is not masked", split, i, sh.File, sh.Mask)
			case x.Masked && !maskName.MatchString(sh.Mask):
				return fmt.Errorf("%s shard %d (%s): bad mask file name %q", split, i, sh.File, sh.Mask)
			case x.Masked && sh.Mask != MaskFile(sh.File):
				return fmt.Errorf("%s shard %d (%s): mask %q does not belong to it (want %q)", split, i, sh.File, sh.Mask, MaskFile(sh.File))
			}
		}
	}
	return nil
}

// ParseIndex parses and validates the contents of an index.json.
func ParseIndex(data []byte) (*Index, error) {
	var x Index
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("shards: index: %w", err)
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("shards: index: %w", err)
	}
	return &x, nil
}

// Dataset is an opened shard folder.
type Dataset struct {
	// Dir is the folder.
	Dir string
	// Index is its parsed index.json.
	Index *Index
}

// Open reads and validates dir/index.json and checks that every shard file
// (and mask file) exists with the size its token count implies.
func Open(dir string) (*Dataset, error) {
	p := filepath.Join(dir, IndexName)
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("shards: %s: no %s (not a shard folder, or writing did not finish)", dir, IndexName)
		}
		return nil, fmt.Errorf("shards: %w", err)
	}
	x, err := ParseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, p)
	}
	d := &Dataset{Dir: dir, Index: x}
	for _, split := range []Split{Train, Val} {
		for _, sh := range x.Shards(split) {
			fi, err := os.Stat(d.path(sh))
			if err != nil {
				return nil, fmt.Errorf("shards: %w", err)
			}
			if want := sh.Tokens * int64(x.IDSize()); fi.Size() != want {
				return nil, fmt.Errorf("shards: %s has %d bytes, the index says %d tokens (%d bytes)", d.path(sh), fi.Size(), sh.Tokens, want)
			}
			if !x.Masked {
				continue
			}
			mp := filepath.Join(dir, sh.Mask)
			fi, err = os.Stat(mp)
			if err != nil {
				return nil, fmt.Errorf("shards: mask of %s: %w", sh.File, err)
			}
			if fi.Size() != sh.Tokens {
				return nil, fmt.Errorf("shards: mask %s has %d bytes, the index says %d tokens (one byte each)", mp, fi.Size(), sh.Tokens)
			}
		}
	}
	return d, nil
}

func (d *Dataset) path(sh Shard) string { return filepath.Join(d.Dir, sh.File) }

// Tokens is the contents of one shard: ids of one of the two types.
type Tokens struct {
	u16 []uint16
	u32 []uint32
}

// Len returns the number of ids.
func (t *Tokens) Len() int { return len(t.u16) + len(t.u32) }

// At returns id i.
func (t *Tokens) At(i int) int32 {
	if t.u32 != nil {
		return int32(t.u32[i])
	}
	return int32(t.u16[i])
}

// Read copies ids off, off+1, ... into dst and returns how many it copied
// (fewer than len(dst) at the end of the shard).
func (t *Tokens) Read(dst []int32, off int) int {
	if off < 0 || off >= t.Len() {
		return 0
	}
	n := min(len(dst), t.Len()-off)
	if t.u32 != nil {
		for i, v := range t.u32[off : off+n] {
			dst[i] = int32(v)
		}
	} else {
		for i, v := range t.u16[off : off+n] {
			dst[i] = int32(v)
		}
	}
	return n
}

// Load reads shard i of a split into memory, checking its size and that
// every id is below the vocabulary size.
func (d *Dataset) Load(split Split, i int) (*Tokens, error) {
	list := d.Index.Shards(split)
	if i < 0 || i >= len(list) {
		return nil, fmt.Errorf("shards: %s shard %d does not exist (%d shards)", split, i, len(list))
	}
	sh := list[i]
	data, err := os.ReadFile(d.path(sh))
	if err != nil {
		return nil, fmt.Errorf("shards: %w", err)
	}
	return decode(data, d.Index, sh)
}

func decode(data []byte, x *Index, sh Shard) (*Tokens, error) {
	size := x.IDSize()
	if int64(len(data)) != sh.Tokens*int64(size) {
		return nil, fmt.Errorf("shards: %s has %d bytes, the index says %d tokens", sh.File, len(data), sh.Tokens)
	}
	limit := uint32(x.VocabSize)
	t := &Tokens{}
	if size == 2 {
		t.u16 = make([]uint16, len(data)/2)
		for i := range t.u16 {
			v := binary.LittleEndian.Uint16(data[2*i:])
			if uint32(v) >= limit {
				return nil, fmt.Errorf("shards: %s: id %d at %d is not below vocab_size %d", sh.File, v, i, limit)
			}
			t.u16[i] = v
		}
		return t, nil
	}
	t.u32 = make([]uint32, len(data)/4)
	for i := range t.u32 {
		v := binary.LittleEndian.Uint32(data[4*i:])
		if v >= limit {
			return nil, fmt.Errorf("shards: %s: id %d at %d is not below vocab_size %d", sh.File, v, i, limit)
		}
		t.u32[i] = v
	}
	return t, nil
}

// LoadMask reads the loss mask of shard i of a split: one byte per token
// of the shard, 1 when the token's prediction counts in the loss, 0 when
// not (see the package comment). It returns nil, nil when the folder is
// not masked, and an error when the file's size is not the shard's token
// count or a byte is neither 0 nor 1.
func (d *Dataset) LoadMask(split Split, i int) ([]byte, error) {
	list := d.Index.Shards(split)
	if i < 0 || i >= len(list) {
		return nil, fmt.Errorf("shards: %s shard %d does not exist (%d shards)", split, i, len(list))
	}
	if !d.Index.Masked {
		return nil, nil
	}
	sh := list[i]
	p := filepath.Join(d.Dir, sh.Mask)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("shards: mask of %s: %w", sh.File, err)
	}
	if int64(len(data)) != sh.Tokens {
		return nil, fmt.Errorf("shards: mask %s has %d bytes, the index says %d tokens (one byte each)", p, len(data), sh.Tokens)
	}
	for j, b := range data {
		if b > 1 {
			return nil, fmt.Errorf("shards: mask %s: byte %d at %d is neither 0 nor 1", p, b, j)
		}
	}
	return data, nil
}

// Verify checks every shard's (and mask's) SHA-256 against the index.
func (d *Dataset) Verify() error {
	for _, split := range []Split{Train, Val} {
		for _, sh := range d.Index.Shards(split) {
			if err := verifyFile(d.path(sh), sh.SHA256); err != nil {
				return err
			}
			if d.Index.Masked {
				if err := verifyFile(filepath.Join(d.Dir, sh.Mask), sh.MaskSHA256); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// verifyFile checks the SHA-256 of a file.
func verifyFile(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("shards: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("shards: read %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("shards: %s: SHA-256 %s, the index says %s", path, got, want)
	}
	return nil
}
