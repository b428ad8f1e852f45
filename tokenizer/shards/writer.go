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
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/gophi/gophi/internal/atomicfile"
)

// DefaultShardTokens is the default shard size limit: 100M tokens (200 MB of
// uint16 ids).
const DefaultShardTokens = 100_000_000

// Writer writes a shard folder. Use Create, then Append (or AppendMasked)
// documents, then Close; Abort on failure (also after an error from
// Append). A Writer is not safe for concurrent use.
//
// A writer writes loss masks (Index.Masked) when Create's index asks for
// them or from the first AppendMasked on; the masks of what was appended
// before are then made from the shards written so far, as Append makes
// them.
type Writer struct {
	dir    string
	idx    Index
	cur    map[Split]*shardFile
	next   map[Split]int
	buf    []byte
	mbuf   []byte
	closed bool
}

// shardFile is a shard (and its mask) being written.
type shardFile struct {
	bin    *outFile
	mask   *outFile // nil when the folder is not masked (yet)
	tokens int64
	docs   int64
}

// outFile is a file being written under a temporary name.
type outFile struct {
	name, tmp string
	f         *os.File
	bw        *bufio.Writer
	h         hash.Hash
}

// Create starts writing a shard folder: it creates dir when needed and
// removes an old index.json from it, so that the folder reads as incomplete
// until Close writes the new one. x supplies the metadata (Format and
// Version are filled in, DType is chosen from VocabSize when empty,
// ShardTokens defaults to DefaultShardTokens, Masked asks for loss masks
// from the start); its shard lists must be empty.
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
// index's VocabSize. In a masked folder the document's mask is all 1s but
// at the ids equal to the index's BOS (0): a plain document, trained on
// everywhere.
func (w *Writer) Append(s Split, ids []int32) error {
	if err := w.check(s, ids, nil); err != nil {
		return err
	}
	return w.append(s, ids, nil)
}

// AppendMasked writes one document's ids to a split with its loss mask:
// mask[i] is 1 when ids[i] is a target whose prediction counts in the
// loss, 0 when not; it has one byte per id, each 0 or 1. The first
// AppendMasked turns the folder into a masked one (see Writer).
func (w *Writer) AppendMasked(s Split, ids []int32, mask []byte) error {
	if len(mask) != len(ids) {
		return fmt.Errorf("shards: a mask of %d bytes for %d ids", len(mask), len(ids))
	}
	for i, b := range mask {
		if b > 1 {
			return fmt.Errorf("shards: mask byte %d at %d is neither 0 nor 1", b, i)
		}
	}
	if err := w.check(s, ids, mask); err != nil {
		return err
	}
	if !w.idx.Masked {
		if err := w.enableMask(); err != nil {
			return err
		}
	}
	return w.append(s, ids, mask)
}

// check validates an Append's arguments.
func (w *Writer) check(s Split, ids []int32, mask []byte) error {
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
	return nil
}

// append writes a checked document; mask nil means Append's mask.
func (w *Writer) append(s Split, ids []int32, mask []byte) error {
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
	if err := sf.bin.write(w.buf); err != nil {
		return err
	}
	if sf.mask != nil {
		if mask == nil {
			w.mbuf = slices.Grow(w.mbuf[:0], len(ids))[:len(ids)]
			for i, id := range ids {
				w.mbuf[i] = w.plainMask(id)
			}
			mask = w.mbuf
		}
		if err := sf.mask.write(mask); err != nil {
			return err
		}
	}
	sf.tokens += int64(len(ids))
	sf.docs++
	return nil
}

// plainMask is the mask byte of an id of a plain document: 0 for BOS, 1
// for every other id.
func (w *Writer) plainMask(id int32) byte {
	if id == w.idx.BOS {
		return 0
	}
	return 1
}

// enableMask turns masks on: the shards finished so far get mask files made
// from their ids, the open ones a mask file holding the masks of what they
// hold so far.
func (w *Writer) enableMask() error {
	w.idx.Masked = true
	for _, s := range []Split{Train, Val} {
		list := w.idx.Shards(s)
		for i := range list {
			sh := &list[i]
			o, err := w.create(MaskFile(sh.File))
			if err != nil {
				return err
			}
			if err := w.backfill(filepath.Join(w.dir, sh.File), o); err != nil {
				o.discard()
				return err
			}
			sum, err := o.commit(w.dir)
			if err != nil {
				return err
			}
			sh.Mask, sh.MaskSHA256 = o.name, sum
		}
		sf := w.cur[s]
		if sf == nil {
			continue
		}
		if err := sf.bin.bw.Flush(); err != nil {
			return fmt.Errorf("shards: write %s: %w", sf.bin.tmp, err)
		}
		o, err := w.create(MaskFile(sf.bin.name))
		if err != nil {
			return err
		}
		sf.mask = o
		if err := w.backfill(sf.bin.tmp, o); err != nil {
			return err
		}
	}
	return nil
}

// backfill writes to o the plain-document masks of the ids in the shard
// file at path.
func (w *Writer) backfill(path string, o *outFile) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("shards: make mask: %w", err)
	}
	defer f.Close()
	size := w.idx.IDSize()
	buf := make([]byte, 1<<20)
	mask := make([]byte, len(buf)/size)
	for {
		n, err := io.ReadFull(f, buf)
		if n%size != 0 {
			return fmt.Errorf("shards: make mask: %s ends in the middle of an id", path)
		}
		for i := range n / size {
			var id int32
			if size == 2 {
				id = int32(binary.LittleEndian.Uint16(buf[2*i:]))
			} else {
				id = int32(binary.LittleEndian.Uint32(buf[4*i:]))
			}
			mask[i] = w.plainMask(id)
		}
		if werr := o.write(mask[:n/size]); werr != nil {
			return werr
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("shards: make mask: read %s: %w", path, err)
		}
	}
}

// start opens the next shard of a split (and its mask) under temporary
// names.
func (w *Writer) start(s Split) (*shardFile, error) {
	name := fmt.Sprintf("%s-%05d.bin", s, w.next[s])
	w.next[s]++
	bin, err := w.create(name)
	if err != nil {
		return nil, err
	}
	sf := &shardFile{bin: bin}
	if w.idx.Masked {
		if sf.mask, err = w.create(MaskFile(name)); err != nil {
			bin.discard()
			return nil, err
		}
	}
	w.cur[s] = sf
	return sf, nil
}

// finish completes the current shard of a split: flush, sync, rename the
// shard and its mask.
func (w *Writer) finish(s Split) error {
	sf := w.cur[s]
	if sf == nil {
		return nil
	}
	delete(w.cur, s)
	sum, err := sf.bin.commit(w.dir)
	if err != nil {
		if sf.mask != nil {
			sf.mask.discard()
		}
		return err
	}
	sh := Shard{File: sf.bin.name, Tokens: sf.tokens, Documents: sf.docs, SHA256: sum}
	if sf.mask != nil {
		if sh.MaskSHA256, err = sf.mask.commit(w.dir); err != nil {
			return err
		}
		sh.Mask = sf.mask.name
	}
	if s == Val {
		w.idx.Val = append(w.idx.Val, sh)
	} else {
		w.idx.Train = append(w.idx.Train, sh)
	}
	return nil
}

// create opens dir/name's temporary file.
func (w *Writer) create(name string) (*outFile, error) {
	tmp := filepath.Join(w.dir, "."+name+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("shards: %w", err)
	}
	return &outFile{name: name, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 1<<20), h: sha256.New()}, nil
}

// write appends p to the file and its hash.
func (o *outFile) write(p []byte) error {
	if _, err := o.bw.Write(p); err != nil {
		return fmt.Errorf("shards: write %s: %w", o.tmp, err)
	}
	o.h.Write(p)
	return nil
}

// commit flushes, syncs and closes the file and renames it to its name in
// dir, returning its hex SHA-256; on failure the temporary file is removed.
func (o *outFile) commit(dir string) (string, error) {
	err := o.bw.Flush()
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp, filepath.Join(dir, o.name))
	}
	if err != nil {
		os.Remove(o.tmp)
		return "", fmt.Errorf("shards: finish %s: %w", o.name, err)
	}
	return hex.EncodeToString(o.h.Sum(nil)), nil
}

// discard closes and removes the temporary file.
func (o *outFile) discard() {
	o.f.Close()
	os.Remove(o.tmp)
}

// Close finishes the open shards and writes index.json (atomically, last),
// then removes shard and mask files of an earlier run that the new index
// does not list. There is always at least one training shard, and one validation
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

// removeStale deletes shard and mask files that the index does not list
// (left by an earlier run that wrote more shards, or masks); best effort.
func (w *Writer) removeStale() {
	listed := map[string]bool{}
	for _, sh := range append(slices.Clone(w.idx.Train), w.idx.Val...) {
		listed[sh.File] = true
		listed[sh.Mask] = true
	}
	ents, err := os.ReadDir(w.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type().IsRegular() && (shardName.MatchString(e.Name()) || maskName.MatchString(e.Name())) && !listed[e.Name()] {
			os.Remove(filepath.Join(w.dir, e.Name()))
		}
	}
}

// Abort closes and removes the shards (and masks) being written. Finished
// shards stay, but no index is written, so the folder reads as incomplete.
func (w *Writer) Abort() {
	for s, sf := range w.cur {
		sf.bin.discard()
		if sf.mask != nil {
			sf.mask.discard()
		}
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
