package safetensors_test

import (
	"fmt"
	"log"
	"os"

	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/tensor"
)

func ExampleWriteSharded() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	tensors := []*safetensors.Tensor{
		{Name: "model.norm.weight", DType: tensor.BF16, Shape: []int{4}, Data: make([]byte, 8)},
		{Name: "lm_head.weight", DType: tensor.BF16, Shape: []int{8, 4}, Data: make([]byte, 64)},
	}
	// A 64-byte shard limit splits these two tensors into two shards.
	if err := safetensors.WriteSharded(dir, tensors, map[string]string{"format": "pt"}, 64); err != nil {
		log.Fatal(err)
	}

	c, err := safetensors.OpenDir(dir, safetensors.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, name := range c.Names() {
		t, _ := c.Tensor(name)
		fmt.Println(name, t.DType, t.Shape)
	}
	fmt.Println(len(c.Files), "shards")
	// Output:
	// lm_head.weight BF16 [8 4]
	// model.norm.weight BF16 [4]
	// 2 shards
}
