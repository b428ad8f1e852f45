package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/tensor"
)

func Example() {
	dir, err := os.MkdirTemp("", "gguf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	w := gguf.NewWriter()
	w.SetKV("general.architecture", "phi3")
	w.SetKV("phi3.block_count", uint32(32))
	w.SetKV("tokenizer.ggml.tokens", []string{"<unk>", "<s>", "</s>"})
	// An F32 [2, 3] weight: dims are innermost first, so {3, 2}.
	if err := w.AddTensor("output_norm.weight", tensor.F32, []uint64{3, 2}, make([]byte, 24)); err != nil {
		log.Fatal(err)
	}
	if err := w.WriteFile(path); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	arch, _ := f.String("general.architecture")
	blocks, _ := f.Uint("phi3.block_count")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	t, _ := f.Tensor("output_norm.weight")
	fmt.Println(f.Version, arch, blocks, len(tokens))
	fmt.Println(t.Name, t.Type, t.Dims, len(t.Data))
	// Output:
	// 3 phi3 32 3
	// output_norm.weight F32 [3 2] 24
}
