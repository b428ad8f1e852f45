package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gophi/gophi/internal/atomicfile"
	"github.com/gophi/gophi/tensor"
)

// Writer builds a GGUF version 3 file from metadata and tensors. Add
// everything, then call WriteFile or WriteTo. Values and tensor data are
// retained, not copied: they must not change until the file is written.
// Tensors added with AddTensorFunc are produced during the write instead.
type Writer struct {
	keys    []string
	kv      map[string]any
	tensors []*wtensor
	names   map[string]bool
}

// wtensor is a tensor waiting to be written: its data, or for a lazy
// tensor its size and the function that writes it.
type wtensor struct {
	name  string
	typ   tensor.DType
	dims  []uint64
	data  []byte
	size  uint64
	write func(io.Writer) error
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer {
	return &Writer{kv: map[string]any{}, names: map[string]bool{}}
}

// SetKV sets metadata key to value, keeping the order in which keys were
// first set; setting a key again replaces its value in place. value must be
// one of the types File.Get returns: uint8, int8, uint16, int16, uint32,
// int32, float32, bool, string, uint64, int64, float64, a slice of one of
// those, or an []any of such slices (an array of arrays, nested at most
// MaxArrayDepth deep). Go's int and uint are rejected: GGUF readers care
// about the exact width, so pick one. Setting general.alignment (an integer
// that is a power of two and a multiple of 8) changes the alignment the
// file is written with.
func (w *Writer) SetKV(key string, value any) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("gguf: metadata key of %d bytes: must be 1 to %d bytes", len(key), MaxKeyLen)
	}
	if err := checkValue(value, 0); err != nil {
		return fmt.Errorf("gguf: metadata %s: %w", quote(key), err)
	}
	if key == AlignmentKey {
		tmp := &File{kv: map[string]any{key: value}}
		a, ok := tmp.Uint(key)
		if !ok {
			return fmt.Errorf("gguf: %s must be an unsigned integer, not %T", key, value)
		}
		if err := checkAlignment(a); err != nil {
			return fmt.Errorf("gguf: %w", err)
		}
	}
	if _, ok := w.kv[key]; !ok {
		w.keys = append(w.keys, key)
	}
	w.kv[key] = value
	return nil
}

// DeleteKV removes metadata key, if set.
func (w *Writer) DeleteKV(key string) {
	if _, ok := w.kv[key]; !ok {
		return
	}
	delete(w.kv, key)
	for i, k := range w.keys {
		if k == key {
			w.keys = append(w.keys[:i], w.keys[i+1:]...)
			break
		}
	}
}

// checkValue checks that v has a GGUF encoding; depth is the array nesting
// level of v's container (0 at top level).
func checkValue(v any, depth int) error {
	t, elem, ok := valueType(v)
	if !ok {
		return fmt.Errorf("unsupported value type %T", v)
	}
	if t != TypeArray {
		return nil
	}
	if depth+1 > MaxArrayDepth {
		return fmt.Errorf("arrays nested deeper than %d", MaxArrayDepth)
	}
	if elem == TypeArray {
		for i, e := range v.([]any) {
			if et, _, ok := valueType(e); !ok || et != TypeArray {
				return fmt.Errorf("element %d of an array of arrays is %T, not a slice", i, e)
			}
			if err := checkValue(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddTensor adds a tensor to be written, in the order added. dims are
// innermost first (ne0 = row length). data must be exactly the tensor's
// size for typ and is retained, not copied, so it may be a slice of a
// mapped file.
func (w *Writer) AddTensor(name string, typ tensor.DType, dims []uint64, data []byte) error {
	if err := w.checkTensor(name, typ, dims); err != nil {
		return err
	}
	size, err := tensorBytes(typ, dims)
	if err != nil {
		return fmt.Errorf("gguf: tensor %s: %w", quote(name), err)
	}
	if uint64(len(data)) != size {
		return fmt.Errorf("gguf: tensor %s: data is %d bytes, %s %v needs %d", quote(name), len(data), typ, dims, size)
	}
	w.names[name] = true
	w.tensors = append(w.tensors, &wtensor{name: name, typ: typ, dims: append([]uint64(nil), dims...), data: data, size: size})
	return nil
}

// AddTensorFunc adds a tensor whose data is produced while the file is
// written, so that a large file can be generated or converted without
// holding all of its data in memory. write is called once, in tensor
// order, and must write exactly the tensor's size in bytes for typ and
// dims (see tensor.DType.Bytes) to its argument; an error it returns, or a
// wrong byte count, aborts the write and is returned by WriteTo or
// WriteFile.
func (w *Writer) AddTensorFunc(name string, typ tensor.DType, dims []uint64, write func(io.Writer) error) error {
	if write == nil {
		return fmt.Errorf("gguf: tensor %s: nil write function", quote(name))
	}
	if err := w.checkTensor(name, typ, dims); err != nil {
		return err
	}
	size, err := tensorBytes(typ, dims)
	if err != nil {
		return fmt.Errorf("gguf: tensor %s: %w", quote(name), err)
	}
	w.names[name] = true
	w.tensors = append(w.tensors, &wtensor{name: name, typ: typ, dims: append([]uint64(nil), dims...), size: size, write: write})
	return nil
}

// checkTensor checks a new tensor's name, dimension count and type.
func (w *Writer) checkTensor(name string, typ tensor.DType, dims []uint64) error {
	switch {
	case name == "" || len(name) > MaxTensorNameLen:
		return fmt.Errorf("gguf: tensor name %s: must be 1 to %d bytes", quote(name), MaxTensorNameLen)
	case w.names[name]:
		return fmt.Errorf("gguf: tensor %s added twice", quote(name))
	case len(dims) > MaxDims:
		return fmt.Errorf("gguf: tensor %s: %d dimensions exceed the limit of %d", quote(name), len(dims), MaxDims)
	case !typ.InFiles():
		return fmt.Errorf("gguf: tensor %s: unknown ggml type %d", quote(name), uint32(typ))
	}
	return nil
}

// alignment returns the alignment the file will be written with.
func (w *Writer) alignment() uint64 {
	if _, ok := w.kv[AlignmentKey]; ok {
		a, _ := (&File{kv: w.kv}).Uint(AlignmentKey) // checked by SetKV
		return a
	}
	return DefaultAlignment
}

// WriteTo writes the GGUF file to out and returns the number of bytes
// written. Tensor data is streamed from each tensor's data slice; only the
// header is buffered.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	align := w.alignment()
	cw := &countWriter{w: out}
	e := &encoder{w: bufio.NewWriterSize(cw, 1<<20)}
	e.bytes([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.keys)))
	for _, k := range w.keys {
		e.str(k)
		v := w.kv[k]
		t, _, _ := valueType(v)
		e.u32(uint32(t))
		e.value(v)
	}
	var off uint64
	for _, t := range w.tensors {
		e.str(t.name)
		e.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			e.u64(d)
		}
		e.u32(uint32(t.typ))
		e.u64(off)
		off = alignUp(off+t.size, align)
	}
	e.pad(align)
	for _, t := range w.tensors {
		if t.write == nil {
			e.bytes(t.data)
		} else if e.err == nil {
			lw := &lazyWriter{e: e}
			if err := t.write(lw); err != nil {
				e.err = fmt.Errorf("tensor %s: %w", quote(t.name), err)
			} else if e.err == nil && lw.n != t.size {
				e.err = fmt.Errorf("tensor %s: data function wrote %d bytes, %s %v needs %d", quote(t.name), lw.n, t.typ, t.dims, t.size)
			}
		}
		e.pad(align)
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return cw.n, fmt.Errorf("gguf: write: %w", e.err)
	}
	return cw.n, nil
}

// WriteFile writes the GGUF file to path atomically: to a temporary file in
// the same directory, synced, then renamed over path.
func (w *Writer) WriteFile(path string) error {
	err := atomicfile.Write(path, func(f *os.File) error {
		_, err := w.WriteTo(f)
		return err
	})
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

// lazyWriter is what a lazy tensor's function writes to: the encoder,
// counting bytes and refusing more once the encoder has failed.
type lazyWriter struct {
	e *encoder
	n uint64
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if l.e.err != nil {
		return 0, l.e.err
	}
	l.e.bytes(p)
	if l.e.err != nil {
		return 0, l.e.err
	}
	l.n += uint64(len(p))
	return len(p), nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian GGUF structures, remembering the first error
// and the position.
type encoder struct {
	w   *bufio.Writer
	pos uint64
	err error
	buf [8]byte
}

var zeros [256]byte

func (e *encoder) bytes(b []byte) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(b)
	e.pos += uint64(len(b))
}

func (e *encoder) u8(v uint8) { e.buf[0] = v; e.bytes(e.buf[:1]) }

func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.bytes(e.buf[:2])
}

func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.bytes(e.buf[:4])
}

func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.bytes(e.buf[:8])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
		e.pos += uint64(len(s))
	}
}

// pad writes zeros up to the next multiple of align.
func (e *encoder) pad(align uint64) {
	for n := alignUp(e.pos, align) - e.pos; n > 0; {
		k := min(n, uint64(len(zeros)))
		e.bytes(zeros[:k])
		n -= k
	}
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// value writes v, whose type checkValue accepted.
func (e *encoder) value(v any) {
	switch v := v.(type) {
	case uint8:
		e.u8(v)
	case int8:
		e.u8(uint8(v))
	case uint16:
		e.u16(v)
	case int16:
		e.u16(uint16(v))
	case uint32:
		e.u32(v)
	case int32:
		e.u32(uint32(v))
	case float32:
		e.u32(math.Float32bits(v))
	case bool:
		e.u8(boolByte(v))
	case string:
		e.str(v)
	case uint64:
		e.u64(v)
	case int64:
		e.u64(uint64(v))
	case float64:
		e.u64(math.Float64bits(v))
	default:
		e.array(v)
	}
}

// array writes an array value: element type, count, elements.
func (e *encoder) array(v any) {
	_, elem, _ := valueType(v)
	e.u32(uint32(elem))
	switch v := v.(type) {
	case []uint8:
		e.u64(uint64(len(v)))
		e.bytes(v)
	case []int8:
		arr(e, v, func(x int8) { e.u8(uint8(x)) })
	case []uint16:
		arr(e, v, e.u16)
	case []int16:
		arr(e, v, func(x int16) { e.u16(uint16(x)) })
	case []uint32:
		arr(e, v, e.u32)
	case []int32:
		arr(e, v, func(x int32) { e.u32(uint32(x)) })
	case []float32:
		arr(e, v, func(x float32) { e.u32(math.Float32bits(x)) })
	case []bool:
		arr(e, v, func(x bool) { e.u8(boolByte(x)) })
	case []string:
		arr(e, v, e.str)
	case []uint64:
		arr(e, v, e.u64)
	case []int64:
		arr(e, v, func(x int64) { e.u64(uint64(x)) })
	case []float64:
		arr(e, v, func(x float64) { e.u64(math.Float64bits(x)) })
	case []any:
		arr(e, v, e.array)
	default:
		if e.err == nil {
			e.err = errors.New("unsupported value type " + fmt.Sprintf("%T", v))
		}
	}
}

// arr writes a count and then each element with put.
func arr[T any](e *encoder, v []T, put func(T)) {
	e.u64(uint64(len(v)))
	for _, x := range v {
		put(x)
	}
}
