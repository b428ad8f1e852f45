package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfigForms(t *testing.T) {
	const base = `"model_type":"phi3","vocab_size":100,"hidden_size":64,"intermediate_size":128,
		"num_hidden_layers":2,"num_attention_heads":4,"max_position_embeddings":512`
	factors := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat("1.5,", n), ",") + "]"
	}
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, c *Config)
	}{
		{"plain", `{` + base + `,"rope_scaling":null,"sliding_window":null}`, func(t *testing.T, c *Config) {
			if c.Rope != nil || c.SlidingWindow != 0 || c.KVHeads != 4 || c.HeadDim != 16 || c.RotaryDim != 16 || c.OriginalMaxPositions != 512 {
				t.Errorf("%+v", c)
			}
		}},
		{"legacy su", `{` + base + `,"original_max_position_embeddings":32,"rope_scaling":{"type":"su","short_factor":` + factors(8) + `,"long_factor":` + factors(8) + `}}`, func(t *testing.T, c *Config) {
			want := math.Sqrt(1 + math.Log(16)/math.Log(32))
			if c.Rope == nil || math.Abs(c.Rope.AttentionFactor-want) > 1e-12 {
				t.Errorf("attention factor %+v, want %v", c.Rope, want)
			}
		}},
		{"rope_parameters", `{` + base + `,"original_max_position_embeddings":32,"rope_parameters":{"rope_type":"longrope","rope_theta":500000,"short_factor":` + factors(8) + `,"long_factor":` + factors(8) + `,"attention_factor":1.25}}`, func(t *testing.T, c *Config) {
			if c.Rope == nil || c.Rope.AttentionFactor != 1.25 || c.RopeTheta != 500000 {
				t.Errorf("%+v %+v", c, c.Rope)
			}
		}},
		{"rope_parameters default", `{` + base + `,"rope_parameters":{"rope_type":"default","rope_theta":20000}}`, func(t *testing.T, c *Config) {
			if c.Rope != nil || c.RopeTheta != 20000 {
				t.Errorf("%+v", c)
			}
		}},
		{"partial rotary, gqa, head_dim, tied, eos list", `{` + base + `,"num_key_value_heads":2,"head_dim":32,"partial_rotary_factor":0.75,"tie_word_embeddings":true,"eos_token_id":[7,9],"sliding_window":8}`, func(t *testing.T, c *Config) {
			if c.HeadDim != 32 || c.RotaryDim != 24 || c.KVHeads != 2 || !c.TieEmbeddings || len(c.EOS) != 2 || c.SlidingWindow != 8 {
				t.Errorf("%+v", c)
			}
		}},
		{"yarn magnitude", `{` + base + `,"original_max_position_embeddings":128,"rope_scaling":{"type":"yarn","short_factor":` + factors(8) + `,"long_factor":` + factors(8) + `}}`, func(t *testing.T, c *Config) {
			if want := 0.1*math.Log(4) + 1; math.Abs(c.Rope.AttentionFactor-want) > 1e-12 {
				t.Errorf("yarn factor %v, want %v", c.Rope.AttentionFactor, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	const base = `"vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"max_position_embeddings":512`
	tests := []struct{ json, want string }{
		{`{`, "bad JSON"},
		{`{"model_type":"llama",` + base + `,"num_attention_heads":4}`, "model_type"},
		{`{` + base + `}`, "num_attention_heads"},
		{`{` + base + `,"num_attention_heads":4,"num_key_value_heads":3}`, "multiple"},
		{`{` + base + `,"num_attention_heads":4,"rope_scaling":{"type":"longrope","short_factor":[1],"long_factor":[1]}}`, "rotary_dim/2"},
		{`{` + base + `,"num_attention_heads":4,"rope_scaling":{"type":"dynamic"}}`, "not supported"},
		{`{` + base + `,"num_attention_heads":4,"partial_rotary_factor":2}`, "partial_rotary_factor"},
		{`{` + base + `,"num_attention_heads":4,"hidden_act":"gelu"}`, "hidden_act"},
		{`{` + base + `,"num_attention_heads":4,"eos_token_id":"x"}`, "eos_token_id"},
		{`{` + base + `,"num_attention_heads":4,"original_max_position_embeddings":1024}`, "original_max"},
		{`{"vocab_size":-5,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"max_position_embeddings":512,"num_attention_heads":4}`, "vocab_size"},
	}
	for _, tt := range tests {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", tt.json, err, tt.want)
		}
	}
}

func TestLoadConfigNamesFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"hidden_size": "big"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(dir)
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("error %v does not name config.json", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing folder accepted")
	}
}

// TestLoadBadWeights: a checkpoint whose tensors are missing, misshapen or
// truncated gives an error naming the tensor, never a panic.
func TestLoadBadWeights(t *testing.T) {
	src := filepath.Join(goldDir, "phi3-gqa-tiny")
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	weights, err := os.ReadFile(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(cfgText string, data []byte) string {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "config.json"), []byte(cfgText), 0o644)
		os.WriteFile(filepath.Join(d, "model.safetensors"), data, 0o644)
		return d
	}
	// More layers than the file has.
	d := write(strings.Replace(string(cfg), `"num_hidden_layers": 3`, `"num_hidden_layers": 4`, 1), weights)
	if _, err := LoadDir(d, LoadOptions{Threads: 1}); err == nil || !strings.Contains(err.Error(), "model.layers.3") {
		t.Errorf("extra layer: %v", err)
	}
	// A different FFN width than the tensors.
	d = write(strings.Replace(string(cfg), `"intermediate_size": 256`, `"intermediate_size": 128`, 1), weights)
	if _, err := LoadDir(d, LoadOptions{Threads: 1}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("wrong shape: %v", err)
	}
	// Truncated weights file.
	d = write(string(cfg), weights[:len(weights)/2])
	if _, err := LoadDir(d, LoadOptions{Threads: 1}); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("truncated: %v", err)
	}
}
