// Package quantize writes quantized GGUF files of Phi-3-family models the
// way llama.cpp's llama-quantize does: the same file types (Q4_K_M and
// friends), the same choice of type per tensor, and the same reference
// quantizers (tensor.QuantizeRow), so the files match llama.cpp's in size
// and accuracy. It also writes synthetic models with random weights of the
// real model shapes, for benchmarks.
package quantize

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gophi/gophi/tensor"
)

// FileType is a llama.cpp file type (enum llama_ftype), the value of a GGUF
// file's general.file_type: it names the mix of tensor types a file has.
type FileType uint32

// The llama.cpp file types gophi knows, with their llama_ftype ids.
const (
	AllF32 FileType = 0  // every tensor F32
	F16    FileType = 1  // matrices F16
	Q4_0   FileType = 2  // mostly Q4_0 (output Q6_K)
	Q4_1   FileType = 3  // mostly Q4_1 (output Q6_K)
	Q8_0   FileType = 7  // matrices Q8_0
	Q5_0   FileType = 8  // mostly Q5_0 (output Q6_K)
	Q5_1   FileType = 9  // mostly Q5_1 (output Q6_K)
	Q2_K   FileType = 10 // recognised, not written (no Q2_K quantizer)
	Q3_K_S FileType = 11 // recognised, not written (no Q3_K quantizer)
	Q3_K_M FileType = 12 // recognised, not written (no Q3_K quantizer)
	Q3_K_L FileType = 13 // recognised, not written (no Q3_K quantizer)
	Q4_K_S FileType = 14 // Q4_K, some Q5_K in the first layers, output Q6_K
	Q4_K_M FileType = 15 // Q4_K, half the attn_qkv/ffn_down Q6_K, output Q6_K
	Q5_K_S FileType = 16 // Q5_K, output Q6_K
	Q5_K_M FileType = 17 // Q5_K, half the attn_qkv/ffn_down Q6_K, output Q6_K
	Q6_K   FileType = 18 // Q6_K
	BF16   FileType = 32 // matrices BF16
)

var fileTypes = []struct {
	ft   FileType
	name string
	base tensor.DType
}{
	{AllF32, "F32", tensor.F32},
	{F16, "F16", tensor.F16},
	{BF16, "BF16", tensor.BF16},
	{Q8_0, "Q8_0", tensor.Q8_0},
	{Q4_0, "Q4_0", tensor.Q4_0},
	{Q4_1, "Q4_1", tensor.Q4_1},
	{Q5_0, "Q5_0", tensor.Q5_0},
	{Q5_1, "Q5_1", tensor.Q5_1},
	{Q2_K, "Q2_K", tensor.Q2_K},
	{Q3_K_S, "Q3_K_S", tensor.Q3_K},
	{Q3_K_M, "Q3_K_M", tensor.Q3_K},
	{Q3_K_L, "Q3_K_L", tensor.Q3_K},
	{Q4_K_S, "Q4_K_S", tensor.Q4_K},
	{Q4_K_M, "Q4_K_M", tensor.Q4_K},
	{Q5_K_S, "Q5_K_S", tensor.Q5_K},
	{Q5_K_M, "Q5_K_M", tensor.Q5_K},
	{Q6_K, "Q6_K", tensor.Q6_K},
}

// aliases are the other names llama-quantize accepts for a type.
var aliases = map[string]FileType{
	"ALL_F32": AllF32,
	"Q3_K":    Q3_K_M,
	"Q4_K":    Q4_K_M,
	"Q5_K":    Q5_K_M,
}

// FileTypes lists the file types Quantize and WriteRandom can write.
func FileTypes() []FileType {
	var out []FileType
	for _, f := range fileTypes {
		if f.ft.Supported() {
			out = append(out, f.ft)
		}
	}
	return out
}

// String returns the type's llama.cpp name, such as "Q4_K_M" ("F32" for
// AllF32).
func (f FileType) String() string {
	for _, t := range fileTypes {
		if t.ft == f {
			return t.name
		}
	}
	return fmt.Sprintf("FileType(%d)", uint32(f))
}

// BaseType returns the tensor type most matrices of the file type get
// (llama.cpp's llama_ftype_get_default_type), or false for an unknown
// file type.
func (f FileType) BaseType() (tensor.DType, bool) {
	for _, t := range fileTypes {
		if t.ft == f {
			return t.base, true
		}
	}
	return 0, false
}

// Supported reports whether gophi can write files of this type: every one
// it knows except Q2_K and the Q3_K types, for which it has no quantizer.
func (f FileType) Supported() bool {
	base, ok := f.BaseType()
	return ok && tensor.CanQuantize(base)
}

// ParseFileType parses a file type name as llama-quantize spells it
// ("Q4_K_M", "q8_0", "F16", "BF16", "F32"; also "Q4_K" and "Q5_K" for the
// _M variants), case-insensitively, or a general.file_type id ("15").
func ParseFileType(s string) (FileType, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, t := range fileTypes {
		if t.name == u {
			return t.ft, nil
		}
	}
	if ft, ok := aliases[u]; ok {
		return ft, nil
	}
	if n, err := strconv.ParseUint(u, 10, 32); err == nil {
		if _, ok := FileType(n).BaseType(); ok {
			return FileType(n), nil
		}
	}
	var names []string
	for _, ft := range FileTypes() {
		names = append(names, ft.String())
	}
	return 0, fmt.Errorf("quantize: unknown file type %q (use one of %s)", s, strings.Join(names, ", "))
}
