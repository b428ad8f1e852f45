package gguf

import (
	"fmt"
	"math"

	"github.com/gophi/gophi/internal/mmap"
)

// OpenOptions controls how files are opened.
type OpenOptions struct {
	// NoMmap reads the file into ordinary memory instead of memory-mapping
	// it.
	NoMmap bool
	// Background (with NoMmap) returns once the header is parsed, while the
	// tensor data are still being read in file order: a tensor's Data may be
	// used only after Ready has returned nil for it (or Loaded for all).
	Background bool
}

// File is a parsed GGUF file.
type File struct {
	// Name is the path or name the file was opened or parsed with.
	Name string
	// Version is the file's GGUF version (2 or 3).
	Version uint32
	// Alignment is the tensor data alignment (general.alignment or 32).
	Alignment uint64
	// DataOffset is the file offset of the tensor data section.
	DataOffset uint64
	// Tensors lists the tensor infos in file order.
	Tensors []*TensorInfo

	keys   []string
	kv     map[string]any
	byName map[string]*TensorInfo
	m      *mmap.Mapping // nil for Parse
}

// Open memory-maps and parses the GGUF file at path.
func Open(path string) (*File, error) { return OpenWith(path, OpenOptions{}) }

// OpenWith opens and parses the GGUF file at path with the given options.
// The File must be closed to release the mapping or memory.
func OpenWith(path string, opts OpenOptions) (*File, error) {
	open := mmap.Open
	switch {
	case opts.NoMmap && opts.Background:
		open = mmap.ReadAllAsync
	case opts.NoMmap:
		open = mmap.ReadAll
	}
	m, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := parse(&decoder{file: path, data: m.Data(), step: 1 << 20, wait: func(end int) error {
		if err := m.Wait(0, end); err != nil {
			return fmt.Errorf("gguf: %w", err)
		}
		return nil
	}})
	if err != nil {
		m.Close()
		return nil, err
	}
	f.m = m
	return f, nil
}

// Ready blocks until t's data are in memory and returns nil, or returns the
// error that stopped reading the file. It returns nil at once unless the
// file was opened with OpenOptions.Background.
func (f *File) Ready(t *TensorInfo) error {
	if f.m == nil || len(t.Data) == 0 {
		return nil
	}
	lo := int(f.DataOffset + t.Offset)
	if err := f.m.Wait(lo, lo+len(t.Data)); err != nil {
		return fmt.Errorf("gguf: tensor %s: %w", quote(t.Name), err)
	}
	return nil
}

// Loaded blocks until the whole file is in memory (see Ready).
func (f *File) Loaded() error {
	if f.m == nil {
		return nil
	}
	if err := f.m.Done(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

// Close releases the file's mapping or memory. Every tensor's Data is set
// to nil; slices of it taken earlier must not be used afterwards. Metadata
// stays readable.
func (f *File) Close() error {
	for _, t := range f.Tensors {
		t.Data = nil
	}
	if f.m == nil {
		return nil
	}
	m := f.m
	f.m = nil
	if err := m.Close(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

// Tensor returns the tensor info with the given name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	t, ok := f.byName[name]
	return t, ok
}

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string { return append([]string(nil), f.keys...) }

// Get returns the metadata value for key. Scalars are uint8, int8, uint16,
// int16, uint32, int32, float32, bool, string, uint64, int64 or float64;
// arrays are the matching typed slice ([]uint8 ... []float64, []bool,
// []string), and an array of arrays is an []any whose elements are such
// slices or further []any. Slices are shared with the File and must not be
// modified.
func (f *File) Get(key string) (any, bool) {
	v, ok := f.kv[key]
	return v, ok
}

// String returns a string value.
func (f *File) String(key string) (string, bool) {
	s, ok := f.kv[key].(string)
	return s, ok
}

// Bool returns a bool value.
func (f *File) Bool(key string) (bool, bool) {
	b, ok := f.kv[key].(bool)
	return b, ok
}

// Uint returns an integer value of any integer type that is non-negative.
func (f *File) Uint(key string) (uint64, bool) {
	switch v := f.kv[key].(type) {
	case uint8:
		return uint64(v), true
	case uint16:
		return uint64(v), true
	case uint32:
		return uint64(v), true
	case uint64:
		return v, true
	}
	if i, ok := f.signed(key); ok && i >= 0 {
		return uint64(i), true
	}
	return 0, false
}

// Int returns an integer value of any integer type that fits in an int64.
func (f *File) Int(key string) (int64, bool) {
	switch v := f.kv[key].(type) {
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
		return 0, false
	}
	return f.signed(key)
}

func (f *File) signed(key string) (int64, bool) {
	switch v := f.kv[key].(type) {
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}

// Float returns a float32 or float64 value as a float64.
func (f *File) Float(key string) (float64, bool) {
	switch v := f.kv[key].(type) {
	case float32:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// Strings returns a string array. The slice is shared with the File and must
// not be modified.
func (f *File) Strings(key string) ([]string, bool) {
	s, ok := f.kv[key].([]string)
	return s, ok
}

// Float32s returns a float32 array (shared with the File; do not modify it),
// or a float64 array converted to float32.
func (f *File) Float32s(key string) ([]float32, bool) {
	switch v := f.kv[key].(type) {
	case []float32:
		return v, true
	case []float64:
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out, true
	}
	return nil, false
}

// Int32s returns an int32 array (shared with the File; do not modify it), or
// an array of another integer type converted to int32 when every element
// fits.
func (f *File) Int32s(key string) ([]int32, bool) {
	switch v := f.kv[key].(type) {
	case []int32:
		return v, true
	case []int8:
		return convert(v)
	case []uint8:
		return convert(v)
	case []int16:
		return convert(v)
	case []uint16:
		return convert(v)
	case []uint32:
		return convert(v)
	case []int64:
		return convert(v)
	case []uint64:
		return convert(v)
	}
	return nil, false
}

// convert copies integers into an []int32 if every one fits.
func convert[T int8 | uint8 | int16 | uint16 | uint32 | int64 | uint64](v []T) ([]int32, bool) {
	out := make([]int32, len(v))
	for i, x := range v {
		if x < 0 && int64(x) < math.MinInt32 || x > 0 && uint64(x) > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

// typeOf returns the GGUF value type of a Go value as the reader produces
// it.
func typeOf(v any) (t ValueType) {
	t, _, _ = valueType(v)
	return t
}

// valueType classifies a Go value: its GGUF type, for arrays the element
// type, and whether it is a supported type at all.
func valueType(v any) (t, elem ValueType, ok bool) {
	switch v.(type) {
	case uint8:
		return TypeUint8, 0, true
	case int8:
		return TypeInt8, 0, true
	case uint16:
		return TypeUint16, 0, true
	case int16:
		return TypeInt16, 0, true
	case uint32:
		return TypeUint32, 0, true
	case int32:
		return TypeInt32, 0, true
	case float32:
		return TypeFloat32, 0, true
	case bool:
		return TypeBool, 0, true
	case string:
		return TypeString, 0, true
	case uint64:
		return TypeUint64, 0, true
	case int64:
		return TypeInt64, 0, true
	case float64:
		return TypeFloat64, 0, true
	case []uint8:
		return TypeArray, TypeUint8, true
	case []int8:
		return TypeArray, TypeInt8, true
	case []uint16:
		return TypeArray, TypeUint16, true
	case []int16:
		return TypeArray, TypeInt16, true
	case []uint32:
		return TypeArray, TypeUint32, true
	case []int32:
		return TypeArray, TypeInt32, true
	case []float32:
		return TypeArray, TypeFloat32, true
	case []bool:
		return TypeArray, TypeBool, true
	case []string:
		return TypeArray, TypeString, true
	case []uint64:
		return TypeArray, TypeUint64, true
	case []int64:
		return TypeArray, TypeInt64, true
	case []float64:
		return TypeArray, TypeFloat64, true
	case []any:
		return TypeArray, TypeArray, true
	}
	return 0, 0, false
}
