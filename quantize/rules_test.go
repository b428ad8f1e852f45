package quantize

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gophi/gophi/tensor"
)

func TestParseFileType(t *testing.T) {
	for _, c := range []struct {
		in   string
		want FileType
	}{
		{"Q4_K_M", Q4_K_M}, {"q4_k_m", Q4_K_M}, {" Q4_k_S ", Q4_K_S}, {"Q4_K", Q4_K_M}, {"Q5_K", Q5_K_M},
		{"Q5_K_S", Q5_K_S}, {"Q5_K_M", Q5_K_M}, {"Q6_K", Q6_K}, {"Q8_0", Q8_0}, {"Q4_0", Q4_0},
		{"Q4_1", Q4_1}, {"Q5_0", Q5_0}, {"Q5_1", Q5_1}, {"F16", F16}, {"bf16", BF16}, {"F32", AllF32},
		{"ALL_F32", AllF32}, {"Q2_K", Q2_K}, {"Q3_K_L", Q3_K_L},
		// general.file_type ids (LLAMA_FTYPE_*)
		{"0", AllF32}, {"1", F16}, {"2", Q4_0}, {"3", Q4_1}, {"7", Q8_0}, {"8", Q5_0}, {"9", Q5_1},
		{"10", Q2_K}, {"11", Q3_K_S}, {"12", Q3_K_M}, {"13", Q3_K_L}, {"14", Q4_K_S}, {"15", Q4_K_M},
		{"16", Q5_K_S}, {"17", Q5_K_M}, {"18", Q6_K}, {"32", BF16},
	} {
		got, err := ParseFileType(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseFileType(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "Q4", "Q4_K_X", "IQ2_XXS", "4", "99", "-1", "Q8_1"} {
		if _, err := ParseFileType(bad); err == nil || !strings.Contains(err.Error(), "Q4_K_M") {
			t.Errorf("ParseFileType(%q): err = %v, want an error listing the types", bad, err)
		}
	}
	for _, ft := range FileTypes() {
		if got, err := ParseFileType(ft.String()); err != nil || got != ft {
			t.Errorf("%v does not round-trip through its name: %v %v", ft, got, err)
		}
		if got, err := ParseFileType(fmt.Sprint(uint32(ft))); err != nil || got != ft {
			t.Errorf("%v does not round-trip through its id: %v %v", ft, got, err)
		}
	}
	if len(FileTypes()) != 13 {
		t.Errorf("FileTypes() = %v, want the 13 writable types", FileTypes())
	}
	for _, ft := range []FileType{Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, FileType(4), FileType(99)} {
		if ft.Supported() {
			t.Errorf("%v.Supported() = true", ft)
		}
	}
	if s := FileType(99).String(); s != "FileType(99)" {
		t.Errorf("FileType(99).String() = %q", s)
	}
}

// phi3MiniNames lists Phi-3-mini's GGUF tensor names for 32 layers.
func phi3MiniNames() []string {
	names := []string{"token_embd.weight", "output_norm.weight", "output.weight", "rope_factors_long.weight", "rope_factors_short.weight"}
	for l := 0; l < 32; l++ {
		for _, s := range []string{"attn_norm", "attn_qkv", "attn_output", "ffn_norm", "ffn_up", "ffn_down"} {
			names = append(names, fmt.Sprintf("blk.%d.%s.weight", l, s))
		}
	}
	return names
}

// TestTensorTypePhi3Mini checks the type of every Phi-3-mini tensor (32
// layers) in Q4_K_M and Q4_K_S files against a table derived by hand from
// llama.cpp's src/llama-quant.cpp at commit 34af94cd:
//
//   - output.weight: Q6_K (llama_tensor_get_type_impl, line 471: OUTPUT
//     gets Q6_K when the default type is not Q8_0).
//   - token_embd.weight: Q4_K, the default (Phi-3 has its own
//     output.weight, so the TOKEN_EMBD branch applies, which changes only
//     IQ/TQ types).
//   - attn_qkv: category_is_attn_v, so the attn_v branch (line 529):
//     Q4_K_M: Q6_K when use_more_bits(layer, 32) (line 553), i.e. layers
//     0-3, 28-31 and 6, 9, ..., 27 ((layer-4)%3 == 2), else Q4_K;
//     Q4_K_S: Q5_K for layers 0-3 (line 554), else Q4_K.
//   - ffn_down: Q4_K_M: Q6_K on the same use_more_bits layers (line 613);
//     Q4_K_S: Q5_K for layers < 32/8 = 4 (line 620).
//   - attn_output, ffn_up (the fused gate|up): Q4_K (no rule for these
//     types, lines 632-650 and 666-672).
//   - norms and rope factors: not quantized (1-D, line 294): F32.
func TestTensorTypePhi3Mini(t *testing.T) {
	// One character per layer 0..31: 4 = Q4_K, 5 = Q5_K, 6 = Q6_K.
	const moreBits = "6666" + "446446446446446446446446" + "6666"
	const first4 = "5555" + "4444444444444444444444444444"
	table := map[FileType]struct{ qkv, down string }{
		Q4_K_M: {moreBits, moreBits},
		Q4_K_S: {first4, first4},
	}
	digit := map[byte]tensor.DType{'4': tensor.Q4_K, '5': tensor.Q5_K, '6': tensor.Q6_K}
	counts := map[FileType]map[tensor.DType]int{}
	for ft, tab := range table {
		counts[ft] = map[tensor.DType]int{}
		for _, name := range phi3MiniNames() {
			want := tensor.Q4_K
			switch {
			case name == "output.weight":
				want = tensor.Q6_K
			case strings.HasSuffix(name, "_norm.weight"), strings.HasPrefix(name, "rope_factors"):
				want = tensor.F32
			case strings.HasSuffix(name, "attn_qkv.weight"):
				want = digit[tab.qkv[layerOf(name)]]
			case strings.HasSuffix(name, "ffn_down.weight"):
				want = digit[tab.down[layerOf(name)]]
			}
			got := TensorType(ft, name, 32)
			counts[ft][got]++
			if got != want {
				t.Errorf("%v %s: %v, want %v", ft, name, got, want)
			}
		}
	}
	// The totals as llama-quantize's summary would count them.
	if c := counts[Q4_K_M]; c[tensor.Q6_K] != 33 || c[tensor.Q4_K] != 2*16+2*32+1 || c[tensor.F32] != 2*32+3 {
		t.Errorf("Q4_K_M counts %v", c)
	}
	if c := counts[Q4_K_S]; c[tensor.Q5_K] != 8 || c[tensor.Q6_K] != 1 {
		t.Errorf("Q4_K_S counts %v", c)
	}
}

// TestTensorTypeFor covers the other file types, tied embeddings and the
// fallbacks for rows that are not whole blocks.
func TestTensorTypeFor(t *testing.T) {
	mat := []uint64{3072, 9216}
	vec := []uint64{3072}
	for _, c := range []struct {
		ft   FileType
		name string
		dims []uint64
		tied bool
		want tensor.DType
	}{
		// Plain file types: every matrix gets the type, vectors stay F32.
		{AllF32, "output.weight", mat, false, tensor.F32},
		{F16, "output.weight", mat, false, tensor.F16},
		{F16, "blk.0.attn_norm.weight", vec, false, tensor.F32},
		{BF16, "token_embd.weight", mat, true, tensor.BF16},
		{F16, "blk.0.ffn_down.weight", []uint64{100, 7}, false, tensor.F16},
		// Legacy quant types: output Q6_K (Q8_0 for Q8_0 files).
		{Q4_0, "output.weight", mat, false, tensor.Q6_K},
		{Q4_0, "token_embd.weight", mat, false, tensor.Q4_0},
		{Q4_0, "token_embd.weight", mat, true, tensor.Q6_K},
		{Q4_1, "blk.0.ffn_down.weight", mat, false, tensor.Q4_1},
		{Q5_0, "blk.0.attn_qkv.weight", mat, false, tensor.Q5_0},
		{Q5_1, "output.weight", mat, false, tensor.Q6_K},
		{Q8_0, "output.weight", mat, false, tensor.Q8_0},
		{Q8_0, "token_embd.weight", mat, true, tensor.Q8_0},
		{Q8_0, "blk.3.ffn_down.weight", mat, false, tensor.Q8_0},
		// K types.
		{Q6_K, "blk.3.ffn_down.weight", mat, false, tensor.Q6_K},
		{Q5_K_S, "blk.0.ffn_down.weight", mat, false, tensor.Q5_K},
		{Q5_K_S, "output.weight", mat, false, tensor.Q6_K},
		{Q5_K_M, "blk.0.attn_qkv.weight", mat, false, tensor.Q6_K},
		{Q5_K_M, "blk.4.attn_qkv.weight", mat, false, tensor.Q5_K},
		{Q5_K_M, "blk.6.ffn_down.weight", mat, false, tensor.Q6_K},
		{Q5_K_M, "blk.7.ffn_down.weight", mat, false, tensor.Q5_K},
		{Q4_K_M, "token_embd.weight", mat, true, tensor.Q6_K}, // Phi-4-mini: tied
		{Q4_K_M, "blk.0.attn_output.weight", mat, false, tensor.Q4_K},
		// Phi-3-medium, 40 layers: use_more_bits(i, 40) = i<5, i>=35, (i-5)%3==2.
		// (checked through TensorType below)
		// Fallbacks: 64-wide rows (tiny models) are 32-multiples only.
		{Q4_K_M, "blk.1.ffn_up.weight", []uint64{64, 320}, false, tensor.Q5_0},
		{Q5_K_S, "blk.1.ffn_up.weight", []uint64{64, 320}, false, tensor.Q5_1},
		{Q6_K, "blk.1.ffn_up.weight", []uint64{64, 320}, false, tensor.Q8_0},
		{Q4_K_M, "blk.0.ffn_down.weight", []uint64{160, 64}, false, tensor.Q8_0}, // Q6_K → Q8_0
		{Q4_K_M, "output.weight", []uint64{64, 32064}, false, tensor.Q8_0},       // row not a Q4_K block
		{Q4_0, "output.weight", []uint64{64, 32064}, false, tensor.Q8_0},         // Q6_K → Q8_0
		{Q4_K_M, "output.weight", []uint64{96, 512}, false, tensor.Q8_0},
		{Q4_K_M, "blk.2.ffn_down.weight", []uint64{256, 96}, false, tensor.Q6_K}, // 256 fits
		{Q4_K_M, "blk.0.ffn_up.weight", []uint64{48, 10}, false, tensor.F16},     // not even 32
		{Q4_0, "blk.0.ffn_up.weight", []uint64{48, 10}, false, tensor.F16},
		// Not quantized.
		{Q4_K_M, "rope_factors_long.weight", []uint64{48}, false, tensor.F32},
		{Q4_K_M, "blk.0.ffn_norm.weight", []uint64{3072, 1}, false, tensor.F32},
		{Q4_K_M, "blk.0.something.bias", mat, false, tensor.F32},
		// Recognised but unwritable types get their base type.
		{Q3_K_M, "blk.0.ffn_up.weight", mat, false, tensor.Q3_K},
		{FileType(99), "blk.0.ffn_up.weight", mat, false, tensor.F32},
	} {
		if got := TensorTypeFor(c.ft, c.name, c.dims, 32, c.tied); got != c.want {
			t.Errorf("TensorTypeFor(%v, %s, %v, tied %v) = %v, want %v", c.ft, c.name, c.dims, c.tied, got, c.want)
		}
	}
	for l, want := range map[int]tensor.DType{0: tensor.Q6_K, 4: tensor.Q6_K, 5: tensor.Q4_K, 7: tensor.Q6_K, 8: tensor.Q4_K, 33: tensor.Q4_K, 34: tensor.Q6_K, 35: tensor.Q6_K, 39: tensor.Q6_K} {
		if got := TensorType(Q4_K_M, fmt.Sprintf("blk.%d.ffn_down.weight", l), 40); got != want {
			t.Errorf("medium layer %d ffn_down: %v, want %v", l, got, want)
		}
	}
}
