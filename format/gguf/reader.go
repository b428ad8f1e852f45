package gguf

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/gophi/gophi/tensor"
)

// Minimum encoded sizes, used to check counts against the bytes that remain
// before allocating anything for them.
const (
	minKVSize         = 8 + 1 + 4 + 1 // key length, 1-byte key, type, 1-byte value
	minTensorInfoSize = 8 + 1 + 4 + 4 + 8
	minArraySize      = 4 + 8 // element type and count of a nested array
)

// decoder reads little-endian GGUF structures from data with bounds checks.
type decoder struct {
	file string
	data []byte
	off  int
	// wait, when set, blocks until data[:end] has been read in (a file
	// still being read in the background); ready is how far that is known,
	// step how much further than needed each wait asks for.
	wait        func(end int) error
	ready, step int
}

// have makes sure data[:end] is in memory (see wait); end is clamped to
// the data, whose bounds the callers check themselves.
func (d *decoder) have(end int) error {
	if d.wait == nil || end <= d.ready {
		return nil
	}
	end = min(max(end, d.ready+d.step), len(d.data))
	if err := d.wait(end); err != nil {
		return err
	}
	d.ready = end
	return nil
}

func (d *decoder) fail(off int, format string, args ...any) error {
	return &FormatError{d.file, int64(off), fmt.Sprintf(format, args...)}
}

func (d *decoder) rem() int { return len(d.data) - d.off }

func (d *decoder) need(n int, what string) error {
	if d.rem() < n {
		return d.fail(d.off, "%s: unexpected end of file (need %d bytes, %d remain)", what, n, d.rem())
	}
	return d.have(d.off + n)
}

func (d *decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(d.data[d.off:])
	d.off += 4
	return v, nil
}

func (d *decoder) u64(what string) (uint64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(d.data[d.off:])
	d.off += 8
	return v, nil
}

// str reads a GGUF string (u64 length, bytes) of at most max bytes.
func (d *decoder) str(what string, max uint64) (string, error) {
	start := d.off
	n, err := d.u64(what)
	if err != nil {
		return "", err
	}
	if n > max {
		return "", d.fail(start, "%s: length %d exceeds the limit of %d", what, n, max)
	}
	if n > uint64(d.rem()) {
		return "", d.fail(start, "%s: length %d exceeds the %d bytes that remain", what, n, d.rem())
	}
	if err := d.have(d.off + int(n)); err != nil {
		return "", err
	}
	s := string(d.data[d.off : d.off+int(n)])
	d.off += int(n)
	return s, nil
}

// quote formats a possibly hostile name for an error message.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}

// Parse validates data as a GGUF file and returns its metadata and tensor
// infos. Tensor Data slices data (no copy), so data must stay alive and
// unmodified while the File is used. name is used only in error messages.
// Corruption is reported as a *FormatError.
func Parse(name string, data []byte) (*File, error) {
	return parse(&decoder{file: name, data: data})
}

// parse decodes the header in d.data.
func parse(d *decoder) (*File, error) {
	name, data := d.file, d.data
	if len(data) < 4 {
		return nil, d.fail(0, "file is %d bytes, too short for a GGUF header", len(data))
	}
	if err := d.have(4); err != nil {
		return nil, err
	}
	switch magic := string(data[:4]); magic {
	case Magic:
	case "FUGG":
		return nil, d.fail(0, "big-endian GGUF files are not supported (magic %q)", magic)
	default:
		return nil, d.fail(0, "not a GGUF file (magic %q)", magic)
	}
	d.off = 4
	version, err := d.u32("version")
	if err != nil {
		return nil, err
	}
	switch swapped := bits.ReverseBytes32(version); {
	case version == 2 || version == 3:
	case version == 1:
		return nil, d.fail(4, "GGUF version 1 is not supported (it uses 32-bit counts); convert the model again with a current llama.cpp")
	case swapped >= 1 && swapped <= 3:
		return nil, d.fail(4, "big-endian GGUF files are not supported (version field reads 0x%08x, version %d byte-swapped)", version, swapped)
	default:
		return nil, d.fail(4, "unsupported GGUF version %d", version)
	}
	countOff := d.off
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return nil, err
	}
	kvOff := d.off
	nKV, err := d.u64("metadata key count")
	if err != nil {
		return nil, err
	}
	if nKV > uint64(d.rem())/minKVSize {
		return nil, d.fail(kvOff, "metadata key count %d exceeds file size", nKV)
	}
	if nTensors > uint64(d.rem())/minTensorInfoSize {
		return nil, d.fail(countOff, "tensor count %d exceeds file size", nTensors)
	}

	f := &File{
		Name:    name,
		Version: version,
		kv:      make(map[string]any, min(nKV, 256)),
		keys:    make([]string, 0, min(nKV, 256)),
	}
	alignOff := -1
	for range nKV {
		keyOff := d.off
		key, err := d.str("metadata key", MaxKeyLen)
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, d.fail(keyOff, "empty metadata key")
		}
		if _, dup := f.kv[key]; dup {
			return nil, d.fail(keyOff, "duplicate metadata key %s", quote(key))
		}
		typ, err := d.u32("metadata " + quote(key) + ": value type")
		if err != nil {
			return nil, err
		}
		if key == AlignmentKey {
			alignOff = d.off
		}
		v, err := d.value(ValueType(typ), key)
		if err != nil {
			return nil, err
		}
		f.kv[key] = v
		f.keys = append(f.keys, key)
	}

	if f.Alignment, err = alignment(f, alignOff); err != nil {
		return nil, err
	}

	if nTensors > uint64(d.rem())/minTensorInfoSize {
		return nil, d.fail(countOff, "tensor count %d exceeds file size", nTensors)
	}
	f.Tensors = make([]*TensorInfo, 0, nTensors)
	f.byName = make(map[string]*TensorInfo, nTensors)
	infoOffs := make([]int, 0, nTensors)
	for range nTensors {
		infoOffs = append(infoOffs, d.off)
		t, err := d.tensorInfo()
		if err != nil {
			return nil, err
		}
		if _, dup := f.byName[t.Name]; dup {
			return nil, d.fail(infoOffs[len(infoOffs)-1], "duplicate tensor name %s", quote(t.Name))
		}
		f.Tensors = append(f.Tensors, t)
		f.byName[t.Name] = t
	}

	f.DataOffset = alignUp(uint64(d.off), f.Alignment)
	if err := d.placeTensors(f, infoOffs); err != nil {
		return nil, err
	}
	return f, nil
}

// alignment returns the file's general.alignment, checked, or the default.
// off is the file offset of its value, for errors.
func alignment(f *File, off int) (uint64, error) {
	v, ok := f.kv[AlignmentKey]
	if !ok {
		return DefaultAlignment, nil
	}
	a, ok := f.Uint(AlignmentKey)
	if !ok {
		return 0, &FormatError{f.Name, int64(off), fmt.Sprintf("%s has type %s, want uint32", AlignmentKey, typeOf(v))}
	}
	if err := checkAlignment(a); err != nil {
		return 0, &FormatError{f.Name, int64(off), err.Error()}
	}
	return a, nil
}

// checkAlignment checks that a is a power of two and a multiple of 8.
func checkAlignment(a uint64) error {
	if a < 8 || a&(a-1) != 0 {
		return fmt.Errorf("%s %d is not a power of two and a multiple of 8", AlignmentKey, a)
	}
	return nil
}

// alignUp rounds x up to a multiple of a (a power of two), saturating
// instead of overflowing.
func alignUp(x, a uint64) uint64 {
	r := x & (a - 1)
	if r == 0 {
		return x
	}
	if x > math.MaxUint64-(a-r) {
		return math.MaxUint64
	}
	return x + (a - r)
}

// tensorInfo reads one tensor info.
func (d *decoder) tensorInfo() (*TensorInfo, error) {
	start := d.off
	name, err := d.str("tensor name", MaxTensorNameLen)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, d.fail(start, "empty tensor name")
	}
	what := "tensor " + quote(name)
	nd, err := d.u32(what + ": dimension count")
	if err != nil {
		return nil, err
	}
	if nd > MaxDims {
		return nil, d.fail(start, "%s: %d dimensions exceed the limit of %d", what, nd, MaxDims)
	}
	dims := make([]uint64, nd)
	for i := range dims {
		dimOff := d.off
		if dims[i], err = d.u64(what + ": dimension"); err != nil {
			return nil, err
		}
		if dims[i] > math.MaxInt64 {
			return nil, d.fail(dimOff, "%s: dimension %d is %d, beyond the int64 range", what, i, dims[i])
		}
	}
	typOff := d.off
	typ, err := d.u32(what + ": type")
	if err != nil {
		return nil, err
	}
	dt := tensor.DType(typ)
	if !dt.InFiles() {
		return nil, d.fail(typOff, "%s: unknown ggml type %d", what, typ)
	}
	offset, err := d.u64(what + ": offset")
	if err != nil {
		return nil, err
	}
	return &TensorInfo{Name: name, Type: dt, Dims: dims, Offset: offset}, nil
}

// tensorBytes returns the byte size of a tensor of type dt with dims, or
// an error describing why the shape is invalid.
func tensorBytes(dt tensor.DType, dims []uint64) (uint64, error) {
	n := uint64(1)
	for _, dim := range dims {
		hi, lo := bits.Mul64(n, dim)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("dimensions %v overflow", dims)
		}
		n = lo
	}
	if be := uint64(dt.BlockElems()); len(dims) > 0 && dims[0]%be != 0 {
		return 0, fmt.Errorf("row length %d is not a multiple of the %s block size %d", dims[0], dt, be)
	}
	size, err := dt.Bytes(n)
	if err != nil {
		return 0, fmt.Errorf("dimensions %v: %v", dims, err)
	}
	return size, nil
}

// placeTensors checks every tensor's alignment, size and range and sets its
// Data.
func (d *decoder) placeTensors(f *File, infoOffs []int) error {
	for i, t := range f.Tensors {
		what := "tensor " + quote(t.Name)
		size, err := tensorBytes(t.Type, t.Dims)
		if err != nil {
			return d.fail(infoOffs[i], "%s: %v", what, err)
		}
		if t.Offset%f.Alignment != 0 {
			return d.fail(infoOffs[i], "%s: offset %d is not a multiple of the alignment %d", what, t.Offset, f.Alignment)
		}
		fileSize := uint64(len(d.data))
		if f.DataOffset > fileSize || t.Offset > fileSize-f.DataOffset || size > fileSize-f.DataOffset-t.Offset {
			return d.fail(infoOffs[i], "%s: %d bytes of data at offset %d (data section at %d) extend beyond the end of the file (%d bytes)",
				what, size, t.Offset, f.DataOffset, fileSize)
		}
		start := f.DataOffset + t.Offset
		t.Data = d.data[start : start+size : start+size]
	}
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(f.Tensors[a].Offset, f.Tensors[b].Offset) })
	var prev *TensorInfo
	for _, i := range order {
		t := f.Tensors[i]
		if len(t.Data) == 0 {
			continue
		}
		if prev != nil && t.Offset < prev.Offset+uint64(len(prev.Data)) {
			return d.fail(infoOffs[i], "tensor %s: data at offset %d overlaps tensor %s at [%d,%d)",
				quote(t.Name), t.Offset, quote(prev.Name), prev.Offset, prev.Offset+uint64(len(prev.Data)))
		}
		prev = t
	}
	return nil
}

// value reads a metadata value of type t for key.
func (d *decoder) value(t ValueType, key string) (any, error) {
	switch t {
	case TypeString:
		return d.str("metadata "+quote(key)+": string", math.MaxUint64)
	case TypeArray:
		return d.array(key, 1)
	}
	size := t.size()
	if size == 0 {
		return nil, d.fail(d.off-4, "metadata %s: unknown value type %d", quote(key), uint32(t))
	}
	if err := d.need(size, "metadata "+quote(key)+": "+t.String()+" value"); err != nil {
		return nil, err
	}
	b := d.data[d.off : d.off+size]
	if t == TypeBool && b[0] > 1 {
		return nil, d.fail(d.off, "metadata %s: bool value %d is not 0 or 1", quote(key), b[0])
	}
	d.off += size
	return scalar(t, b), nil
}

// scalar decodes a fixed-size value of type t from b.
func scalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return b[0]
	case TypeInt8:
		return int8(b[0])
	case TypeUint16:
		return le.Uint16(b)
	case TypeInt16:
		return int16(le.Uint16(b))
	case TypeUint32:
		return le.Uint32(b)
	case TypeInt32:
		return int32(le.Uint32(b))
	case TypeFloat32:
		return math.Float32frombits(le.Uint32(b))
	case TypeBool:
		return b[0] == 1
	case TypeUint64:
		return le.Uint64(b)
	case TypeInt64:
		return int64(le.Uint64(b))
	case TypeFloat64:
		return math.Float64frombits(le.Uint64(b))
	}
	panic("gguf: scalar of non-scalar type " + t.String()) // unreachable: callers check size
}

// array reads an array value (element type, count, elements) at nesting
// depth depth (1 for a top-level array).
func (d *decoder) array(key string, depth int) (any, error) {
	start := d.off
	what := "metadata " + quote(key)
	if depth > MaxArrayDepth {
		return nil, d.fail(start, "%s: arrays nested deeper than %d", what, MaxArrayDepth)
	}
	et, err := d.u32(what + ": array element type")
	if err != nil {
		return nil, err
	}
	n, err := d.u64(what + ": array length")
	if err != nil {
		return nil, err
	}
	elem := ValueType(et)
	switch elem {
	case TypeString:
		return d.strings(key, n, start)
	case TypeArray:
		if n > uint64(d.rem())/minArraySize {
			return nil, d.fail(start, "%s: array of %d arrays exceeds the %d bytes that remain", what, n, d.rem())
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.array(key, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	size := elem.size()
	if size == 0 {
		return nil, d.fail(start, "%s: unknown array element type %d", what, et)
	}
	if n > uint64(d.rem())/uint64(size) {
		return nil, d.fail(start, "%s: array of %d %s values (%d bytes each) exceeds the %d bytes that remain", what, n, elem, size, d.rem())
	}
	if err := d.have(d.off + int(n)*size); err != nil {
		return nil, err
	}
	b := d.data[d.off : d.off+int(n)*size]
	v, bad := fixedArray(elem, b, int(n))
	if bad >= 0 {
		return nil, d.fail(d.off+bad, "%s: bool value %d is not 0 or 1", what, b[bad])
	}
	d.off += len(b)
	return v, nil
}

// fixedArray decodes n values of the fixed-size type t from b into a typed
// slice. For bool arrays it returns the index of the first byte that is not
// 0 or 1, else bad is -1.
func fixedArray(t ValueType, b []byte, n int) (v any, bad int) {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return slices.Clone(b), -1
	case TypeInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return out, -1
	case TypeUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(b[2*i:])
		}
		return out, -1
	case TypeInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(b[2*i:]))
		}
		return out, -1
	case TypeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(b[4*i:])
		}
		return out, -1
	case TypeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(b[4*i:]))
		}
		return out, -1
	case TypeFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return out, -1
	case TypeBool:
		out := make([]bool, n)
		for i, c := range b {
			if c > 1 {
				return nil, i
			}
			out[i] = c == 1
		}
		return out, -1
	case TypeUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(b[8*i:])
		}
		return out, -1
	case TypeInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
		return out, -1
	case TypeFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return out, -1
	}
	panic("gguf: fixed array of non-scalar type " + t.String()) // unreachable: callers check size
}

// strings reads n GGUF strings. It checks the whole array first, then
// copies its bytes once and slices every element out of that copy, so a
// 200,000-token vocabulary costs one allocation for the text.
func (d *decoder) strings(key string, n uint64, start int) ([]string, error) {
	what := "metadata " + quote(key)
	if n > uint64(d.rem())/8 {
		return nil, d.fail(start, "%s: array of %d strings exceeds the %d bytes that remain", what, n, d.rem())
	}
	first := d.off
	off := first
	for i := range n {
		if len(d.data)-off < 8 {
			return nil, d.fail(off, "%s: string %d of %d: unexpected end of file", what, i, n)
		}
		if err := d.have(off + 8); err != nil {
			return nil, err
		}
		l := binary.LittleEndian.Uint64(d.data[off:])
		if l > uint64(len(d.data)-off-8) {
			return nil, d.fail(off, "%s: string %d of %d: length %d exceeds the %d bytes that remain", what, i, n, l, len(d.data)-off-8)
		}
		off += 8 + int(l)
	}
	if err := d.have(off); err != nil {
		return nil, err
	}
	// Read lengths back from the copy, checking again: a mapped file can
	// change underneath us, and the copy is what the strings will share.
	blob := string(d.data[first:off])
	out := make([]string, n)
	p := 0
	for i := range out {
		if len(blob)-p < 8 {
			return nil, d.fail(first+p, "%s: file changed while it was being read", what)
		}
		l := le64(blob[p:])
		if l > uint64(len(blob)-p-8) {
			return nil, d.fail(first+p, "%s: file changed while it was being read", what)
		}
		out[i] = blob[p+8 : p+8+int(l)]
		p += 8 + int(l)
	}
	d.off = off
	return out, nil
}

// le64 decodes a little-endian uint64 from the first 8 bytes of s.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
