package gguf

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gophi/gophi/tensor"
)

// fuzzSeeds returns valid files and corrupted variants of them.
func fuzzSeeds(tb testing.TB) [][]byte {
	full := encode(tb, sampleWriter(tb))
	small := NewWriter()
	small.SetKV("general.architecture", "phi3")
	small.SetKV("phi3.block_count", uint32(1))
	small.SetKV("tokenizer.ggml.tokens", []string{"<unk>", "<s>", "▁a"})
	small.SetKV("tokenizer.ggml.scores", []float32{0, 0, -1})
	small.SetKV("tokenizer.ggml.token_type", []int32{2, 3, 1})
	small.SetKV("nested", []any{[]uint16{1}, []any{[]bool{true}}})
	small.SetKV(AlignmentKey, uint32(8))
	small.AddTensor("blk.0.attn_norm.weight", tensor.F32, []uint64{2}, seq(8))
	small.AddTensor("blk.0.ffn_up.weight", tensor.Q8_0, []uint64{32}, seq(34))
	smallBytes := encode(tb, small)

	seeds := [][]byte{full, smallBytes, v2File(), vocabFile(tb, 50)}
	for _, n := range []int{3, 7, 24, len(smallBytes) / 2, len(smallBytes) - 1} {
		seeds = append(seeds, smallBytes[:n])
	}
	// Counts, lengths and the version corrupted in place.
	for _, at := range []int{4, 8, 16, 24, 40} {
		c := bytes.Clone(smallBytes)
		binary.LittleEndian.PutUint32(c[at:], 0xfffffff0)
		seeds = append(seeds, c)
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz", data)
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("error %v is %T, not *FormatError", err, err)
			}
			return
		}
		// Everything the reader accepts, the Writer must accept, and
		// writing is a fixed point of reading.
		first := rewrite(t, file)
		again, err := Parse("again", first)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if second := rewrite(t, again); !bytes.Equal(first, second) {
			t.Fatal("rewriting is not stable")
		}
		for i, ti := range file.Tensors {
			tj := again.Tensors[i]
			if ti.Name != tj.Name || ti.Type != tj.Type || !bytes.Equal(ti.Data, tj.Data) {
				t.Fatalf("tensor %q changed when rewritten", ti.Name)
			}
		}
	})
}

// rewrite copies a parsed file through the Writer.
func rewrite(t *testing.T, f *File) []byte {
	w := NewWriter()
	for _, k := range f.Keys() {
		v, _ := f.Get(k)
		if err := w.SetKV(k, v); err != nil {
			t.Fatalf("SetKV(%q): %v", k, err)
		}
	}
	for _, ti := range f.Tensors {
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
			t.Fatalf("AddTensor(%q): %v", ti.Name, err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
