package bench

import (
	"fmt"
	"math"
	"os"

	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/quantize"
	"github.com/gophi/gophi/tensor"
)

// modelInfo is what the results say about a model, read from its file
// headers (the weights are mapped, not read).
type modelInfo struct {
	cfg      *model.Config
	size     uint64 // bytes of every tensor in the file(s)
	params   uint64 // elements of every tensor in the file(s)
	matBytes uint64 // bytes of the matrices each generated token is multiplied by
	layerMat uint64 // elements of the layers' matrices
	typ      string // the GGUF file type, else the type of most of the layers' matrix bytes
}

// describe reads a model's configuration and tensor sizes.
func describe(path string) (*modelInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	info := &modelInfo{}
	var lookup func(hf string) (tensor.DType, uint64, uint64, bool) // type, bytes, elements
	if st.IsDir() {
		if info.cfg, err = model.LoadConfig(path); err != nil {
			return nil, err
		}
		ck, err := safetensors.OpenDir(path, safetensors.OpenOptions{})
		if err != nil {
			return nil, err
		}
		defer ck.Close()
		for _, n := range ck.Names() {
			t, _ := ck.Tensor(n)
			info.size += uint64(len(t.Data))
			info.params += uint64(t.NumElements())
		}
		lookup = func(hf string) (tensor.DType, uint64, uint64, bool) {
			t, ok := ck.Tensor(hf)
			if !ok {
				return 0, 0, 0, false
			}
			return t.DType, uint64(len(t.Data)), uint64(t.NumElements()), true
		}
		return info, info.matrices(lookup)
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info.cfg, err = model.ConfigFromGGUF(f); err != nil {
		return nil, err
	}
	for _, t := range f.Tensors {
		info.size += uint64(len(t.Data))
		info.params += t.NumElements()
	}
	lookup = func(hf string) (tensor.DType, uint64, uint64, bool) {
		g, ok := model.GGUFName(hf)
		if !ok {
			return 0, 0, 0, false
		}
		t, ok := f.Tensor(g)
		if !ok {
			return 0, 0, 0, false
		}
		return t.Type, uint64(len(t.Data)), t.NumElements(), true
	}
	if err := info.matrices(lookup); err != nil {
		return nil, err
	}
	// A GGUF file names its type mix, as llama.cpp's model description does.
	if ft, ok := f.Uint("general.file_type"); ok && ft <= math.MaxUint32 {
		if _, ok := quantize.FileType(ft).BaseType(); ok {
			info.typ = quantize.FileType(ft).String()
		}
	}
	return info, nil
}

// matrices adds up the matrices a generated token is multiplied by.
func (info *modelInfo) matrices(lookup func(hf string) (tensor.DType, uint64, uint64, bool)) error {
	c := info.cfg
	byType := map[tensor.DType]uint64{}
	for l := 0; l < c.Layers; l++ {
		for _, s := range []string{model.NameQKV, model.NameO, model.NameGateUp, model.NameDown} {
			name := model.LayerTensorName(l, s)
			typ, b, n, ok := lookup(name)
			if !ok {
				return fmt.Errorf("tensor %q is missing", name)
			}
			info.matBytes += b
			info.layerMat += n
			byType[typ] += b
		}
	}
	head := model.NameLMHead
	if c.TieEmbeddings {
		head = model.NameEmbed
	}
	_, b, _, ok := lookup(head)
	if !ok {
		return fmt.Errorf("tensor %q is missing", head)
	}
	info.matBytes += b
	var most uint64
	for t, b := range byType {
		if b > most || b == most && t.String() < info.typ {
			most, info.typ = b, t.String()
		}
	}
	return nil
}

// modelType is llama-bench's model description: "phi3 3.8B Q4_0".
func (info *modelInfo) modelType() string {
	return fmt.Sprintf("%s %s %s", info.cfg.Arch, shortCount(info.params), info.typ)
}

// ppFlops is the floating-point operations of evaluating a p-token prompt
// on an empty sequence (see the package documentation).
func (info *modelInfo) ppFlops(p int) float64 {
	c := info.cfg
	f := 2*float64(p)*float64(info.layerMat) + 2*float64(c.VocabSize)*float64(c.Hidden)
	var keys float64
	for i := 0; i < p; i++ {
		k := i + 1
		if c.SlidingWindow > 0 {
			k = min(k, c.SlidingWindow)
		}
		keys += float64(k)
	}
	return f + float64(c.Layers)*4*float64(c.Heads*c.HeadDim)*keys
}

func shortCount(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
