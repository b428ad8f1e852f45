package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadErrors(t *testing.T) {
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	vocab := func(m map[string]any) map[string]any { return model(m)["vocab"].(map[string]any) }
	valid := tinyJSON(nil)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"bad JSON", []byte("{"), "invalid JSON"},
		{"not an object", []byte("[1,2]"), "invalid JSON"},
		{"truncated JSON", valid[:len(valid)/2], "invalid JSON"},
		{"empty file", nil, "invalid JSON"},
		{"no model", []byte(`{"added_tokens":[]}`), `missing "model"`},
		{"WordPiece", tinyJSON(func(m map[string]any) { model(m)["type"] = "WordPiece" }), `unsupported model type "WordPiece"`},
		{"Unigram", tinyJSON(func(m map[string]any) { model(m)["type"] = "Unigram" }), `unsupported model type "Unigram"`},
		{"merge unknown left", tinyJSON(func(m map[string]any) { model(m)["merges"] = []any{[]any{"x", "a"}} }), `merges[0] ("x", "a"): "x" is not in the model vocabulary`},
		{"merge unknown right", tinyJSON(func(m map[string]any) { model(m)["merges"] = []any{"a y"} }), `"y" is not in the model vocabulary`},
		{"merge unknown product", tinyJSON(func(m map[string]any) { model(m)["merges"] = []any{"b a"} }), `merged piece "ba" is not in the model vocabulary`},
		{"merge without space", tinyJSON(func(m map[string]any) { model(m)["merges"] = []any{"ab"} }), "not two pieces"},
		{"merge triple", tinyJSON(func(m map[string]any) { model(m)["merges"] = []any{[]any{"a", "b", "c"}} }), "not a pair"},
		{"merge number", tinyJSON(func(m map[string]any) { model(m)["merges"] = []any{7} }), "merges[0]"},
		{"huge id", tinyJSON(func(m map[string]any) { vocab(m)["zz"] = 4e9 }), "id 4000000000 out of range"},
		{"negative id", tinyJSON(func(m map[string]any) { vocab(m)["zz"] = -1 }), "id -1 out of range"},
		{"fractional id", tinyJSON(func(m map[string]any) { vocab(m)["zz"] = 1.5 }), `id "1.5" is not an integer`},
		{"duplicate id", tinyJSON(func(m map[string]any) { vocab(m)["zz"] = 259 }), `id 259 is used by both "zz" and "▁"`},
		{"empty vocab", tinyJSON(func(m map[string]any) { model(m)["vocab"] = map[string]any{}; model(m)["merges"] = []any{} }), "vocabulary is empty"},
		{"added id huge", tinyJSON(func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 1 << 40, "content": "<x>", "special": true}}
		}), "out of range"},
		{"added id taken", tinyJSON(func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 260, "content": "<x>", "special": true}}
		}), `"<x>" has id 260, which already belongs to "a"`},
		{"added id mismatch", tinyJSON(func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 268, "content": "a", "special": true}}
		}), `"a" has id 268 but the model vocabulary gives it id 260`},
		{"added empty", tinyJSON(func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 268, "content": "", "special": true}}
		}), "empty content"},
		{"unk missing", tinyJSON(func(m map[string]any) { model(m)["unk_token"] = "<nope>" }), `unk_token "<nope>" is not in the model vocabulary`},
		{"dropout", tinyJSON(func(m map[string]any) { model(m)["dropout"] = 0.1 }), "unsupported BPE dropout"},
		{"normalizer", tinyJSON(func(m map[string]any) { m["normalizer"] = map[string]any{"type": "NFKC"} }), `unsupported normalizer type "NFKC"`},
		{"regex replace", tinyJSON(func(m map[string]any) {
			m["normalizer"] = map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " +"}, "content": "▁"}
		}), "only String patterns"},
		{"pre_tokenizer", tinyJSON(func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "ByteLevel"} }), `unsupported pre_tokenizer type "ByteLevel"`},
		{"no decoder", tinyJSON(func(m map[string]any) { m["decoder"] = nil }), "unsupported decoder: none"},
		{"decoder type", tinyJSON(func(m map[string]any) { m["decoder"] = map[string]any{"type": "ByteLevel"} }), `unsupported decoder type "ByteLevel"`},
		{"strip stop", tinyJSON(func(m map[string]any) {
			m["decoder"] = map[string]any{"type": "Sequence", "decoders": []any{
				map[string]any{"type": "Fuse"}, map[string]any{"type": "Strip", "content": " ", "start": 0, "stop": 1}}}
		}), "Strip start 0 stop 1"},
		{"post_processor unknown token", tinyJSON(func(m map[string]any) {
			m["post_processor"] = map[string]any{"type": "TemplateProcessing", "single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "[CLS]"}}}}
		}), `special token "[CLS]"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := Load("bad/tokenizer.json", c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "bad/tokenizer.json") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name the file and contain %q", err, c.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestLoadValidVariants(t *testing.T) {
	// Merges given as strings and as pairs load the same model.
	for _, c := range []struct {
		name   string
		mutate func(map[string]any)
	}{
		{"as given", nil},
		{"no type", func(m map[string]any) { delete(m["model"].(map[string]any), "type") }},
		{"all string merges", func(m map[string]any) {
			m["model"].(map[string]any)["merges"] = []any{"▁ a", "▁ b", "▁ c", "a b", "▁a b"}
		}},
		{"all pair merges", func(m map[string]any) {
			m["model"].(map[string]any)["merges"] = []any{[]any{"▁", "a"}, []any{"▁", "b"}, []any{"▁", "c"}, []any{"a", "b"}, []any{"▁a", "b"}}
		}},
	} {
		tk, err := Load(c.name, tinyJSON(c.mutate))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := pieces(tk, tk.Encode("ab cab", false)); strings.Join(got, " ") != "▁ab ▁c ab" {
			t.Errorf("%s: Encode = %q", c.name, got)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", "tokenizer.json")
	if _, err := LoadFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadDir(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("missing dir: %v", err)
	}

	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("tokenizer.json", string(tinyJSON(nil)))
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"bad config", "tokenizer_config.json", "{", "tokenizer_config.json: invalid JSON"},
		{"bad bos", "tokenizer_config.json", `{"bos_token": 5}`, "bos_token must be a string"},
		{"unknown eos", "tokenizer_config.json", `{"eos_token": "<eos>"}`, `eos_token "<eos>" is not in the vocabulary`},
		{"bad template", "tokenizer_config.json", `{"chat_template": 3}`, "chat_template must be"},
		{"bad generation config", "generation_config.json", `{"eos_token_id": "x"}`, "generation_config.json: eos_token_id must be"},
		{"generation eos range", "generation_config.json", `{"eos_token_id": [2, 99999]}`, "eos_token_id 99999 out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(filepath.Join(dir, "tokenizer_config.json"))
			os.Remove(filepath.Join(dir, "generation_config.json"))
			write(c.file, c.content)
			_, err := LoadDir(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("err = %v, want it to name %s and contain %q", err, dir, c.want)
			}
		})
	}

	// A valid directory with every optional file.
	write("tokenizer_config.json", `{"add_bos_token": false, "add_eos_token": true,
		"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": "<pad>",
		"chat_template": [{"name": "default", "template": "{{'<|user|>\n'}}"}, {"name": "tool_use", "template": "x"}]}`)
	write("generation_config.json", `{"eos_token_id": 1}`)
	tk, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tk.AddBOS() || !tk.AddEOS() || tk.BOS() != 1 || tk.EOS() != 2 || tk.PAD() != -1 {
		t.Errorf("AddBOS %v AddEOS %v BOS %d EOS %d PAD %d", tk.AddBOS(), tk.AddEOS(), tk.BOS(), tk.EOS(), tk.PAD())
	}
	if got := tk.Encode("a", true); len(got) != 2 || got[1] != 2 {
		t.Errorf("Encode with EOS = %v", got)
	}
	if !tk.IsEOG(1) || !tk.IsEOG(2) {
		t.Errorf("EOGs = %v", tk.EOGs())
	}
	if s, ok := tk.NamedChatTemplate("tool_use"); !ok || s != "x" || tk.ChatTemplate() != "{{'<|user|>\n'}}" {
		t.Errorf("templates: %q %q", tk.ChatTemplate(), s)
	}
}

func TestModelOptions(t *testing.T) {
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	for _, c := range []struct {
		name   string
		mutate func(map[string]any)
		text   string
		want   string
	}{
		{"byte fallback", nil, "xy a", "▁ <0x78> <0x79> ▁a"},
		{"fused unk", func(m map[string]any) { model(m)["byte_fallback"] = false }, "xy a", "▁ <unk> ▁a"},
		{"unfused unk", func(m map[string]any) {
			model(m)["byte_fallback"] = false
			model(m)["fuse_unk"] = false
		}, "xy a", "▁ <unk> <unk> ▁a"},
		{"no unk drops", func(m map[string]any) {
			model(m)["byte_fallback"] = false
			model(m)["unk_token"] = nil
		}, "xy a", "▁ ▁a"},
		{"merges ignore unknown piece", func(m map[string]any) { model(m)["vocab"].(map[string]any)["▁ca"] = 274 }, "ca", "▁c a"},
		{"ignore_merges whole segment", func(m map[string]any) {
			model(m)["vocab"].(map[string]any)["▁ca"] = 274
			model(m)["ignore_merges"] = true
		}, "ca", "▁ca"},
		{"ignore_merges only whole segment", func(m map[string]any) {
			model(m)["vocab"].(map[string]any)["▁ca"] = 274
			model(m)["ignore_merges"] = true
		}, "ca ca", "▁c a ▁c a"},
		{"no normalizer", func(m map[string]any) { m["normalizer"] = nil }, "ab", "ab"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tk, err := Load(c.name, tinyJSON(c.mutate))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(pieces(tk, tk.Encode(c.text, false)), " "); got != c.want {
				t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}
