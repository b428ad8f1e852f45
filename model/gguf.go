package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gophi/gophi/format/gguf"
)

// GGUF tensor names, as llama.cpp's converter writes them for arch "phi3".
var ggufNames = map[string]string{
	NameEmbed:    "token_embd.weight",
	NameNorm:     "output_norm.weight",
	NameLMHead:   "output.weight",
	NameAttnNorm: "attn_norm.weight",
	NameQKV:      "attn_qkv.weight",
	NameO:        "attn_output.weight",
	NameFFNNorm:  "ffn_norm.weight",
	NameGateUp:   "ffn_up.weight", // phi3's ffn_up is the fused gate|up
	NameDown:     "ffn_down.weight",
}

// GGUF names of LongRoPE's factor tensors (F32, RotaryDim/2 entries).
const (
	GGUFRopeFactorsLong  = "rope_factors_long.weight"
	GGUFRopeFactorsShort = "rope_factors_short.weight"
)

// GGUFName translates a Hugging Face tensor name to its GGUF name.
func GGUFName(hf string) (string, bool) {
	if g, ok := ggufNames[hf]; ok {
		return g, true
	}
	rest, ok := strings.CutPrefix(hf, "model.layers.")
	if !ok {
		return "", false
	}
	num, suffix, ok := strings.Cut(rest, ".")
	if !ok {
		return "", false
	}
	if _, err := strconv.Atoi(num); err != nil {
		return "", false
	}
	g, ok := ggufNames[suffix]
	if !ok {
		return "", false
	}
	return "blk." + num + "." + g, true
}

// ConfigFromGGUF reads a Config from a GGUF file's phi3 metadata and its
// rope factor tensors.
func ConfigFromGGUF(f *gguf.File) (*Config, error) {
	arch, _ := f.String("general.architecture")
	if arch != "phi3" {
		return nil, fmt.Errorf("architecture %q is not supported (gophi runs \"phi3\")", arch)
	}
	u := func(key string, def int) (int, error) {
		v, ok := f.Uint("phi3." + key)
		if !ok {
			if def >= 0 {
				return def, nil
			}
			return 0, fmt.Errorf("metadata key phi3.%s is missing", key)
		}
		if v > math.MaxInt32 {
			return 0, fmt.Errorf("metadata key phi3.%s = %d is out of range", key, v)
		}
		return int(v), nil
	}
	c := &Config{Arch: "phi3", BOS: -1, RopeTheta: 10000, RMSNormEps: 1e-5}
	var err error
	if c.MaxPositions, err = u("context_length", -1); err != nil {
		return nil, err
	}
	if c.Hidden, err = u("embedding_length", -1); err != nil {
		return nil, err
	}
	if c.Intermediate, err = u("feed_forward_length", -1); err != nil {
		return nil, err
	}
	if c.Layers, err = u("block_count", -1); err != nil {
		return nil, err
	}
	if c.Heads, err = u("attention.head_count", -1); err != nil {
		return nil, err
	}
	if c.KVHeads, err = u("attention.head_count_kv", c.Heads); err != nil {
		return nil, err
	}
	hd := 0
	if c.Heads > 0 {
		hd = c.Hidden / c.Heads
	}
	if c.HeadDim, err = u("attention.key_length", hd); err != nil {
		return nil, err
	}
	if c.RotaryDim, err = u("rope.dimension_count", c.HeadDim); err != nil {
		return nil, err
	}
	if c.OriginalMaxPositions, err = u("rope.scaling.original_context_length", c.MaxPositions); err != nil {
		return nil, err
	}
	if c.SlidingWindow, err = u("attention.sliding_window", 0); err != nil {
		return nil, err
	}
	if v, ok := f.Float("phi3.rope.freq_base"); ok {
		c.RopeTheta = v
	}
	if v, ok := f.Float("phi3.attention.layer_norm_rms_epsilon"); ok {
		c.RMSNormEps = v
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Dims) != 2 {
		return nil, fmt.Errorf("tensor token_embd.weight is missing or not a matrix")
	}
	if emb.Dims[1] > math.MaxInt32 {
		return nil, fmt.Errorf("token_embd.weight has %d rows", emb.Dims[1])
	}
	c.VocabSize = int(emb.Dims[1])
	_, hasOutput := f.Tensor("output.weight")
	c.TieEmbeddings = !hasOutput
	if v, ok := f.Uint("tokenizer.ggml.bos_token_id"); ok && v < math.MaxInt32 {
		c.BOS = int(v)
	}
	if v, ok := f.Uint("tokenizer.ggml.eos_token_id"); ok && v < math.MaxInt32 {
		c.EOS = []int{int(v)}
	}
	long, hasLong := f.Tensor(GGUFRopeFactorsLong)
	short, hasShort := f.Tensor(GGUFRopeFactorsShort)
	if hasLong || hasShort {
		if !hasLong || !hasShort {
			return nil, fmt.Errorf("only one of %s and %s is present", GGUFRopeFactorsLong, GGUFRopeFactorsShort)
		}
		lr := &LongRoPE{}
		if lr.LongFactor, err = f32Tensor(long); err != nil {
			return nil, err
		}
		if lr.ShortFactor, err = f32Tensor(short); err != nil {
			return nil, err
		}
		if v, ok := f.Float("phi3.rope.scaling.attn_factor"); ok {
			lr.AttentionFactor = v
		} else if scale := float64(c.MaxPositions) / float64(c.OriginalMaxPositions); scale > 1 {
			lr.AttentionFactor = math.Sqrt(1 + math.Log(scale)/math.Log(float64(c.OriginalMaxPositions)))
		} else {
			lr.AttentionFactor = 1
		}
		c.Rope = lr
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func f32Tensor(t *gguf.TensorInfo) ([]float64, error) {
	if t.Type != 0 || len(t.Dims) != 1 { // tensor.F32
		return nil, fmt.Errorf("tensor %s must be a 1-D F32 vector", t.Name)
	}
	out := make([]float64, t.Dims[0])
	for i := range out {
		out[i] = float64(math.Float32frombits(uint32(t.Data[4*i]) | uint32(t.Data[4*i+1])<<8 | uint32(t.Data[4*i+2])<<16 | uint32(t.Data[4*i+3])<<24))
	}
	return out, nil
}

// ggufSource serves a GGUF file's tensors under their Hugging Face names
// with Hugging Face's dimension order.
type ggufSource struct{ f *gguf.File }

func (s ggufSource) Tensor(name string) (Tensor, bool) {
	g, ok := GGUFName(name)
	if !ok {
		return Tensor{}, false
	}
	t, ok := s.f.Tensor(g)
	if !ok {
		return Tensor{}, false
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		if d > math.MaxInt32 {
			return Tensor{}, false
		}
		shape[len(t.Dims)-1-i] = int(d)
	}
	return Tensor{Type: t.Type, Shape: shape, Data: t.Data, Ready: func() error { return s.f.Ready(t) }}, true
}

// LoadGGUF loads a model from a GGUF file.
func LoadGGUF(path string, opts LoadOptions) (*Model, error) {
	f, err := gguf.OpenWith(path, gguf.OpenOptions{NoMmap: opts.NoMmap, Background: opts.NoMmap})
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := FromGGUF(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.closers = append(m.closers, f.Close)
	return m, nil
}

// FromGGUF builds a model on an already open GGUF file, which must stay
// open while the model is used and is not closed by Model.Close. A file
// still being read in the background (gguf.OpenOptions.Background) is
// waited for, its matrices repacked as they arrive.
func FromGGUF(f *gguf.File, opts LoadOptions) (*Model, error) {
	cfg, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", f.Name, err)
	}
	m, err := build(cfg, ggufSource{f}, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, f.Name)
	}
	if err := f.Loaded(); err != nil {
		m.Close()
		return nil, fmt.Errorf("model: %w", err)
	}
	return m, nil
}
