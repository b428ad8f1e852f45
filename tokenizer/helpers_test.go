package tokenizer

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

const (
	phi3Dir  = "../testdata/phi3/phi3-tokenizer"
	modelDir = "../testdata/phi3/phi3-mini-4k-tiny"
)

var (
	phi3Once sync.Once
	phi3Tok  *Tokenizer
	phi3Err  error
)

// phi3 returns the real Phi-3 tokenizer, loaded once per test binary.
func phi3(tb testing.TB) *Tokenizer {
	tb.Helper()
	phi3Once.Do(func() { phi3Tok, phi3Err = LoadDir(phi3Dir) })
	if phi3Err != nil {
		tb.Fatal(phi3Err)
	}
	return phi3Tok
}

type goldLine struct {
	Text    string   `json:"text"`
	IDs     []int32  `json:"ids"`
	Tokens  []string `json:"tokens"`
	Decoded string   `json:"decoded"`
}

type chatGoldLine struct {
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func readJSONL[T any](tb testing.TB, path string) []T {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func gold(tb testing.TB) []goldLine {
	return readJSONL[goldLine](tb, filepath.Join(phi3Dir, "gold.jsonl"))
}

func chatGold(tb testing.TB) []chatGoldLine {
	return readJSONL[chatGoldLine](tb, filepath.Join(phi3Dir, "chat-gold.jsonl"))
}

// randomText mixes ASCII words, runs of spaces, newlines and tabs, accented
// Latin, Greek, CJK, emoji (with modifiers and ZWJ), control characters and,
// when specials is set, Phi-3's added tokens and near misses.
func randomText(r *rand.Rand, specials bool) string {
	parts := []string{
		"the", "quick", "brown", "fox", "Hello", "world", "tokenizer", "aaaa", "ing", "un",
		" ", "  ", "   ", "\n", "\n\n", "\t", "\r\n", ".", ",", "?!", "1234", "3.14", "_", "()",
		"é", "àéîõü", "ß", "Ελληνικά", "кириллица", "你好", "世界", "こんにちは", "한국어", "العربية",
		"🦙", "🚀", "👍🏽", "🧑\u200d🔬", "©", "∑", "\u00a0", "\u2003", "\u200b", "\x00", "\x1f", "\u2581x",
	}
	if specials {
		parts = append(parts, "<|user|>", "<|end|>", "<|assistant|>", "<|system|>", "<|endoftext|>",
			"<s>", "</s>", "<unk>", "<|placeholder3|>", "<|end", "<|notatoken|>", "<", "|>")
	}
	n := r.IntN(24)
	var b strings.Builder
	for range n {
		if r.IntN(10) == 0 {
			// A random rune from a wide range.
			var c rune
			switch r.IntN(3) {
			case 0:
				c = rune(0x20 + r.IntN(0x60))
			case 1:
				c = rune(0xa0 + r.IntN(0x3000))
			default:
				c = rune(0x1f300 + r.IntN(0x300))
			}
			if utf8.ValidRune(c) {
				b.WriteRune(c)
			}
			continue
		}
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// englishText returns about n bytes of English-like text.
func englishText(n int) string {
	sentences := []string{
		"Once upon a time, there was a little girl named Lily who loved to play outside.",
		"The quick brown fox jumps over the lazy dog.",
		"Small language models can run on a laptop, a phone, or even a browser.",
		"In 2024, researchers released several models with 3.8 billion parameters.",
		"She asked, \"Why is the sky blue?\" and her father explained Rayleigh scattering.",
		"Tokenization splits text into pieces that the model has seen during training.",
		"It was the best of times, it was the worst of times; it was the age of wisdom.",
		"Please remember to bring your umbrella, because the forecast predicts heavy rain.",
		"The committee will meet on Thursday to discuss the budget for next year.",
		"Supercalifragilisticexpialidocious is a very long word from a famous film.",
	}
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.Grow(n + 200)
	for b.Len() < n {
		b.WriteString(sentences[r.IntN(len(sentences))])
		if r.IntN(6) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// tinyJSON builds a small valid tokenizer.json in Phi-3's shape: LLaMA
// normalizer and decoder, byte fallback, merges in both forms, and added
// tokens with every strip flag.
func tinyJSON(mutate func(m map[string]any)) []byte {
	vocab := map[string]any{"<unk>": 0, "<s>": 1, "</s>": 2}
	for b := range 256 {
		vocab[byteToken(byte(b))] = 3 + b
	}
	next := 259
	for _, p := range []string{"▁", "a", "b", "c", "▁a", "▁b", "▁c", "ab", "▁ab"} {
		vocab[p] = next
		next++
	}
	tok := func(id int, content string, single, l, r, norm, special bool) map[string]any {
		return map[string]any{"id": id, "content": content, "single_word": single, "lstrip": l,
			"rstrip": r, "normalized": norm, "special": special}
	}
	m := map[string]any{
		"version": "1.0",
		"added_tokens": []any{
			tok(0, "<unk>", false, false, false, false, true),
			tok(1, "<s>", false, false, false, false, true),
			tok(2, "</s>", false, false, false, false, true),
			tok(next, "<|r|>", false, false, true, false, true),
			tok(next+1, "<|l|>", false, true, false, false, true),
			tok(next+2, "<|b|>", false, true, true, false, true),
			tok(next+3, "word", true, false, false, false, false),
			tok(next+4, "norm", false, false, false, true, false),
			tok(next+5, "<|r|>x", false, false, false, false, false),
		},
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		}},
		"pre_tokenizer": nil,
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []any{1}, "tokens": []any{"<s>"}}},
		},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
			map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
			"vocab":  vocab,
			"merges": []any{[]any{"▁", "a"}, "▁ b", []any{"▁", "c"}, "a b", []any{"▁a", "b"}},
		},
	}
	if mutate != nil {
		mutate(m)
	}
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return data
}

func tiny(tb testing.TB) *Tokenizer {
	tb.Helper()
	tk, err := Load("tiny.json", tinyJSON(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}

func pieces(t *Tokenizer, ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.Token(id)
	}
	return out
}
