package gguf

import (
	"fmt"

	"github.com/gophi/gophi/tensor"
)

// Magic is the 4-byte signature at the start of every GGUF file.
const Magic = "GGUF"

// Version is the GGUF version the Writer produces.
const Version = 3

// DefaultAlignment is the tensor data alignment when general.alignment is
// absent.
const DefaultAlignment = 32

// AlignmentKey is the metadata key that sets the tensor data alignment.
const AlignmentKey = "general.alignment"

// Limits the reader and writer enforce.
const (
	MaxKeyLen        = 65535 // bytes in a metadata key
	MaxTensorNameLen = 256   // bytes in a tensor name (the spec says 64; llama.cpp needs < 64)
	MaxDims          = 4     // dimensions of a tensor
	MaxArrayDepth    = 4     // nesting of arrays: an array of arrays has depth 2
)

// ValueType is the type tag of a metadata value.
type ValueType uint32

// The metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var typeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the type's name, such as "uint32".
func (t ValueType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// size returns the encoded size of a fixed-size type, or 0 for string,
// array and unknown types.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// FormatError reports a malformed GGUF file.
type FormatError struct {
	File   string // file name or path as given to the reader
	Offset int64  // byte offset in the file the problem was found at, or -1 if not tied to one
	Msg    string // description of the problem
}

// Error formats the error as "gguf: FILE: offset N: MSG", leaving out the
// offset when it is unknown.
func (e *FormatError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("gguf: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("gguf: %s: offset %d: %s", e.File, e.Offset, e.Msg)
}

// TensorInfo describes one tensor of a GGUF file.
type TensorInfo struct {
	Name string
	Type tensor.DType
	// Dims are the dimensions innermost (fastest varying) first: a Hugging
	// Face [out, in] weight has Dims [in, out].
	Dims []uint64
	// Offset is the data's offset from the start of the data section.
	Offset uint64
	// Data is the tensor's bytes, a slice of the file's mapping. It must not
	// be modified or used after the File is closed.
	Data []byte
}

// NumElements returns the product of the tensor's dimensions (1 when it has
// none).
func (t *TensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}
