package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/internal/atomicfile"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
)

// Phi3ChatTemplate is the chat template of microsoft/Phi-3-mini-4k-instruct's
// tokenizer_config.json, written into checkpoints whose tokenizer has
// Phi-3's chat tokens (<|user|>, <|assistant|>, <|end|>).
const Phi3ChatTemplate = "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"

// HubConfig returns c as the Hugging Face hub writes a Phi-3 config.json
// (Phi3ForCausalLM, legacy rope_scaling form), for transformers,
// llama.cpp's converter and gophi to read.
func HubConfig(c *model.Config) map[string]any {
	j := map[string]any{
		"architectures":                    []string{"Phi3ForCausalLM"},
		"model_type":                       "phi3",
		"attention_bias":                   false,
		"attention_dropout":                0.0,
		"embd_pdrop":                       0.0,
		"resid_pdrop":                      0.0,
		"hidden_act":                       "silu",
		"initializer_range":                0.02,
		"rms_norm_eps":                     c.RMSNormEps,
		"torch_dtype":                      "float32",
		"use_cache":                        true,
		"vocab_size":                       c.VocabSize,
		"hidden_size":                      c.Hidden,
		"intermediate_size":                c.Intermediate,
		"num_hidden_layers":                c.Layers,
		"num_attention_heads":              c.Heads,
		"num_key_value_heads":              c.KVHeads,
		"max_position_embeddings":          c.MaxPositions,
		"original_max_position_embeddings": c.OriginalMaxPositions,
		"rope_theta":                       c.RopeTheta,
		"tie_word_embeddings":              c.TieEmbeddings,
		"rope_scaling":                     nil,
		"sliding_window":                   nil,
	}
	if c.RotaryDim != c.HeadDim {
		j["partial_rotary_factor"] = float64(c.RotaryDim) / float64(c.HeadDim)
	}
	if c.SlidingWindow > 0 {
		j["sliding_window"] = c.SlidingWindow
	}
	if r := c.Rope; r != nil {
		rs := map[string]any{"type": "longrope", "short_factor": r.ShortFactor, "long_factor": r.LongFactor}
		// transformers recomputes the magnitude factor from the two
		// lengths; write it when this model's differs (a yarn source, an
		// explicit attention_factor, or a context grown by --init).
		factor := float64(c.MaxPositions) / float64(c.OriginalMaxPositions)
		def := 1.0
		if factor > 1 {
			def = math.Sqrt(1 + math.Log(factor)/math.Log(float64(c.OriginalMaxPositions)))
		}
		if math.Abs(r.AttentionFactor-def) > 1e-12 {
			rs["attention_factor"] = r.AttentionFactor
		}
		j["rope_scaling"] = rs
	}
	if c.BOS >= 0 {
		j["bos_token_id"] = c.BOS
	}
	if len(c.EOS) > 0 {
		j["eos_token_id"] = c.EOS[0]
	}
	return j
}

// ExportDir writes the model as a Hugging Face model folder: config.json,
// generation_config.json, model.safetensors (float32, the hub's tensor
// names), and the tokenizer (tokenizer.json as given, tokenizer_config.json
// copied from beside it or written with Phi-3's chat template). Each file
// is written atomically. gophi run, gophi convert and transformers load
// the folder.
func (m *Model) ExportDir(dir string, tok *tokenizer.Tokenizer, tokenizerJSON string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: export: %w", err)
	}
	c := m.Config
	hub := HubConfig(c)
	// transformers' Phi3Config defaults pad_token_id to 32000 and Phi3Model
	// makes it the embedding's padding_idx, which must be inside the
	// vocabulary: a config without one does not load for vocabularies of
	// 32000 or fewer. The pad is <unk> (never a training target with byte
	// fallback), as the hub's tiny Phi-3 configs have it, so that a
	// padding_idx row frozen by PyTorch costs nothing.
	hub["pad_token_id"] = padID(tok)
	if err := writeJSON(filepath.Join(dir, "config.json"), hub); err != nil {
		return err
	}
	gen := map[string]any{"_from_model_config": true}
	if c.BOS >= 0 {
		gen["bos_token_id"] = c.BOS
	}
	if len(c.EOS) > 0 {
		gen["eos_token_id"] = c.EOS
	}
	if err := writeJSON(filepath.Join(dir, "generation_config.json"), gen); err != nil {
		return err
	}
	ts := make([]*safetensors.Tensor, 0, len(m.Params))
	for _, p := range m.Params {
		ts = append(ts, &safetensors.Tensor{Name: p.Name, DType: tensor.F32, Shape: p.Shape, Data: f32Bytes(m.W[p.Off : p.Off+p.Len])})
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("train: export: %w", err)
	}
	if tokenizerJSON == "" {
		return nil
	}
	data, err := os.ReadFile(tokenizerJSON)
	if err != nil {
		return fmt.Errorf("train: export: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "tokenizer.json"), data); err != nil {
		return fmt.Errorf("train: export: %w", err)
	}
	if cfg, err := os.ReadFile(filepath.Join(filepath.Dir(tokenizerJSON), "tokenizer_config.json")); err == nil {
		return atomicfile.WriteBytes(filepath.Join(dir, "tokenizer_config.json"), cfg)
	}
	return writeJSON(filepath.Join(dir, "tokenizer_config.json"), tokenizerConfig(tok))
}

// padID returns the padding id written into config.json: <unk>'s, else 0.
func padID(tok *tokenizer.Tokenizer) int {
	if tok != nil {
		if id, ok := tok.ID("<unk>"); ok {
			return int(id)
		}
	}
	return 0
}

// tokenizerConfig is a tokenizer_config.json for a tokenizer that has none
// (one made by "gophi tokenizer train").
func tokenizerConfig(tok *tokenizer.Tokenizer) map[string]any {
	j := map[string]any{
		"add_bos_token":   true,
		"add_eos_token":   false,
		"legacy":          false,
		"tokenizer_class": "LlamaTokenizer",
	}
	piece := func(id int32) (string, bool) {
		if id < 0 || int(id) >= tok.Len() {
			return "", false
		}
		return tok.Token(id), true
	}
	if s, ok := piece(tok.BOS()); ok {
		j["bos_token"] = s
	}
	if s, ok := piece(tok.EOS()); ok {
		j["eos_token"] = s
	}
	if s, ok := piece(int32(padID(tok))); ok {
		j["pad_token"] = s
	}
	if _, ok := tok.ID("<unk>"); ok {
		j["unk_token"] = "<unk>"
	}
	if _, ok := tok.ID("<|end|>"); ok {
		j["chat_template"] = Phi3ChatTemplate
	}
	return j
}

func writeJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // chat templates are full of < and >
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, b.Bytes()); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
