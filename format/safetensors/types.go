package safetensors

import (
	"fmt"

	"github.com/gophi/gophi/tensor"
)

// MaxHeaderSize is the largest JSON header the reader accepts (100 MB, the
// limit of the reference implementation).
const MaxHeaderSize = 100 << 20

// maxRank bounds the number of dimensions of one tensor. Real checkpoints use
// at most 5 or so; the bound keeps a hostile header from allocating a huge
// shape slice.
const maxRank = 32

// FormatError reports a malformed safetensors file or checkpoint index.
type FormatError struct {
	File   string // file name or path as given to the reader
	Offset int64  // byte offset in the file the problem was found at, or -1 if not tied to one
	Msg    string // description of the problem
}

// Error formats the error as "safetensors: FILE: offset N: MSG", leaving out
// the offset when it is unknown.
func (e *FormatError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("safetensors: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("safetensors: %s: offset %d: %s", e.File, e.Offset, e.Msg)
}

// Tensor is one named tensor of a safetensors file.
type Tensor struct {
	Name  string
	DType tensor.DType
	Shape []int // row-major: the last dimension varies fastest
	// Data is the tensor's raw little-endian bytes. Tensors returned by the
	// reader slice the file's mapping (zero copy) and must not be modified
	// or used after the File is closed.
	Data []byte
}

// NumElements returns the product of the tensor's dimensions (1 for a
// scalar). It assumes Shape is valid, as it is for tensors from the reader.
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// dtypeNames maps the safetensors dtype strings gophi supports to DTypes.
var dtypeNames = map[string]tensor.DType{
	"F64":  tensor.F64,
	"F32":  tensor.F32,
	"F16":  tensor.F16,
	"BF16": tensor.BF16,
	"I64":  tensor.I64,
	"I32":  tensor.I32,
	"I16":  tensor.I16,
	"I8":   tensor.I8,
}

// parseDType maps a safetensors dtype string to a tensor.DType.
func parseDType(s string) (tensor.DType, error) {
	if d, ok := dtypeNames[s]; ok {
		return d, nil
	}
	switch s {
	case "BOOL", "U8", "U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0":
		return 0, fmt.Errorf("unsupported dtype %q", s)
	}
	return 0, fmt.Errorf("unsupported dtype %q (unknown to gophi)", truncate(s, 32))
}

// dtypeName is the inverse of parseDType.
func dtypeName(d tensor.DType) (string, error) {
	for s, dd := range dtypeNames {
		if dd == d {
			return s, nil
		}
	}
	return "", fmt.Errorf("dtype %s cannot be stored in safetensors", d)
}

// truncate shortens s for use in an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
