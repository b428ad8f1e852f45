package model

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/tensor"
)

func TestGGUFName(t *testing.T) {
	tests := map[string]string{
		"model.embed_tokens.weight":                      "token_embd.weight",
		"lm_head.weight":                                 "output.weight",
		"model.layers.12.mlp.gate_up_proj.weight":        "blk.12.ffn_up.weight",
		"model.layers.0.self_attn.qkv_proj.weight":       "blk.0.attn_qkv.weight",
		"model.layers.3.post_attention_layernorm.weight": "blk.3.ffn_norm.weight",
	}
	for hf, want := range tests {
		if got, ok := GGUFName(hf); !ok || got != want {
			t.Errorf("GGUFName(%q) = %q, %v; want %q", hf, got, ok, want)
		}
	}
	for _, bad := range []string{"model.layers.x.mlp.down_proj.weight", "model.layers.1", "foo"} {
		if _, ok := GGUFName(bad); ok {
			t.Errorf("GGUFName(%q) accepted", bad)
		}
	}
}

// TestConfigFromGGUFErrors: files that lie about the model give errors.
func TestConfigFromGGUFErrors(t *testing.T) {
	build := func(edit func(w *gguf.Writer)) *gguf.File {
		w := gguf.NewWriter()
		w.SetKV("general.architecture", "phi3")
		for k, v := range map[string]uint32{"context_length": 64, "embedding_length": 32, "feed_forward_length": 64,
			"block_count": 1, "attention.head_count": 4, "attention.head_count_kv": 4, "rope.dimension_count": 8} {
			w.SetKV("phi3."+k, v)
		}
		if err := w.AddTensor("token_embd.weight", tensor.F32, []uint64{32, 10}, make([]byte, 32*10*4)); err != nil {
			t.Fatal(err)
		}
		edit(w)
		path := filepath.Join(t.TempDir(), "m.gguf")
		if err := w.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	if _, err := ConfigFromGGUF(build(func(*gguf.Writer) {})); err != nil {
		t.Fatalf("valid metadata rejected: %v", err)
	}
	tests := []struct {
		edit func(w *gguf.Writer)
		want string
	}{
		{func(w *gguf.Writer) { w.SetKV("general.architecture", "llama") }, "architecture"},
		{func(w *gguf.Writer) { w.SetKV("phi3.attention.head_count_kv", uint32(3)) }, "multiple"},
		{func(w *gguf.Writer) { w.SetKV("phi3.rope.dimension_count", uint32(7)) }, "rotary"},
		{func(w *gguf.Writer) { w.SetKV("phi3.block_count", uint64(1<<40)) }, "out of range"},
		{func(w *gguf.Writer) {
			w.AddTensor(GGUFRopeFactorsLong, tensor.F32, []uint64{4}, make([]byte, 16))
		}, "only one"},
		{func(w *gguf.Writer) {
			w.AddTensor(GGUFRopeFactorsLong, tensor.F32, []uint64{3}, make([]byte, 12))
			w.AddTensor(GGUFRopeFactorsShort, tensor.F32, []uint64{3}, make([]byte, 12))
		}, "factor"},
	}
	for i, tt := range tests {
		_, err := ConfigFromGGUF(build(tt.edit))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("case %d: got %v, want an error mentioning %q", i, err, tt.want)
		}
	}
	// Metadata that parses but tensors that do not match it.
	f := build(func(w *gguf.Writer) { w.SetKV("phi3.embedding_length", uint32(64)) })
	if _, err := FromGGUF(f, LoadOptions{Threads: 1}); err == nil || !strings.Contains(err.Error(), "token_embd") && !strings.Contains(err.Error(), "embed_tokens") {
		t.Errorf("mismatched tensors: %v", err)
	}
}
