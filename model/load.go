package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/tensor"
)

// LoadOptions control how a model is loaded.
type LoadOptions struct {
	// NoMmap reads the weights into anonymous memory instead of mapping
	// the files.
	NoMmap bool
	// Pool runs the kernels; nil starts one with Threads threads.
	Pool *tensor.Pool
	// Threads sizes a new pool; 0 means one per core.
	Threads int
	// KVType is the KV cache's element type: F32 (the zero value), F16 or Q8_0.
	KVType tensor.DType
	// ExactHalf keeps prompt products with F16 and BF16 weights in float32
	// instead of bfloat16 pairs on CPUs with AVX512_BF16 (see
	// tensor.Pool.SetExactHalf); it applies to a pool started here.
	ExactHalf bool
}

func (o LoadOptions) pool() *tensor.Pool {
	if o.Pool != nil {
		return o.Pool
	}
	p := tensor.NewPool(o.Threads)
	p.SetExactHalf(o.ExactHalf)
	return p
}

// Load loads a model from a Hugging Face folder (config.json plus
// safetensors weights) or a .gguf file.
func Load(path string, opts LoadOptions) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if st.IsDir() {
		return LoadDir(path, opts)
	}
	if strings.HasSuffix(strings.ToLower(path), ".gguf") {
		return LoadGGUF(path, opts)
	}
	return nil, fmt.Errorf("model: %s: not a model folder or a .gguf file", path)
}

// LoadDir loads a Hugging Face model folder: config.json,
// generation_config.json (optional) and model.safetensors or a sharded
// checkpoint with model.safetensors.index.json.
func LoadDir(dir string, opts LoadOptions) (*Model, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	ck, err := safetensors.OpenDir(dir, safetensors.OpenOptions{NoMmap: opts.NoMmap})
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := build(cfg, SafetensorsSource(ck, ""), opts)
	if err != nil {
		ck.Close()
		return nil, fmt.Errorf("%w (in %s)", err, filepath.Clean(dir))
	}
	m.closers = append(m.closers, ck.Close)
	return m, nil
}

// SafetensorsSource returns the tensors of a safetensors file or checkpoint
// folder (safetensors.File, safetensors.Checkpoint) as a Source, their
// names prefixed by prefix ("" for a model's own weights).
func SafetensorsSource(f interface {
	Tensor(name string) (*safetensors.Tensor, bool)
}, prefix string) Source {
	return safetensorsSource{f, prefix}
}

type safetensorsSource struct {
	f interface {
		Tensor(name string) (*safetensors.Tensor, bool)
	}
	prefix string
}

func (s safetensorsSource) Tensor(name string) (Tensor, bool) {
	t, ok := s.f.Tensor(s.prefix + name)
	if !ok {
		return Tensor{}, false
	}
	return Tensor{Type: t.DType, Shape: t.Shape, Data: t.Data}, true
}

// SetKVType sets the element type of the KV caches of sequences created
// from now on: F32, F16 or Q8_0 (which needs a head size that is a
// multiple of 32).
func (m *Model) SetKVType(t tensor.DType) error {
	switch t {
	case tensor.F32, tensor.F16:
	case tensor.Q8_0:
		if hd := m.Config.HeadDim; hd%32 != 0 {
			return fmt.Errorf("model: a Q8_0 KV cache needs a head size that is a multiple of 32, this model's is %d (use f16 or f32)", hd)
		}
		m.attnQ = make([]tensor.Q8Vec, m.pool.Threads())
	default:
		return fmt.Errorf("model: KV cache type %s is not supported (use F32, F16 or Q8_0)", t)
	}
	m.KVType = t
	return nil
}
