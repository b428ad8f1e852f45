package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/gophi/gophi/internal/atomicfile"
)

// Encode writes a safetensors file holding tensors, in the order given with
// contiguous offsets, and metadata as "__metadata__" (omitted when empty),
// to w. The header is padded with spaces so the data starts 8-byte aligned.
// It returns the number of bytes written. Tensor data is written straight
// from each Tensor's Data, so Data may be a slice of another mapping.
func Encode(w io.Writer, tensors []*Tensor, metadata map[string]string) (int64, error) {
	header, err := buildHeader(tensors, metadata)
	if err != nil {
		return 0, err
	}
	var n int64
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	for _, chunk := range [][]byte{lenBuf[:], header} {
		k, err := w.Write(chunk)
		n += int64(k)
		if err != nil {
			return n, fmt.Errorf("safetensors: write header: %w", err)
		}
	}
	for _, t := range tensors {
		k, err := w.Write(t.Data)
		n += int64(k)
		if err != nil {
			return n, fmt.Errorf("safetensors: write tensor %s: %w", quote(t.Name), err)
		}
	}
	return n, nil
}

// Write writes tensors and metadata as a safetensors file at path (see
// Encode). The file is written atomically: to a temporary file in the same
// directory, synced, then renamed over path.
func Write(path string, tensors []*Tensor, metadata map[string]string) error {
	if _, err := buildHeader(tensors, metadata); err != nil { // fail before creating files
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := Encode(w, tensors, metadata)
		return err
	})
}

// Names of the files of a Hugging Face checkpoint folder.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// shardPattern matches shard names as Hugging Face writes them.
var shardPattern = regexp.MustCompile(`^model-[0-9]{5}-of-[0-9]{5}\.safetensors$`)

// ShardName returns the Hugging Face name of shard i (1-based) of n.
func ShardName(i, n int) string {
	return fmt.Sprintf("model-%05d-of-%05d.safetensors", i, n)
}

// WriteSharded writes tensors as a Hugging Face checkpoint in dir (created
// if needed). When the tensors' data fits in maxShardBytes (or
// maxShardBytes <= 0) it writes one model.safetensors; otherwise it fills
// shards model-0000K-of-0000N.safetensors in order, starting a new shard
// when the next tensor would exceed maxShardBytes (a tensor larger than
// maxShardBytes gets a shard of its own), then writes
// model.safetensors.index.json. Every shard carries metadata. Files of the
// other layout left from an earlier save (a stale index or single file, or
// shards with other names) are removed once the new files are in place.
func WriteSharded(dir string, tensors []*Tensor, metadata map[string]string, maxShardBytes int64) error {
	if _, err := buildHeader(tensors, metadata); err != nil {
		return fmt.Errorf("%w (writing checkpoint %s)", err, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	var shards [][]*Tensor
	var cur []*Tensor
	var curSize, total int64
	for _, t := range tensors {
		size := int64(len(t.Data))
		if maxShardBytes > 0 && len(cur) > 0 && curSize+size > maxShardBytes {
			shards = append(shards, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, t)
		curSize += size
		total += size
	}
	if len(cur) > 0 || len(shards) == 0 {
		shards = append(shards, cur)
	}

	if len(shards) == 1 {
		if err := Write(filepath.Join(dir, SingleFileName), tensors, metadata); err != nil {
			return err
		}
		return removeStale(dir, nil)
	}
	if len(shards) > 99999 {
		return fmt.Errorf("safetensors: checkpoint %s: %d shards exceed the 99999 the naming scheme allows", dir, len(shards))
	}
	weightMap := make(map[string]string, len(tensors))
	written := make(map[string]bool, len(shards))
	for i, shard := range shards {
		name := ShardName(i+1, len(shards))
		if err := Write(filepath.Join(dir, name), shard, metadata); err != nil {
			return err
		}
		written[name] = true
		for _, t := range shard {
			weightMap[t.Name] = name
		}
	}
	index := struct {
		Metadata  map[string]int64  `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}{map[string]int64{"total_size": total}, weightMap}
	js, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return fmt.Errorf("safetensors: checkpoint %s: encode index: %w", dir, err)
	}
	js = append(js, '\n')
	if err := writeFileAtomic(filepath.Join(dir, IndexFileName), func(w io.Writer) error {
		_, err := w.Write(js)
		return err
	}); err != nil {
		return err
	}
	return removeStale(dir, written)
}

// removeStale deletes checkpoint files in dir that belong to another save:
// with keep == nil (a single-file save) the index and all shards, otherwise
// model.safetensors and shards not in keep.
func removeStale(dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		stale := false
		switch {
		case keep == nil:
			stale = name == IndexFileName || shardPattern.MatchString(name)
		default:
			stale = name == SingleFileName || (shardPattern.MatchString(name) && !keep[name])
		}
		if stale && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("safetensors: remove stale checkpoint file: %w", err)
			}
		}
	}
	return nil
}

// buildHeader validates tensors and metadata and returns the padded JSON
// header.
func buildHeader(tensors []*Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	sep := false
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("safetensors: metadata %s: not valid UTF-8", quote(k))
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, k)
			b.WriteByte(':')
			writeString(&b, metadata[k])
		}
		b.WriteByte('}')
		sep = true
	}
	seen := make(map[string]bool, len(tensors))
	var off uint64
	for i, t := range tensors {
		if t == nil {
			return nil, fmt.Errorf("safetensors: tensor %d is nil", i)
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("safetensors: tensor %s: %s", quote(t.Name), fmt.Sprintf(format, args...))
		}
		switch {
		case t.Name == "__metadata__":
			return nil, fail("name is reserved")
		case !utf8.ValidString(t.Name):
			return nil, fail("name is not valid UTF-8")
		case seen[t.Name]:
			return nil, fail("duplicate name")
		case len(t.Shape) > maxRank:
			return nil, fail("%d dimensions exceed the limit of %d", len(t.Shape), maxRank)
		}
		seen[t.Name] = true
		dt, err := dtypeName(t.DType)
		if err != nil {
			return nil, fail("%v", err)
		}
		numel, overflow, zero := uint64(1), false, false
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fail("shape %v has a negative dimension", t.Shape)
			}
			if d == 0 {
				zero = true
			}
			hi, lo := bits.Mul64(numel, uint64(d))
			overflow = overflow || hi != 0
			numel = lo
		}
		if zero {
			numel, overflow = 0, false
		}
		if overflow || numel > math.MaxInt {
			return nil, fail("shape %v overflows", t.Shape)
		}
		size, err := t.DType.Bytes(numel)
		if err != nil {
			return nil, fail("%v", err)
		}
		if uint64(len(t.Data)) != size {
			return nil, fail("data is %d bytes, shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, size)
		}
		if sep {
			b.WriteByte(',')
		}
		sep = true
		writeString(&b, t.Name)
		fmt.Fprintf(&b, `:{"dtype":%q,"shape":[`, dt)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, d)
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, off+size)
		off += size
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header of %d bytes exceeds the %d-byte limit", b.Len(), MaxHeaderSize)
	}
	return b.Bytes(), nil
}

// writeString writes s, valid UTF-8, as a JSON string.
func writeString(b *bytes.Buffer, s string) {
	js, _ := json.Marshal(s) // cannot fail for a string
	b.Write(js)
}

// writeFileAtomic writes path through write: into a temporary file in the
// same directory, synced and renamed over path, so readers never see a
// partial file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	err := atomicfile.Write(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
