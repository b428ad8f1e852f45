package shards

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"slices"

	"github.com/gophi/gophi/internal/atomicfile"
)

// DefaultShardTokens is the default shard size limit: 100M tokens (200 MB of
// uint16 ids).
const DefaultShardTokens = 100_000_000

// Writer writes a shard folder. Use Create, then Append documents, then
// Close; Abort on failure. A Writer is not safe for concurrent use.
type Writer struct {
	dir    string
	idx    Index
	cur    map[Split]*shardFile
	next   map[Split]int
	buf    []byte
	closed bool
}

// shardFile is a shard being written under a temporary name.
type shardFile struct {
	name, tmp string
	f         *os.File
	bw        *bufio.Writer
	h         hash.Hash
	tokens    int64
	docs      int64
}

// Create starts writing a shard folder: it creates dir when needed and
// removes an old index.json from it, so that the folder reads as incomplete
// until Close writes the new one. x supplies the metadata (Format and
// Version are filled in, DType is chosen from VocabSize when empty,
// ShardTokens defaults to DefaultShardTokens); its shard lists must be
// empty.
func Create(dir string, x Index) (*Writer, error) {
	x.Format, x.Version = FormatName, 1
	if x.DType == "" {
		x.DType = DTypeFor(x.VocabSize)
	}
	if x.ShardTokens <= 0 {
		x.ShardTokens = DefaultShardTokens
	}
	if len(x.Train) > 0 || len(x.Val) > 0 {
		return nil, errors.New("shards: create: the index must not list shards yet")
	}
	x.Train, x.Val = []Shard{}, []Shard{}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("shards: create: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("shards: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, IndexName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("shards: remove old index: %w", err)
	}
	return &Writer{dir: dir, idx: x, cur: map[Split]*shardFile{}, next: map[Split]int{}}, nil
}

// Append writes one document's ids to a split. Every id must be below the
// index's VocabSize.
func (w *Writer) Append(s Split, ids []int32) error {
	if w.closed {
		return errors.New("shards: append after Close")
	}
	if s != Train && s != Val {
		return fmt.Errorf("shards: unknown split %q", s)
	}
	limit := int64(w.idx.VocabSize)
	for _, id := range ids {
		if id < 0 || int64(id) >= limit {
			return fmt.Errorf("shards: id %d out of range [0, %d)", id, limit)
		}
	}
	sf := w.cur[s]
	if sf != nil && sf.tokens > 0 && sf.tokens+int64(len(ids)) > w.idx.ShardTokens {
		if err := w.finish(s); err != nil {
			return err
		}
		sf = nil
	}
	if sf == nil {
		var err error
		if sf, err = w.start(s); err != nil {
			return err
		}
	}
	size := w.idx.IDSize()
	w.buf = slices.Grow(w.buf[:0], len(ids)*size)[:len(ids)*size]
	if size == 2 {
		for i, id := range ids {
			binary.LittleEndian.PutUint16(w.buf[2*i:], uint16(id))
		}
	} else {
		for i, id := range ids {
			binary.LittleEndian.PutUint32(w.buf[4*i:], uint32(id))
		}
	}
	if _, err := sf.bw.Write(w.buf); err != nil {
		return fmt.Errorf("shards: write %s: %w", sf.tmp, err)
	}
	sf.h.Write(w.buf)
	sf.tokens += int64(len(ids))
	sf.docs++
	return nil
}

// start opens the next shard of a split under its temporary name.
func (w *Writer) start(s Split) (*shardFile, error) {
	name := fmt.Sprintf("%s-%05d.bin", s, w.next[s])
	w.next[s]++
	tmp := filepath.Join(w.dir, "."+name+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("shards: %w", err)
	}
	sf := &shardFile{name: name, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 1<<20), h: sha256.New()}
	w.cur[s] = sf
	return sf, nil
}

// finish completes the current shard of a split: flush, sync, rename.
func (w *Writer) finish(s Split) error {
	sf := w.cur[s]
	if sf == nil {
		return nil
	}
	delete(w.cur, s)
	err := sf.bw.Flush()
	if err == nil {
		err = sf.f.Sync()
	}
	if cerr := sf.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(sf.tmp, filepath.Join(w.dir, sf.name))
	}
	if err != nil {
		os.Remove(sf.tmp)
		return fmt.Errorf("shards: finish %s: %w", sf.name, err)
	}
	sh := Shard{File: sf.name, Tokens: sf.tokens, Documents: sf.docs, SHA256: hex.EncodeToString(sf.h.Sum(nil))}
	if s == Val {
		w.idx.Val = append(w.idx.Val, sh)
	} else {
		w.idx.Train = append(w.idx.Train, sh)
	}
	return nil
}

// Close finishes the open shards and writes index.json (atomically, last),
// then removes shard files of an earlier run that the new index does not
// list. There is always at least one training shard, and one validation
// shard when ValFraction > 0, possibly empty. Close returns the index.
func (w *Writer) Close() (*Index, error) {
	if w.closed {
		return nil, errors.New("shards: Close called twice")
	}
	for _, s := range []Split{Train, Val} {
		if w.next[s] == 0 && (s == Train || w.idx.ValFraction > 0) {
			if _, err := w.start(s); err != nil {
				w.Abort()
				return nil, err
			}
		}
		if err := w.finish(s); err != nil {
			w.Abort()
			return nil, err
		}
	}
	w.closed = true
	data, err := json.MarshalIndent(&w.idx, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("shards: %w", err)
	}
	if err := writeAtomic(filepath.Join(w.dir, IndexName), append(data, '\n')); err != nil {
		return nil, err
	}
	w.removeStale()
	x := w.idx
	return &x, nil
}

// removeStale deletes shard files that the index does not list (left by an
// earlier run that wrote more shards); best effort.
func (w *Writer) removeStale() {
	listed := map[string]bool{}
	for _, sh := range append(slices.Clone(w.idx.Train), w.idx.Val...) {
		listed[sh.File] = true
	}
	ents, err := os.ReadDir(w.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type().IsRegular() && shardName.MatchString(e.Name()) && !listed[e.Name()] {
			os.Remove(filepath.Join(w.dir, e.Name()))
		}
	}
}

// Abort closes and removes the shards being written. Finished shards stay,
// but no index is written, so the folder reads as incomplete.
func (w *Writer) Abort() {
	for s, sf := range w.cur {
		sf.f.Close()
		os.Remove(sf.tmp)
		delete(w.cur, s)
	}
	w.closed = true
}

// writeAtomic writes data to path through a synced temporary file in the
// same folder and a rename.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.WriteBytes(path, data); err != nil {
		return fmt.Errorf("shards: %w", err)
	}
	return nil
}
