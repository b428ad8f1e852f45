// Package tensor provides gophi's element types (F32, F16, BF16 and the
// llama.cpp block-quantized types), conversion between them, and the kernels
// every matrix product in gophi goes through (see kernel.go).
//
// Weights are never parsed into Go values: a Matrix is a view of raw bytes,
// usually a slice of a memory-mapped file, in the layout its DType documents.
package tensor

import (
	"fmt"
	"strings"
)

// DType is an element type. Its numeric values are ggml's type ids as they
// appear in GGUF tensor infos, so a DType can be written to and read from GGUF
// files unchanged.
type DType uint32

// The element types gophi knows. Block layouts follow llama.cpp's
// ggml-common.h; see quant.go for the formula each one dequantizes to.
const (
	F32  DType = 0
	F16  DType = 1
	Q4_0 DType = 2
	Q4_1 DType = 3
	Q5_0 DType = 6
	Q5_1 DType = 7
	Q8_0 DType = 8
	Q8_1 DType = 9
	Q2_K DType = 10
	Q3_K DType = 11
	Q4_K DType = 12
	Q5_K DType = 13
	Q6_K DType = 14
	Q8_K DType = 15
	I8   DType = 24
	I16  DType = 25
	I32  DType = 26
	I64  DType = 27
	F64  DType = 28
	BF16 DType = 30

	// Q4_0R is Q4_0 repacked in memory for the VNNI kernel (pairs of
	// blocks: both scales, then lane-interleaved nibbles; same size). It
	// never appears in files: gophi repacks writable Q4_0 weights at load.
	Q4_0R DType = 200

	// Q4_0X is Q4_0 with rows interleaved 16 at a time in memory, for the
	// 16-row VNNI decode kernel (same size; rows are not contiguous, so use
	// Matrix.RowF32, never Matrix.Row). Also never in files.
	Q4_0X DType = 201

	// Q4_KX is Q4_K with rows interleaved 16 at a time in memory (see
	// kernels.RepackQ4_KX16), for the 16-row VNNI decode kernel. Same size,
	// rows not contiguous, never in files.
	Q4_KX DType = 202

	// Q6_KX is Q6_K with rows interleaved 16 at a time (see
	// kernels.RepackQ6_KX16); same size, rows not contiguous, never in files.
	Q6_KX DType = 203

	// Q8_0X is Q8_0 with rows interleaved 16 at a time and weights stored
	// plus 128 (see kernels.RepackQ8_0X16); same size, never in files.
	Q8_0X DType = 204

	// F16X is F16 with rows interleaved 16 at a time (element k of row r
	// of a group at 2·(16k + r), see kernels.RepackHalfX16), for the
	// 16-row decode kernel and a GEMM that reads its panels directly.
	// Same size, rows not contiguous, never in files.
	F16X DType = 205

	// BF16X is BF16 interleaved like F16X; never in files.
	BF16X DType = 206
)

type typeInfo struct {
	name       string
	blockElems int // elements per block
	blockBytes int // bytes per block
}

// types is indexed by DType; entries with blockElems 0 are unknown types.
var types = [...]typeInfo{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	BF16: {"BF16", 1, 2},
	F64:  {"F64", 1, 8},
	I8:   {"I8", 1, 1},
	I16:  {"I16", 1, 2},
	I32:  {"I32", 1, 4},
	I64:  {"I64", 1, 8},
	Q4_0: {"Q4_0", 32, 18},
	Q4_1: {"Q4_1", 32, 20},
	Q5_0: {"Q5_0", 32, 22},
	Q5_1: {"Q5_1", 32, 24},
	Q8_0: {"Q8_0", 32, 34},
	Q8_1: {"Q8_1", 32, 36},
	Q2_K: {"Q2_K", 256, 84},
	Q3_K: {"Q3_K", 256, 110},
	Q4_K: {"Q4_K", 256, 144},
	Q5_K: {"Q5_K", 256, 176},
	Q6_K: {"Q6_K", 256, 210},
	Q8_K: {"Q8_K", 256, 292},

	Q4_0R: {"Q4_0R", 64, 36},
	Q4_0X: {"Q4_0X", 32, 18},
	Q4_KX: {"Q4_KX", 256, 144},
	Q6_KX: {"Q6_KX", 256, 210},
	Q8_0X: {"Q8_0X", 32, 34},
	F16X:  {"F16X", 1, 2},
	BF16X: {"BF16X", 1, 2},
}

func (d DType) info() (typeInfo, bool) {
	if int(d) < len(types) && types[d].blockElems > 0 {
		return types[d], true
	}
	return typeInfo{}, false
}

// Known reports whether d is a type gophi knows the layout of.
func (d DType) Known() bool { _, ok := d.info(); return ok }

// InFiles reports whether d is a ggml type that may appear in a file:
// known, and not one of gophi's in-memory layouts (Q4_0R, Q4_0X, Q4_KX,
// Q6_KX, Q8_0X, F16X, BF16X), which readers must refuse since their kernels assume
// shapes the loader checked.
func (d DType) InFiles() bool { return d.Known() && d < Q4_0R }

// String returns the type's ggml name, such as "Q4_0".
func (d DType) String() string {
	if t, ok := d.info(); ok {
		return t.name
	}
	return fmt.Sprintf("DType(%d)", uint32(d))
}

// BlockElems is the number of elements in one block (1 for plain types).
func (d DType) BlockElems() int { t, _ := d.info(); return t.blockElems }

// BlockBytes is the size in bytes of one block.
func (d DType) BlockBytes() int { t, _ := d.info(); return t.blockBytes }

// Quantized reports whether d is a block-quantized type.
func (d DType) Quantized() bool { t, _ := d.info(); return t.blockElems > 1 }

// RowBytes returns the bytes needed for n consecutive elements of type d. It
// fails when d is unknown or n is not a whole number of blocks.
func (d DType) RowBytes(n int) (int, error) {
	t, ok := d.info()
	if !ok {
		return 0, fmt.Errorf("tensor: unknown type %d", uint32(d))
	}
	if n < 0 || n%t.blockElems != 0 {
		return 0, fmt.Errorf("tensor: %d elements is not a whole number of %s blocks of %d", n, t.name, t.blockElems)
	}
	return n / t.blockElems * t.blockBytes, nil
}

// Bytes returns the size in bytes of a tensor of type d with the given
// element count, checking for overflow and partial blocks. It is what file
// readers use to validate a tensor's claimed size against the file.
func (d DType) Bytes(elems uint64) (uint64, error) {
	t, ok := d.info()
	if !ok {
		return 0, fmt.Errorf("tensor: unknown type %d", uint32(d))
	}
	if elems%uint64(t.blockElems) != 0 {
		return 0, fmt.Errorf("tensor: %d elements is not a whole number of %s blocks of %d", elems, t.name, t.blockElems)
	}
	blocks := elems / uint64(t.blockElems)
	if blocks > (1<<62)/uint64(t.blockBytes) {
		return 0, fmt.Errorf("tensor: %d elements of %s overflow", elems, t.name)
	}
	return blocks * uint64(t.blockBytes), nil
}

// ParseDType parses a ggml type name ("q8_0", "F16", "bf16"), case-insensitively.
func ParseDType(s string) (DType, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for d, t := range types {
		if t.blockElems > 0 && t.name == u {
			return DType(d), nil
		}
	}
	return 0, fmt.Errorf("tensor: unknown type %q", s)
}
