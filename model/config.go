package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Config describes a Phi-3-family model: the shapes, the rotary embedding
// and the attention pattern. It is read from a Hugging Face config.json or
// from GGUF metadata, and is shared by the runtime and the trainer.
type Config struct {
	Arch         string // "phi3"
	VocabSize    int
	Hidden       int // hidden_size
	Intermediate int // intermediate_size (FFN width F; gate_up has 2F rows)
	Layers       int
	Heads        int // query heads
	KVHeads      int // key/value heads (GQA when < Heads)
	HeadDim      int
	RotaryDim    int // rotary dims per head: HeadDim × partial_rotary_factor

	MaxPositions         int // max_position_embeddings
	OriginalMaxPositions int // original_max_position_embeddings (LongRoPE switch point)
	RopeTheta            float64
	Rope                 *LongRoPE // nil for plain RoPE

	SlidingWindow int // keys visible to a query, itself included; 0 = unlimited
	RMSNormEps    float64
	TieEmbeddings bool // lm_head shares model.embed_tokens

	BOS int   // -1 when unknown
	EOS []int // end-of-sequence ids from config.json / generation_config.json
}

// LongRoPE holds Phi-3's long-context rotary scaling ("longrope", formerly
// "su"): per-frequency divisors for short and long sequences and a constant
// magnitude factor on cos and sin.
type LongRoPE struct {
	ShortFactor     []float64 // RotaryDim/2 divisors, used while a sequence is ≤ OriginalMaxPositions
	LongFactor      []float64 // RotaryDim/2 divisors, used beyond it
	AttentionFactor float64   // multiplies cos and sin (both factor sets)
}

// rawConfig is config.json as the hub writes it, in both the legacy
// (rope_scaling) and the newer (rope_parameters) forms.
type rawConfig struct {
	Architectures         []string        `json:"architectures"`
	ModelType             string          `json:"model_type"`
	VocabSize             int             `json:"vocab_size"`
	HiddenSize            int             `json:"hidden_size"`
	IntermediateSize      int             `json:"intermediate_size"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      int             `json:"num_key_value_heads"`
	HeadDim               int             `json:"head_dim"`
	PartialRotaryFactor   *float64        `json:"partial_rotary_factor"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings"`
	OriginalMaxPositions  int             `json:"original_max_position_embeddings"`
	RopeTheta             *float64        `json:"rope_theta"`
	RopeScaling           *ropeParams     `json:"rope_scaling"`
	RopeParameters        *ropeParams     `json:"rope_parameters"`
	SlidingWindow         *int            `json:"sliding_window"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	TieWordEmbeddings     bool            `json:"tie_word_embeddings"`
	BOSTokenID            *int            `json:"bos_token_id"`
	EOSTokenID            json.RawMessage `json:"eos_token_id"`
	HiddenAct             string          `json:"hidden_act"`
}

type ropeParams struct {
	Type                 string    `json:"type"`
	RopeType             string    `json:"rope_type"`
	RopeTheta            *float64  `json:"rope_theta"`
	ShortFactor          []float64 `json:"short_factor"`
	LongFactor           []float64 `json:"long_factor"`
	Factor               *float64  `json:"factor"`
	AttentionFactor      *float64  `json:"attention_factor"`
	OriginalMaxPositions int       `json:"original_max_position_embeddings"`
	PartialRotaryFactor  *float64  `json:"partial_rotary_factor"`
}

// LoadConfig reads dir/config.json and, when present, the eos list of
// dir/generation_config.json.
func LoadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	gpath := filepath.Join(dir, "generation_config.json")
	if g, err := os.ReadFile(gpath); err == nil {
		var gc struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if err := json.Unmarshal(g, &gc); err != nil {
			return nil, fmt.Errorf("model: %s: %w", gpath, err)
		}
		eos, err := parseIDs(gc.EOS)
		if err != nil {
			return nil, fmt.Errorf("model: %s: eos_token_id: %w", gpath, err)
		}
		if len(eos) > 0 {
			c.EOS = eos
		}
	}
	return c, nil
}

// ParseConfig parses the contents of a Hugging Face config.json.
func ParseConfig(data []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if r.ModelType != "" && r.ModelType != "phi3" {
		return nil, fmt.Errorf("model_type %q is not supported (gophi runs model_type \"phi3\": Phi-3, Phi-3.5 and Phi-4-mini)", r.ModelType)
	}
	if r.HiddenAct != "" && r.HiddenAct != "silu" {
		return nil, fmt.Errorf("hidden_act %q is not supported (Phi-3 uses silu)", r.HiddenAct)
	}
	c := &Config{
		Arch:                 "phi3",
		VocabSize:            r.VocabSize,
		Hidden:               r.HiddenSize,
		Intermediate:         r.IntermediateSize,
		Layers:               r.NumHiddenLayers,
		Heads:                r.NumAttentionHeads,
		KVHeads:              r.NumKeyValueHeads,
		HeadDim:              r.HeadDim,
		MaxPositions:         r.MaxPositionEmbeddings,
		OriginalMaxPositions: r.OriginalMaxPositions,
		RopeTheta:            10000,
		RMSNormEps:           1e-5,
		TieEmbeddings:        r.TieWordEmbeddings,
		BOS:                  -1,
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.HeadDim == 0 && c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	if r.RMSNormEps != nil {
		c.RMSNormEps = *r.RMSNormEps
	}
	if r.SlidingWindow != nil {
		c.SlidingWindow = *r.SlidingWindow
	}
	if r.BOSTokenID != nil {
		c.BOS = *r.BOSTokenID
	}
	eos, err := parseIDs(r.EOSTokenID)
	if err != nil {
		return nil, fmt.Errorf("eos_token_id: %w", err)
	}
	c.EOS = eos
	prf := 1.0
	if r.PartialRotaryFactor != nil {
		prf = *r.PartialRotaryFactor
	}
	theta := r.RopeTheta
	rp := r.RopeScaling
	if r.RopeParameters != nil { // transformers v5 form
		rp = r.RopeParameters
		if rp.RopeTheta != nil {
			theta = rp.RopeTheta
		}
		if rp.PartialRotaryFactor != nil {
			prf = *rp.PartialRotaryFactor
		}
		if rp.OriginalMaxPositions != 0 && c.OriginalMaxPositions == 0 {
			c.OriginalMaxPositions = rp.OriginalMaxPositions
		}
	}
	if theta != nil {
		c.RopeTheta = *theta
	}
	if prf <= 0 || prf > 1 {
		return nil, fmt.Errorf("partial_rotary_factor %v outside (0, 1]", prf)
	}
	c.RotaryDim = int(float64(c.HeadDim) * prf)
	if c.OriginalMaxPositions == 0 {
		c.OriginalMaxPositions = c.MaxPositions
	}
	if rp != nil {
		typ := rp.Type
		if typ == "" {
			typ = rp.RopeType
		}
		switch typ {
		case "", "default":
		case "su", "longrope", "yarn":
			lr := &LongRoPE{ShortFactor: rp.ShortFactor, LongFactor: rp.LongFactor}
			factor := float64(c.MaxPositions) / float64(c.OriginalMaxPositions)
			if rp.Factor != nil {
				factor = *rp.Factor
			}
			switch {
			case rp.AttentionFactor != nil:
				lr.AttentionFactor = *rp.AttentionFactor
			case factor <= 1:
				lr.AttentionFactor = 1
			case typ == "yarn": // Microsoft's original remote code for its yarn variant
				lr.AttentionFactor = 0.1*math.Log(factor) + 1
			default:
				lr.AttentionFactor = math.Sqrt(1 + math.Log(factor)/math.Log(float64(c.OriginalMaxPositions)))
			}
			c.Rope = lr
		default:
			return nil, fmt.Errorf("rope scaling type %q is not supported (want longrope, su or none)", typ)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseIDs(raw json.RawMessage) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(raw, &one); err == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errors.New("want an integer or a list of integers")
	}
	return many, nil
}

// Validate checks that the shapes are consistent, so the forward pass can
// trust them.
func (c *Config) Validate() error {
	const maxDim = 1 << 20
	for _, f := range []struct {
		name string
		v    int
	}{{"vocab_size", c.VocabSize}, {"hidden_size", c.Hidden}, {"intermediate_size", c.Intermediate},
		{"num_hidden_layers", c.Layers}, {"num_attention_heads", c.Heads}, {"num_key_value_heads", c.KVHeads},
		{"head_dim", c.HeadDim}, {"max_position_embeddings", c.MaxPositions}} {
		if f.v <= 0 || f.v > maxDim*4 {
			return fmt.Errorf("%s = %d is missing or out of range", f.name, f.v)
		}
	}
	if c.Layers > 4096 || c.Heads > 4096 {
		return fmt.Errorf("%d layers × %d heads is out of range", c.Layers, c.Heads)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.Heads, c.KVHeads)
	}
	if c.RotaryDim <= 0 || c.RotaryDim%2 != 0 || c.RotaryDim > c.HeadDim {
		return fmt.Errorf("rotary dimension %d must be even and within head_dim %d", c.RotaryDim, c.HeadDim)
	}
	if c.OriginalMaxPositions <= 0 || c.OriginalMaxPositions > c.MaxPositions {
		return fmt.Errorf("original_max_position_embeddings %d outside (0, %d]", c.OriginalMaxPositions, c.MaxPositions)
	}
	if c.SlidingWindow < 0 {
		return fmt.Errorf("sliding_window %d is negative", c.SlidingWindow)
	}
	if !(c.RMSNormEps > 0) || !(c.RopeTheta > 0) {
		return fmt.Errorf("rms_norm_eps %v and rope_theta %v must be positive", c.RMSNormEps, c.RopeTheta)
	}
	if r := c.Rope; r != nil {
		if len(r.ShortFactor) != c.RotaryDim/2 || len(r.LongFactor) != c.RotaryDim/2 {
			return fmt.Errorf("longrope short_factor (%d) and long_factor (%d) must each have rotary_dim/2 = %d entries",
				len(r.ShortFactor), len(r.LongFactor), c.RotaryDim/2)
		}
		for _, f := range append(append([]float64{}, r.ShortFactor...), r.LongFactor...) {
			if !(f > 0) || math.IsInf(f, 0) {
				return fmt.Errorf("longrope factor %v must be positive and finite", f)
			}
		}
		if !(r.AttentionFactor > 0) || math.IsInf(r.AttentionFactor, 0) {
			return fmt.Errorf("longrope attention factor %v must be positive", r.AttentionFactor)
		}
	}
	return nil
}

// RopeFrequencies returns the rotary inverse frequencies of the RotaryDim/2
// pairs (LongRoPE's long factor set when long, else its short set, or
// plain RoPE's) and the magnitude factor on cos and sin (1 without
// LongRoPE). The runtime and the trainer both build their angles from it:
// angle = position · inv[i], cos and sin scaled by mag.
func (c *Config) RopeFrequencies(long bool) (inv []float64, mag float64) {
	var factors []float64
	mag = 1
	if r := c.Rope; r != nil {
		mag, factors = r.AttentionFactor, r.ShortFactor
		if long {
			factors = r.LongFactor
		}
	}
	inv = make([]float64, c.RotaryDim/2)
	for i := range inv {
		f := 1.0
		if factors != nil {
			f = factors[i]
		}
		inv[i] = 1 / (f * math.Pow(c.RopeTheta, float64(2*i)/float64(c.RotaryDim)))
	}
	return inv, mag
}

// LongRope reports whether a sequence of n tokens uses LongRoPE's long
// factors: beyond OriginalMaxPositions, as transformers decides.
func (c *Config) LongRope(n int) bool { return c.Rope != nil && n > c.OriginalMaxPositions }

// QKVDim is the width of the fused qkv projection: Q, then K, then V.
func (c *Config) QKVDim() int { return (c.Heads + 2*c.KVHeads) * c.HeadDim }

// KVDim is the width of one position's keys (or values) across KV heads.
func (c *Config) KVDim() int { return c.KVHeads * c.HeadDim }
