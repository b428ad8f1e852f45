package quantize

import (
	"strconv"
	"strings"

	"github.com/gophi/gophi/tensor"
)

// The per-tensor type choice below follows llama.cpp's src/llama-quant.cpp
// (upstream commit 34af94cd) as it applies to arch phi3, which has one
// fused attn_qkv and one ffn_down per layer, no experts, and is not Falcon
// or a 70B model:
//
//   - tensor_allows_quantization (line 289): 1-D tensors (line 294) and
//     *_norm.weight (line 302) are not quantized; gophi writes them F32.
//   - llama_tensor_get_type (line 679): only when the file type's default
//     type is quantized (line 693) does the per-tensor logic run; for F32,
//     F16 and BF16 files every matrix simply gets that type.
//   - llama_tensor_get_type_impl (line 424):
//     output.weight, and token_embd.weight when the model has no
//     output.weight (tied embeddings, line 452), gets Q8_0 if its row
//     length is not a multiple of the default type's block (line 462),
//     else Q6_K unless the default is Q8_0 (line 471). This holds for
//     Q4_0/Q4_1/Q5_0/Q5_1 files too. An untied token_embd keeps the
//     default type.
//     attn_qkv falls in category_is_attn_v (line 154), so it takes the
//     attn_v branch (line 529), not the ATTENTION_QKV branch (line 651),
//     which is therefore never reached: Q4_K_M and Q5_K_M give Q6_K when
//     use_more_bits(i, n) (line 553), Q4_K_S gives Q5_K for i < 4
//     (line 554), where i counts the attn_qkv tensors before this one.
//     ffn_down: Q4_K_M and Q5_K_M give Q6_K when use_more_bits(i, n)
//     (lines 613, 619); Q4_K_S gives Q5_K for i < n/8 (line 620).
//     attn_output and ffn_up keep the default for the types gophi writes.
//   - The loader sorts tensors by layer, then name (weight_name_comparer,
//     llama-model-loader.h line 53), so for phi3 the running counters
//     i_attention_wv and i_ffn_down equal the layer number, and n is the
//     layer count.
//   - tensor_type_fallback (line 374): a row length that is not a
//     multiple of the chosen type's block falls back Q4_K → Q5_0,
//     Q5_K → Q5_1, Q6_K → Q8_0 (line 400), and to F16 when even that
//     does not fit (line 415). llama.cpp has no fallback for the 32-element
//     types and refuses such a tensor; gophi writes it F16 as its
//     converter does.

// useMoreBits is llama.cpp's use_more_bits: the first and last eighth of
// the layers and every third layer in between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// TensorType returns the type llama-quantize gives the Phi-3 tensor named
// ggufName (such as "blk.3.ffn_down.weight") in a file of type ftype for a
// model of nLayers layers, assuming, as for every Phi-3 model, that matrix
// rows are a whole number of 256-element blocks and that the model has its
// own output.weight. Norms and rope factors are F32. See TensorTypeFor for
// other shapes and tied embeddings.
func TensorType(ftype FileType, ggufName string, nLayers int) tensor.DType {
	dims := []uint64{256, 256}
	if !isMatrixName(ggufName) {
		dims = []uint64{256}
	}
	return TensorTypeFor(ftype, ggufName, dims, nLayers, false)
}

// isMatrixName reports whether a phi3 tensor name is a matrix (not a norm
// or rope factor vector).
func isMatrixName(name string) bool {
	return strings.HasSuffix(name, ".weight") && !strings.HasSuffix(name, "_norm.weight") && !strings.HasPrefix(name, "rope_factors")
}

// TensorTypeFor returns the type llama-quantize gives a tensor of a phi3
// model in a file of type ftype: name is its GGUF name, dims its GGUF
// dimensions (row length first), nLayers the model's layer count, and tied
// whether the model has no output.weight (so token_embd.weight is the
// output matrix too). Tensors llama.cpp leaves unquantized (vectors, norms,
// names not ending in "weight") are F32. For the file types gophi cannot
// write (Q2_K, Q3_K_*) it returns the base type without llama.cpp's
// mixture.
func TensorTypeFor(ftype FileType, name string, dims []uint64, nLayers int, tied bool) tensor.DType {
	base, ok := ftype.BaseType()
	if !ok {
		return tensor.F32
	}
	if len(dims) < 2 || !strings.HasSuffix(name, "weight") || strings.Contains(name, "_norm.weight") {
		return tensor.F32
	}
	if !base.Quantized() {
		return base
	}
	cols := dims[0]
	typ := base
	layer := layerOf(name)
	switch {
	case !ftype.Supported():
	case name == "output.weight" || tied && name == "token_embd.weight":
		if cols%uint64(base.BlockElems()) != 0 {
			typ = tensor.Q8_0
		} else if typ != tensor.Q8_0 {
			typ = tensor.Q6_K
		}
	case strings.Contains(name, "attn_qkv.weight") || strings.Contains(name, "attn_v.weight") || strings.Contains(name, "attn_kv_b.weight"):
		switch {
		case (ftype == Q4_K_M || ftype == Q5_K_M) && useMoreBits(layer, nLayers):
			typ = tensor.Q6_K
		case ftype == Q4_K_S && layer < 4:
			typ = tensor.Q5_K
		}
	case strings.Contains(name, "ffn_down"):
		switch {
		case (ftype == Q4_K_M || ftype == Q5_K_M) && useMoreBits(layer, nLayers):
			typ = tensor.Q6_K
		case ftype == Q4_K_S && layer < nLayers/8:
			typ = tensor.Q5_K
		}
	}
	return fallback(typ, cols)
}

// fallback returns typ, or the type llama.cpp falls back to when rows of
// cols elements are not a whole number of typ's blocks.
func fallback(typ tensor.DType, cols uint64) tensor.DType {
	if cols%uint64(typ.BlockElems()) == 0 {
		return typ
	}
	switch typ {
	case tensor.Q4_K:
		typ = tensor.Q5_0
	case tensor.Q5_K:
		typ = tensor.Q5_1
	case tensor.Q6_K:
		typ = tensor.Q8_0
	case tensor.Q2_K, tensor.Q3_K:
		typ = tensor.Q4_0
	}
	if cols%uint64(typ.BlockElems()) != 0 {
		return tensor.F16
	}
	return typ
}

// layerOf returns N for a name "blk.N.…", or -1.
func layerOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	num, _, ok := strings.Cut(rest, ".")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return -1
	}
	return n
}
