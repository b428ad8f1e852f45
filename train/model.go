package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"unsafe"

	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// Param is one parameter tensor: a named range of Model.W (and of Model.G
// and the AdamW moments, laid out alike), in Hugging Face's name and shape.
type Param struct {
	Name  string
	Shape []int // [out, in] for matrices
	Off   int   // offset in W
	Len   int
	Decay bool // weight decay applies (matrices, not norm weights)
}

// layerParams are one decoder layer's parameters (or their gradients), views
// of one flat slice.
type layerParams struct {
	attnNorm []float32 // [D]
	qkv      []float32 // [QKV][D]
	o        []float32 // [D][H·hd]
	ffnNorm  []float32 // [D]
	gateUp   []float32 // [2F][D], gate rows first
	down     []float32 // [D][F]
}

// weightViews are the parameters (or gradients) of a whole model.
type weightViews struct {
	embed  []float32 // [V][D]
	layers []layerParams
	norm   []float32 // [D]
	head   []float32 // [V][D]; the embedding when tied
}

// Model is a Phi-3-architecture model being trained: float32 master
// weights, their gradients, and every buffer a training step needs,
// planned for micro-batches of Batch sequences of Seq tokens and allocated
// once (see Plan).
type Model struct {
	Config *model.Config
	Batch  int // sequences per micro-batch
	Seq    int // tokens per sequence (the context trained on)

	Params []Param
	W, G   []float32 // all weights, all gradients (same layout)

	w, g weightViews
	pool *tensor.Pool
	a    acts
	job  job
	op   opArgs
}

// Plan is the memory a Model needs, in bytes, by part.
type Plan struct {
	Params      int64 // count of parameters
	Weights     int64 // weights and gradients
	Optimizer   int64 // AdamW moments
	Activations int64 // kept for the backward pass
	Scratch     int64 // per-step work space (logits chunk, transposes, attention)
}

// Total returns the bytes of every part.
func (p Plan) Total() int64 { return p.Weights + p.Optimizer + p.Activations + p.Scratch }

// String describes the plan for a user.
func (p Plan) String() string {
	mb := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	return fmt.Sprintf("%s total: weights+gradients %s, AdamW moments %s, activations %s, scratch %s (%d parameters)",
		mb(p.Total()), mb(p.Weights), mb(p.Optimizer), mb(p.Activations), mb(p.Scratch), p.Params)
}

// ParamLayout lists the parameters of a configuration in the order of
// model.Config.TensorShapes (Hugging Face's), with their offsets.
func ParamLayout(c *model.Config) []Param {
	var ps []Param
	off := 0
	for _, ts := range c.TensorShapes() {
		n := 1
		for _, d := range ts.Shape {
			n *= d
		}
		ps = append(ps, Param{Name: ts.Name, Shape: ts.Shape, Off: off, Len: n, Decay: len(ts.Shape) >= 2})
		off += n
	}
	return ps
}

// checkShape reports shapes the trainer cannot run.
func checkShape(c *model.Config, batch, seq int) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Heads*c.HeadDim != c.Hidden {
		return fmt.Errorf("hidden size %d is not heads %d × head size %d", c.Hidden, c.Heads, c.HeadDim)
	}
	if c.RotaryDim%2 != 0 {
		return fmt.Errorf("rotary dims %d per head are odd", c.RotaryDim)
	}
	if batch <= 0 || seq <= 0 {
		return fmt.Errorf("batch %d × sequence %d: both must be positive", batch, seq)
	}
	if seq > c.MaxPositions {
		return fmt.Errorf("sequence length %d is beyond max_position_embeddings %d", seq, c.MaxPositions)
	}
	return nil
}

// PlanMemory returns the memory a model of configuration c needs to train
// on micro-batches of batch sequences of seq tokens with threads threads.
func PlanMemory(c *model.Config, batch, seq, threads int) (Plan, error) {
	if err := checkShape(c, batch, seq); err != nil {
		return Plan{}, err
	}
	var n int64
	for _, p := range ParamLayout(c) {
		n += int64(p.Len)
	}
	s := sizesFor(c, batch, seq, max(threads, 1))
	return Plan{Params: n, Weights: 8 * n, Optimizer: 8 * n, Activations: 4 * s.acts, Scratch: 4 * s.scratch}, nil
}

// New plans and allocates a model of configuration c for micro-batches of
// batch sequences of seq tokens, its weights initialised from seed as
// transformers' Phi-3 does (normal, σ 0.02; norm weights 1), with the
// residual projections (o_proj, down_proj) scaled by 1/√(2·layers) as
// GPT-2 and llama2.c do. pool runs its kernels.
func New(c *model.Config, batch, seq int, seed uint64, pool *tensor.Pool) (*Model, error) {
	if err := checkShape(c, batch, seq); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	m := &Model{Config: c, Batch: batch, Seq: seq, Params: ParamLayout(c), pool: pool}
	last := m.Params[len(m.Params)-1]
	total := last.Off + last.Len
	m.W, m.G = touched(total), touched(total)
	m.w, m.g = m.views(m.W), m.views(m.G)
	m.allocActs()
	m.initWeights(seed)
	return m, nil
}

// touched allocates n floats and writes every page, so that the page
// faults happen once, at start, not inside the first steps.
func touched(n int) []float32 {
	s := make([]float32, n)
	for i := 0; i < n; i += 1024 {
		s[i] = 0
	}
	return s
}

func (m *Model) views(all []float32) weightViews {
	c := m.Config
	get := func(name string) []float32 {
		for _, p := range m.Params {
			if p.Name == name {
				return all[p.Off : p.Off+p.Len : p.Off+p.Len]
			}
		}
		return nil
	}
	v := weightViews{embed: get(model.NameEmbed), norm: get(model.NameNorm), head: get(model.NameLMHead)}
	if c.TieEmbeddings {
		v.head = v.embed
	}
	for l := 0; l < c.Layers; l++ {
		n := func(s string) []float32 { return get(model.LayerTensorName(l, s)) }
		v.layers = append(v.layers, layerParams{
			attnNorm: n(model.NameAttnNorm), qkv: n(model.NameQKV), o: n(model.NameO),
			ffnNorm: n(model.NameFFNNorm), gateUp: n(model.NameGateUp), down: n(model.NameDown),
		})
	}
	return v
}

func (m *Model) initWeights(seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	resid := 0.02 / math.Sqrt(2*float64(m.Config.Layers))
	for _, p := range m.Params {
		w := m.W[p.Off : p.Off+p.Len]
		if !p.Decay { // norm weights
			for i := range w {
				w[i] = 1
			}
			continue
		}
		std := 0.02
		if hasSuffix(p.Name, model.NameO) || hasSuffix(p.Name, model.NameDown) {
			std = resid
		}
		for i := range w {
			w[i] = float32(r.NormFloat64() * std)
		}
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// Param returns the parameter called name, or false.
func (m *Model) Param(name string) (Param, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Source returns the weights as a model.Source (float32 tensors viewing
// W), so the runtime can run the model being trained without a copy.
func (m *Model) Source() model.Source { return paramSource{m} }

type paramSource struct{ m *Model }

func (s paramSource) Tensor(name string) (model.Tensor, bool) {
	p, ok := s.m.Param(name)
	if !ok {
		return model.Tensor{}, false
	}
	return model.Tensor{Type: tensor.F32, Shape: p.Shape, Data: f32Bytes(s.m.W[p.Off : p.Off+p.Len])}, true
}

// f32Bytes views floats as their little-endian bytes.
func f32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// FLOPsPerToken returns the model FLOPs of one trained token (forward and
// backward) for the model's shape and sequence length.
func (m *Model) FLOPsPerToken() float64 { return FLOPsPerToken(m.Config, m.Seq) }

// FLOPsPerToken returns the model FLOPs of one trained token (forward and
// backward) of configuration c on sequences of seq tokens: 6 per weight of
// every matrix product (the embedding lookup is not one; a tied head is)
// plus attention's 6·layers·seq·hidden (its two products over seq/2 keys
// on average, 2 FLOPs each, times 3 for forward and backward), as PaLM's
// appendix B and llama2.c count them.
func FLOPsPerToken(c *model.Config, seq int) float64 {
	var mat float64
	for _, p := range ParamLayout(c) {
		if p.Decay && p.Name != model.NameEmbed {
			mat += float64(p.Len)
		}
	}
	if c.TieEmbeddings {
		mat += float64(c.VocabSize * c.Hidden)
	}
	return 6*mat + 6*float64(c.Layers*seq*c.Hidden)
}

// SetWeights copies every parameter from src (any tensor type the runtime
// reads: F32, F16, BF16 or a quantized type, dequantized), checking names
// and shapes.
func (m *Model) SetWeights(src model.Source) error { return m.readParams(m.W, src) }

// readParams copies every parameter's tensor from src into its range of
// dst (laid out as W: the weights, or an AdamW moment).
func (m *Model) readParams(dst []float32, src model.Source) error {
	for _, p := range m.Params {
		t, ok := src.Tensor(p.Name)
		if !ok {
			return fmt.Errorf("train: weights: tensor %s is missing", p.Name)
		}
		if !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("train: weights: tensor %s has shape %v, the configuration wants %v", p.Name, t.Shape, p.Shape)
		}
		if t.Ready != nil {
			if err := t.Ready(); err != nil {
				return fmt.Errorf("train: weights: tensor %s: %w", p.Name, err)
			}
		}
		rows, cols := 1, p.Shape[len(p.Shape)-1]
		if len(p.Shape) == 2 {
			rows = p.Shape[0]
		}
		mat, err := tensor.NewMatrix(t.Type, rows, cols, t.Data)
		if err != nil {
			return fmt.Errorf("train: weights: tensor %s: %w", p.Name, err)
		}
		w := dst[p.Off : p.Off+p.Len]
		for r := 0; r < rows; r++ {
			mat.RowF32(r, w[r*cols:(r+1)*cols])
		}
	}
	return nil
}
