package model

import (
	"fmt"
	"sync"

	"github.com/gophi/gophi/tensor"
)

// Tensor is one raw weight as a file holds it. Shape is in Hugging Face
// order, outermost first ([out, in] for a matrix); Data is used in place.
type Tensor struct {
	Type  tensor.DType
	Shape []int
	Data  []byte
	// Ready, when set, blocks until Data has been read in (a file still
	// being read in the background) or returns the error that stopped
	// the reading.
	Ready func() error
}

// Source gives a model's weights by their Hugging Face names
// ("model.layers.0.self_attn.qkv_proj.weight"). The safetensors and GGUF
// loaders implement it; GGUF names are translated (see gguf.go).
type Source interface {
	Tensor(name string) (Tensor, bool)
}

type layerWeights struct {
	attnNorm, ffnNorm []float32
	qkv, o            *tensor.Matrix // [QKVDim, Hidden], [Hidden, Heads·HeadDim]
	gateUp, down      *tensor.Matrix // [2F, Hidden] (gate rows first), [Hidden, F]
}

type weights struct {
	embed  *tensor.Matrix // [Vocab, Hidden]
	layers []layerWeights
	norm   []float32
	lmHead *tensor.Matrix          // [Vocab, Hidden]; the embedding when tied
	types  map[string]tensor.DType // each bound tensor's type in the file
}

// Tensor names (Hugging Face's), shared by loaders, converters and the trainer.
const (
	NameEmbed    = "model.embed_tokens.weight"
	NameNorm     = "model.norm.weight"
	NameLMHead   = "lm_head.weight"
	nameLayerFmt = "model.layers.%d.%s"
	NameAttnNorm = "input_layernorm.weight"
	NameQKV      = "self_attn.qkv_proj.weight"
	NameO        = "self_attn.o_proj.weight"
	NameFFNNorm  = "post_attention_layernorm.weight"
	NameGateUp   = "mlp.gate_up_proj.weight"
	NameDown     = "mlp.down_proj.weight"
)

// LayerTensorName returns the Hugging Face name of a per-layer tensor, e.g.
// LayerTensorName(3, NameQKV) = "model.layers.3.self_attn.qkv_proj.weight".
func LayerTensorName(layer int, suffix string) string {
	return fmt.Sprintf(nameLayerFmt, layer, suffix)
}

// TensorShapes lists every weight the model needs with its expected shape
// ([out, in] for matrices), in a stable order.
func (c *Config) TensorShapes() []struct {
	Name  string
	Shape []int
} {
	type ns = struct {
		Name  string
		Shape []int
	}
	out := []ns{{NameEmbed, []int{c.VocabSize, c.Hidden}}}
	for l := 0; l < c.Layers; l++ {
		out = append(out,
			ns{LayerTensorName(l, NameAttnNorm), []int{c.Hidden}},
			ns{LayerTensorName(l, NameQKV), []int{c.QKVDim(), c.Hidden}},
			ns{LayerTensorName(l, NameO), []int{c.Hidden, c.Heads * c.HeadDim}},
			ns{LayerTensorName(l, NameFFNNorm), []int{c.Hidden}},
			ns{LayerTensorName(l, NameGateUp), []int{2 * c.Intermediate, c.Hidden}},
			ns{LayerTensorName(l, NameDown), []int{c.Hidden, c.Intermediate}},
		)
	}
	out = append(out, ns{NameNorm, []int{c.Hidden}})
	if !c.TieEmbeddings {
		out = append(out, ns{NameLMHead, []int{c.VocabSize, c.Hidden}})
	}
	return out
}

// bindWeights binds every weight the model needs from src, in the order of
// Config.TensorShapes, handing each matrix to onMatrix (when set) as it is
// bound, with the tensor's Ready function.
func bindWeights(c *Config, src Source, onMatrix func(name string, m *tensor.Matrix, ready func() error)) (*weights, error) {
	w := weights{types: map[string]tensor.DType{}}
	get := func(name string, shape ...int) (Tensor, error) {
		t, ok := src.Tensor(name)
		if ok {
			w.types[name] = t.Type
		}
		if !ok {
			return Tensor{}, fmt.Errorf("tensor %q is missing", name)
		}
		if len(t.Shape) != len(shape) {
			return Tensor{}, fmt.Errorf("tensor %q has shape %v, want %v", name, t.Shape, shape)
		}
		for i := range shape {
			if t.Shape[i] != shape[i] {
				return Tensor{}, fmt.Errorf("tensor %q has shape %v, want %v", name, t.Shape, shape)
			}
		}
		return t, nil
	}
	mat := func(name string, rows, cols int) (*tensor.Matrix, error) {
		t, err := get(name, rows, cols)
		if err != nil {
			return nil, err
		}
		m, err := tensor.NewMatrix(t.Type, rows, cols, t.Data)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if onMatrix != nil {
			onMatrix(name, m, t.Ready)
		}
		return m, nil
	}
	vec := func(name string, n int) ([]float32, error) {
		t, err := get(name, n)
		if err != nil {
			return nil, err
		}
		if t.Ready != nil {
			if err := t.Ready(); err != nil {
				return nil, err
			}
		}
		v := make([]float32, n)
		if err := tensor.DequantizeRow(t.Type, t.Data, v); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		return v, nil
	}
	var err error
	if w.embed, err = mat(NameEmbed, c.VocabSize, c.Hidden); err != nil {
		return nil, err
	}
	w.layers = make([]layerWeights, c.Layers)
	for l := range w.layers {
		lw := &w.layers[l]
		n := func(s string) string { return LayerTensorName(l, s) }
		if lw.attnNorm, err = vec(n(NameAttnNorm), c.Hidden); err != nil {
			return nil, err
		}
		if lw.qkv, err = mat(n(NameQKV), c.QKVDim(), c.Hidden); err != nil {
			return nil, err
		}
		if lw.o, err = mat(n(NameO), c.Hidden, c.Heads*c.HeadDim); err != nil {
			return nil, err
		}
		if lw.ffnNorm, err = vec(n(NameFFNNorm), c.Hidden); err != nil {
			return nil, err
		}
		if lw.gateUp, err = mat(n(NameGateUp), 2*c.Intermediate, c.Hidden); err != nil {
			return nil, err
		}
		if lw.down, err = mat(n(NameDown), c.Hidden, c.Intermediate); err != nil {
			return nil, err
		}
	}
	if w.norm, err = vec(NameNorm, c.Hidden); err != nil {
		return nil, err
	}
	if c.TieEmbeddings {
		w.lmHead = w.embed
	} else if w.lmHead, err = mat(NameLMHead, c.VocabSize, c.Hidden); err != nil {
		return nil, err
	}
	return &w, nil
}

// ParamCount returns the number of weights (elements) the model has; tied
// embeddings count once.
func (c *Config) ParamCount() int64 {
	var n int64
	for _, ts := range c.TensorShapes() {
		p := int64(1)
		for _, d := range ts.Shape {
			p *= int64(d)
		}
		n += p
	}
	return n
}

// TensorTypes counts the model's tensors by their type in the file.
func (m *Model) TensorTypes() map[tensor.DType]int {
	out := map[tensor.DType]int{}
	for _, t := range m.w.types {
		out[t]++
	}
	return out
}

// build binds a model for LoadOptions opts on a pool it starts (or
// opts.Pool) and sets its KV cache type. With NoMmap the weights are in our
// own memory, so every matrix but the embedding is handed, as it is bound,
// to repacking goroutines that switch it to this CPU's faster layout
// (tensor.Matrix.Repack) once its bytes are in (Tensor.Ready). On error
// nothing is left running.
func build(c *Config, src Source, opts LoadOptions) (*Model, error) {
	pool := opts.pool()
	var onMatrix func(string, *tensor.Matrix, func() error)
	var r *repacker
	if opts.NoMmap {
		r = startRepack(pool.Threads())
		onMatrix = r.add
	}
	m, err := newModel(c, src, pool, onMatrix)
	var rerr error
	if r != nil {
		rerr = r.finish()
	}
	switch {
	case err != nil:
		if opts.Pool == nil {
			pool.Close()
		}
		return nil, err
	case rerr != nil:
		m.Close()
		return nil, fmt.Errorf("model: %w", rerr)
	}
	if err := m.SetKVType(opts.KVType); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// repacker repacks weight matrices (tensor.Matrix.Repack) on a few
// goroutines as they are handed over, each once its bytes are in memory, so
// that a file read in the background is repacked while it is still being
// read (Phi-3-mini F16: the 0.5-0.6 s in-place repack after the read).
type repacker struct {
	work chan repackItem
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
}

type repackItem struct {
	m     *tensor.Matrix
	ready func() error
}

// startRepack starts a repacker with n goroutines.
func startRepack(n int) *repacker {
	r := &repacker{work: make(chan repackItem, 256)}
	r.wg.Add(max(1, n))
	for range max(1, n) {
		go func() {
			defer r.wg.Done()
			for it := range r.work {
				if it.ready != nil {
					if err := it.ready(); err != nil {
						r.mu.Lock()
						if r.err == nil {
							r.err = err
						}
						r.mu.Unlock()
						continue
					}
				}
				it.m.Repack()
			}
		}()
	}
	return r
}

// add queues a bound matrix: all of them but the embedding (rows are looked
// up one at a time, so it keeps the file's layout).
func (r *repacker) add(name string, m *tensor.Matrix, ready func() error) {
	if name != NameEmbed {
		r.work <- repackItem{m, ready}
	}
}

// finish waits for the queued matrices and returns the first error a
// matrix's Ready returned.
func (r *repacker) finish() error {
	close(r.work)
	r.wg.Wait()
	return r.err
}
