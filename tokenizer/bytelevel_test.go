package tokenizer

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// phi4Dir holds a Phi-4-mini-equivalent tokenizer made from js-tiktoken's
// o200k_base ranks, with js-tiktoken encodings as gold (see its README).
const phi4Dir = "../testdata/phi4-tokenizer"

var (
	phi4Once sync.Once
	phi4Tok  *Tokenizer
	phi4Err  error
)

// phi4 returns the Phi-4-mini tokenizer, loaded once per test binary.
func phi4(tb testing.TB) *Tokenizer {
	tb.Helper()
	phi4Once.Do(func() { phi4Tok, phi4Err = LoadDir(phi4Dir) })
	if phi4Err != nil {
		tb.Fatal(phi4Err)
	}
	return phi4Tok
}

func phi4Gold(tb testing.TB) []goldLine {
	return readJSONL[goldLine](tb, filepath.Join(phi4Dir, "gold.jsonl"))
}

func TestPhi4Gold(t *testing.T) {
	tk := phi4(t)
	for _, g := range phi4Gold(t) {
		t.Run(shortName(g.Text), func(t *testing.T) {
			got := tk.Encode(g.Text, false)
			if !slices.Equal(got, g.IDs) {
				t.Errorf("Encode(%q)\n got %v %q\nwant %v %q", g.Text, got, pieces(tk, got), g.IDs, g.Tokens)
			}
			if toks := pieces(tk, g.IDs); !slices.Equal(toks, g.Tokens) {
				t.Errorf("Token(ids)\n got %q\nwant %q", toks, g.Tokens)
			}
			if dec := tk.Decode(g.IDs); dec != g.Decoded || dec != g.Text {
				t.Errorf("Decode = %q, want %q", dec, g.Decoded)
			}
			if got := streamDecode(t, tk, g.IDs, false); got != g.Text {
				t.Errorf("streaming decode = %q, want %q", got, g.Text)
			}
		})
	}
}

func TestPhi4Accessors(t *testing.T) {
	tk := phi4(t)
	if tk.Len() != 200029 {
		t.Errorf("Len = %d, want 200029", tk.Len())
	}
	if tk.BOS() != 199999 || tk.EOS() != 199999 || tk.PAD() != 199999 || tk.UNK() != 199999 || tk.AddBOS() || tk.AddEOS() {
		t.Errorf("BOS/EOS/PAD/UNK = %d/%d/%d/%d AddBOS %v AddEOS %v", tk.BOS(), tk.EOS(), tk.PAD(), tk.UNK(), tk.AddBOS(), tk.AddEOS())
	}
	if got := tk.EOGs(); !slices.Equal(got, []int32{199999, 200020}) {
		t.Errorf("EOGs = %v, want [199999 200020]", got)
	}
	for _, c := range []struct {
		piece string
		id    int32
	}{
		{"!", 0}, {"Ġ", 220}, {"Ċ", 198}, {"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018},
		{"<|assistant|>", 200019}, {"<|end|>", 200020}, {"<|user|>", 200021}, {"<|system|>", 200022},
		{"<|tool|>", 200023},
	} {
		if id, ok := tk.ID(c.piece); !ok || id != c.id || tk.Token(c.id) != c.piece {
			t.Errorf("ID(%q) = %d, %v; Token(%d) = %q", c.piece, id, ok, c.id, tk.Token(c.id))
		}
	}
	if !tk.IsSpecial(200020) || tk.IsSpecial(220) {
		t.Error("IsSpecial wrong")
	}
	// Ids 199998 and 200000..200017 name no token.
	if tk.Token(199998) != "" || tk.Decode([]int32{199998, 200005, 13225}) != "Hello" {
		t.Error("ids without tokens should decode to nothing")
	}
	if DetectChatFamily(tk.ChatTemplate()) != FamilyPhi4Mini {
		t.Errorf("family = %q", DetectChatFamily(tk.ChatTemplate()))
	}
	if s := tk.DecodeSkipSpecial(tk.Encode("<|user|>Hi<|end|>", false)); s != "Hi" {
		t.Errorf("DecodeSkipSpecial = %q", s)
	}
}

func TestPhi4ChatGold(t *testing.T) {
	tk := phi4(t)
	for i, c := range readJSONL[chatGoldLine](t, filepath.Join(phi4Dir, "chat-gold.jsonl")) {
		msgs := make([]Message, len(c.Messages))
		for j, m := range c.Messages {
			msgs[j] = Message{Role: m.Role, Content: m.Content}
		}
		text, err := tk.ApplyChatTemplate(msgs, true)
		if err != nil {
			t.Fatal(err)
		}
		if text != c.Text {
			t.Errorf("case %d: rendered\n%q\nwant\n%q", i, text, c.Text)
		}
		if ids := tk.Encode(text, false); !slices.Equal(ids, c.IDs) {
			t.Errorf("case %d: ids\n got %v\nwant %v", i, ids, c.IDs)
		}
	}
	text, err := tk.ApplyChatTemplate([]Message{{"user", "Hi"}}, false)
	if err != nil || text != "<|user|>Hi<|end|><|endoftext|>" {
		t.Errorf("without generation prompt: %q, %v", text, err)
	}
}

func TestPhi4DecodeGold(t *testing.T) {
	tk := phi4(t)
	type line struct {
		IDs     []int32 `json:"ids"`
		Decoded string  `json:"decoded"`
	}
	for _, c := range readJSONL[line](t, filepath.Join(phi4Dir, "decode-gold.jsonl")) {
		if got := tk.Decode(c.IDs); got != c.Decoded {
			t.Errorf("Decode(%v) = %q, want %q", c.IDs, got, c.Decoded)
		}
		if got := streamDecode(t, tk, c.IDs, false); got != c.Decoded {
			t.Errorf("streaming Decode(%v) = %q, want %q", c.IDs, got, c.Decoded)
		}
	}
}

// TestSplitGold compares the hand-written split patterns with JavaScript's
// regex engine running the same patterns (as js-tiktoken spells them).
func TestSplitGold(t *testing.T) {
	type line struct {
		Text   string   `json:"text"`
		O200K  []string `json:"o200k"`
		CL100K []string `json:"cl100k"`
		GPT2   []string `json:"gpt2"`
	}
	lines := readJSONL[line](t, filepath.Join(phi4Dir, "split-gold.jsonl"))
	if len(lines) < 100 {
		t.Fatalf("only %d lines", len(lines))
	}
	for _, c := range lines {
		for _, p := range []struct {
			pat  splitPattern
			want []string
		}{{patO200K, c.O200K}, {patCL100K, c.CL100K}, {patGPT2, c.GPT2}} {
			var got []string
			p.pat.split(c.Text, func(s string) { got = append(got, s) })
			if !slices.Equal(got, p.want) {
				t.Errorf("%v split of %q:\n got %q\nwant %q", p.pat, c.Text, got, p.want)
			}
		}
	}
}

func TestSplitCases(t *testing.T) {
	for _, c := range []struct {
		pat  splitPattern
		text string
		want []string
	}{
		// \s+(?!\S): a whitespace run before a word leaves its last
		// space to the word; at the end of the text it stays whole.
		{patO200K, "a   b  ", []string{"a", "  ", " b", "  "}},
		{patO200K, "x \t\ny", []string{"x", " \t\n", "y"}},
		{patO200K, "x\n\n  y", []string{"x", "\n\n", " ", " y"}},
		{patO200K, "x \n \n y", []string{"x", " \n \n", " y"}},
		{patO200K, "x\r\n\r\ny", []string{"x", "\r\n\r\n", "y"}},
		{patO200K, "  1", []string{" ", " ", "1"}},
		// Digits in runs of at most three.
		{patO200K, "1234567", []string{"123", "456", "7"}},
		{patO200K, "x٣٤٥٦", []string{"x", "٣٤٥", "٦"}},
		// Case-aware words and contractions.
		{patO200K, "HTTPServer", []string{"HTTPServer"}},
		{patO200K, "camelCaseWord", []string{"camel", "Case", "Word"}},
		{patO200K, "ABC DEF's", []string{"ABC", " DEF's"}},
		{patO200K, "don't DON'T Don'T", []string{"don't", " DON'T", " Don'T"}},
		{patO200K, "we'Re we'rE", []string{"we'Re", " we'rE"}},
		{patO200K, "it'ſ", []string{"it'ſ"}}, // U+017F folds to s
		{patO200K, "'tis", []string{"'tis"}},
		{patO200K, "x'y", []string{"x", "'y"}},
		// Marks belong to both letter classes; a lone mark is a word.
		{patO200K, "e\u0301\u0301", []string{"e\u0301\u0301"}},
		{patO200K, "\u0301ABC", []string{"\u0301", "ABC"}},
		{patO200K, "ʰa", []string{"ʰa"}},
		// Punctuation takes one leading space and trailing line breaks
		// and slashes.
		{patO200K, "a !!!\n\nb", []string{"a", " !!!\n\n", "b"}},
		{patO200K, "a/b//c", []string{"a", "/b", "//", "c"}},
		{patO200K, "x) /", []string{"x", ")", " /"}},
		// Invalid bytes count as symbols.
		{patO200K, "a\xff\xfeb", []string{"a", "\xff\xfe", "b"}},
		{patO200K, "a\xffb", []string{"a", "\xffb"}},
		{patO200K, " \xff", []string{" \xff"}},
		// U+0085 is White_Space (JavaScript's \s says no).
		{patO200K, "a\u0085\u0085b", []string{"a", "\u0085", "\u0085b"}},
		{patCL100K, "I'M HE'S", []string{"I", "'M", " HE", "'S"}},
		{patCL100K, "don't", []string{"don", "'t"}},
		{patCL100K, "1234 x", []string{"123", "4", " x"}},
		{patCL100K, "a/b//c\n", []string{"a", "/b", "//", "c", "\n"}},
		{patCL100K, "!!\n\n", []string{"!!\n\n"}},
		{patGPT2, "I'M don't", []string{"I", "'", "M", " don", "'t"}},
		{patGPT2, "abc 12345  x", []string{"abc", " 12345", " ", " x"}},
		{patGPT2, "a\n\nb", []string{"a", "\n", "\n", "b"}}, // no \s*[\r\n]+ alternative
	} {
		var got []string
		c.pat.split(c.text, func(s string) { got = append(got, s) })
		if !slices.Equal(got, c.want) {
			t.Errorf("%v split of %q:\n got %q\nwant %q", c.pat, c.text, got, c.want)
		}
	}
}

// TestSplitRandom checks on random text that splitting covers the text,
// never returns an empty piece, and gives the same pieces when the text is
// cut between two pieces that the pattern cannot join.
func TestSplitRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		text := randomText(r, false)
		if i%3 == 0 {
			text += "\xff\xe4\xb8" + randomText(r, false)
		}
		for _, p := range []splitPattern{patO200K, patCL100K, patGPT2} {
			var sb strings.Builder
			p.split(text, func(s string) {
				if s == "" {
					t.Fatalf("%v: empty piece in %q", p, text)
				}
				sb.WriteString(s)
			})
			if sb.String() != text {
				t.Fatalf("%v: pieces of %q join to %q", p, text, sb.String())
			}
		}
	}
}

func TestAppendLossy(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"abc", "abc"},
		{"中", "中"},
		{"\xe4\xb8", "\ufffd"},                 // truncated: one U+FFFD
		{"\xe4\xb8a", "\ufffda"},               // interrupted
		{"\xff\xfe", "\ufffd\ufffd"},           // never-leading bytes: one each
		{"\x80\x80", "\ufffd\ufffd"},           // stray continuations
		{"\xc0\x80", "\ufffd\ufffd"},           // overlong lead
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"}, // surrogate
		{"\xe0\x80\x80", "\ufffd\ufffd\ufffd"}, // overlong 3-byte
		{"\xf0\x9f\xa6", "\ufffd"},
		{"\xf0\x9f\xa6\x99", "🦙"},
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"}, // above U+10FFFF
		{"\xf0\x9f\xa6\xe4\xb8\xad", "\ufffd中"},
	} {
		got, n := appendLossy(nil, []byte(c.in), true)
		if string(got) != c.want || n != len(c.in) {
			t.Errorf("appendLossy(%q) = %q, %d; want %q", c.in, got, n, c.want)
		}
		// Not final: an incomplete tail is held back.
		got, n = appendLossy(nil, []byte(c.in), false)
		rest, _ := appendLossy(got, []byte(c.in)[n:], true)
		if string(rest) != c.want {
			t.Errorf("appendLossy(%q) in two steps = %q", c.in, rest)
		}
	}
	if got, n := appendLossy(nil, []byte("a\xf0\x9f"), false); string(got) != "a" || n != 1 {
		t.Errorf("incomplete tail: %q, %d", got, n)
	}
}

// TestPhi4Streaming checks that streaming decoding equals Decode and is
// valid UTF-8 at every step for random id sequences rich in tokens that
// hold only part of a character.
func TestPhi4Streaming(t *testing.T) {
	tk := phi4(t)
	var partial []int32 // tokens that are not valid UTF-8 alone
	for id := range int32(tk.Len()) {
		if tk.kinds[id] == kindBytes && !utf8.ValidString(tk.dtext[id]) {
			partial = append(partial, id)
		}
	}
	if len(partial) < 1000 {
		t.Fatalf("only %d partial-character tokens", len(partial))
	}
	// A character split across tokens is held back until complete.
	ids := tk.Encode("🦙", false)
	if len(ids) < 2 {
		t.Fatalf("🦙 is one token: %v", ids)
	}
	d := tk.NewDecoder(false)
	for _, id := range ids[:len(ids)-1] {
		if s := d.Add(id); s != "" {
			t.Errorf("Add(%d) = %q before the character is complete", id, s)
		}
	}
	if s := d.Add(ids[len(ids)-1]); s != "🦙" {
		t.Errorf("last Add = %q", s)
	}
	d.Add(ids[0])
	if s := d.Flush(); s != "\ufffd" {
		t.Errorf("Flush = %q, want one U+FFFD", s)
	}

	r := rand.New(rand.NewPCG(9, 10))
	texts := phi4Gold(t)
	for iter := range 3000 {
		var ids []int32
		for range r.IntN(16) {
			switch r.IntN(6) {
			case 0, 1:
				ids = append(ids, partial[r.IntN(len(partial))])
			case 2:
				g := texts[r.IntN(len(texts))].IDs
				if len(g) > 0 {
					lo := r.IntN(len(g))
					ids = append(ids, g[lo:lo+r.IntN(len(g)-lo)+1]...)
				}
			case 3:
				ids = append(ids, []int32{199999, 200019, 200020, 199998, -1, 300000}[r.IntN(6)])
			default:
				ids = append(ids, int32(r.IntN(tk.Len())))
			}
		}
		for _, skip := range []bool{false, true} {
			want := tk.Decode(ids)
			if skip {
				want = tk.DecodeSkipSpecial(ids)
			}
			if !utf8.ValidString(want) {
				t.Fatalf("Decode(%v) is not valid UTF-8", ids)
			}
			if got := streamDecode(t, tk, ids, skip); got != want {
				t.Fatalf("iteration %d skip=%v ids %v:\nstream %q\nDecode %q", iter, skip, ids, got, want)
			}
		}
	}
}

// TestPhi4RoundTrip: byte-level BPE loses nothing, for valid UTF-8 text
// without added-token text.
func TestPhi4RoundTrip(t *testing.T) {
	tk := phi4(t)
	r := rand.New(rand.NewPCG(11, 12))
	for range 2000 {
		text := randomText(r, false)
		if got := tk.Decode(tk.Encode(text, false)); got != text {
			t.Fatalf("Decode(Encode(%q)) = %q", text, got)
		}
	}
	text := englishText(1<<18) + "日本語のテキスト " + englishText(1<<16)
	if got := tk.Decode(tk.Encode(text, false)); got != text {
		t.Fatal("long text round trip failed")
	}
	// Invalid UTF-8 is encoded byte by byte and comes back as U+FFFD.
	if got := tk.Decode(tk.Encode("a\xffb\xe4\xb8", false)); got != "a\ufffdb\ufffd" {
		t.Errorf("invalid UTF-8 decodes to %q", got)
	}
}

// TestPhi4FromVocab exports the Phi-4-mini tokenizer as a GGUF "gpt2"
// vocabulary padded to the model's 200064 logits and checks that
// FromVocab encodes the gold the same way.
func TestPhi4FromVocab(t *testing.T) {
	tk := phi4(t)
	v := tk.VocabPadded(200064)
	if v.Model != "gpt2" || v.Pre != "gpt-4o" || len(v.Tokens) != 200064 || len(v.Merges) != 199742 {
		t.Fatalf("model %q pre %q, %d tokens, %d merges", v.Model, v.Pre, len(v.Tokens), len(v.Merges))
	}
	if v.Merges[0] != "Ġ Ġ" || v.Merges[1] != "ĠĠ ĠĠ" || v.Merges[2] != "i n" {
		t.Errorf("first merges %q", v.Merges[:3])
	}
	for _, c := range []struct {
		id    int32
		piece string
		typ   int32
	}{
		{0, "!", TypeNormal}, {220, "Ġ", TypeNormal}, {199998, "[PAD199998]", TypeUnused},
		{199999, "<|endoftext|>", TypeControl}, {200020, "<|end|>", TypeControl}, {200063, "[PAD200063]", TypeUnused},
	} {
		if v.Tokens[c.id] != c.piece || v.Types[c.id] != c.typ {
			t.Errorf("id %d = %q type %d, want %q type %d", c.id, v.Tokens[c.id], v.Types[c.id], c.piece, c.typ)
		}
	}
	sp, err := FromVocab(v)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Len() != 200064 || sp.BOS() != 199999 || sp.EOS() != 199999 || !slices.Equal(sp.EOGs(), tk.EOGs()) {
		t.Errorf("Len %d BOS %d EOS %d EOGs %v", sp.Len(), sp.BOS(), sp.EOS(), sp.EOGs())
	}
	for _, g := range phi4Gold(t) {
		if got := sp.Encode(g.Text, false); !slices.Equal(got, g.IDs) {
			t.Errorf("FromVocab Encode(%q)\n got %v\nwant %v", g.Text, got, g.IDs)
		}
		if got := sp.Decode(g.IDs); got != g.Text {
			t.Errorf("FromVocab Decode = %q, want %q", got, g.Text)
		}
	}
	r := rand.New(rand.NewPCG(13, 14))
	for range 500 {
		text := randomText(r, true)
		if a, b := tk.Encode(text, false), sp.Encode(text, false); !slices.Equal(a, b) {
			t.Fatalf("text %q:\n json  %v\n vocab %v", text, a, b)
		}
	}
	// The vocabulary round-trips.
	v2 := sp.VocabPadded(0)
	if v2.Model != "gpt2" || v2.Pre != "gpt-4o" || !slices.Equal(v2.Tokens, v.Tokens) || !slices.Equal(v2.Types, v.Types) || !slices.Equal(v2.Merges, v.Merges) {
		t.Error("FromVocab(v).VocabPadded differs from v")
	}
}

// tinyByteLevelJSON is a small byte-level tokenizer.json: all 256 byte
// characters, a few merges, and added tokens.
func tinyByteLevelJSON(mutate func(m map[string]any)) []byte {
	vocab := map[string]any{}
	for b := range 256 {
		vocab[string(byteChar[b])] = b
	}
	merges := []any{"Ġ t", "h e", "Ġt he", "Ġ a", "a b", "ab c", "Ġa b"}
	next := 256
	for _, m := range merges {
		a, b, _ := strings.Cut(m.(string), " ")
		if _, ok := vocab[a+b]; !ok {
			vocab[a+b] = next
			next++
		}
	}
	m := map[string]any{
		"added_tokens": []any{
			map[string]any{"id": next, "content": "<|end|>", "special": true},
			map[string]any{"id": next + 1, "content": "<x y>", "special": false, "normalized": false},
		},
		"normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`},
				"behavior": "Removed", "invert": true},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model":   map[string]any{"type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": false},
	}
	if mutate != nil {
		mutate(m)
	}
	return mustJSON(m)
}

func TestByteLevelTiny(t *testing.T) {
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	pre := func(m map[string]any) []any {
		return m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)
	}
	for _, c := range []struct {
		name   string
		mutate func(map[string]any)
		text   string
		want   string
	}{
		{"basic", nil, "the abc<|end|>he", "t he Ġab c <|end|> he"},
		{"merges by rank", nil, " the", "Ġthe"},
		{"added token with space", nil, "a<x y>b", "a <x y> b"},
		{"bytes", nil, "é\n", "Ã © Ċ"},
		// "Ġabc" is a token that no merge produces.
		{"ignore_merges", func(m map[string]any) {
			model(m)["vocab"].(map[string]any)["Ġabc"] = 265
			model(m)["ignore_merges"] = true
		}, " abc", "Ġabc"},
		{"no ignore_merges", func(m map[string]any) {
			model(m)["vocab"].(map[string]any)["Ġabc"] = 265
		}, " abc", "Ġab c"},
		{"gpt2 use_regex", func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}
		}, "I'M ab", "I ' M Ġab"},
		{"add_prefix_space per piece", func(m map[string]any) {
			pre(m)[1].(map[string]any)["add_prefix_space"] = true
		}, "ab.", "Ġab Ġ ."},
		{"isolated split", func(m map[string]any) {
			pre(m)[0].(map[string]any)["behavior"] = "Isolated"
			pre(m)[0].(map[string]any)["invert"] = false
		}, "ab  c", "ab Ġ Ġ c"},
		// With a merge "b C", o200k keeps "bC" apart, cl100k does not.
		{"o200k case split", func(m map[string]any) {
			model(m)["vocab"].(map[string]any)["bC"] = 265
			model(m)["merges"] = append(model(m)["merges"].([]any), "b C")
		}, "bC", "b C"},
		{"cl100k pattern", func(m map[string]any) {
			model(m)["vocab"].(map[string]any)["bC"] = 265
			model(m)["merges"] = append(model(m)["merges"].([]any), "b C")
			pre(m)[0].(map[string]any)["pattern"] = map[string]any{"Regex": `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`}
		}, "bC", "bC"},
		{"decoder in a sequence", func(m map[string]any) {
			m["decoder"] = map[string]any{"type": "Sequence", "decoders": []any{m["decoder"]}}
		}, "the", "t he"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tk, err := Load(c.name, tinyByteLevelJSON(c.mutate))
			if err != nil {
				t.Fatal(err)
			}
			ids := tk.Encode(c.text, false)
			if got := strings.Join(pieces(tk, ids), " "); got != c.want {
				t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
			}
			want := c.text
			if strings.Contains(c.name, "prefix") {
				want = " ab ."
			}
			if got := tk.Decode(ids); got != want {
				t.Errorf("Decode = %q, want %q", got, want)
			}
		})
	}
}

func TestByteLevelLoadErrors(t *testing.T) {
	pre := func(m map[string]any) []any {
		return m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)
	}
	for _, c := range []struct {
		name   string
		mutate func(map[string]any)
		want   string
	}{
		{"unknown pattern", func(m map[string]any) {
			pre(m)[0].(map[string]any)["pattern"] = map[string]any{"Regex": `\w+|\s+`}
		}, `unsupported pre-tokenizer pattern "\\w+|\\s+"`},
		{"string pattern", func(m map[string]any) {
			pre(m)[0].(map[string]any)["pattern"] = map[string]any{"String": " "}
		}, "only Regex patterns"},
		{"split behavior", func(m map[string]any) {
			pre(m)[0].(map[string]any)["behavior"] = "MergedWithPrevious"
		}, `Split behavior "MergedWithPrevious"`},
		{"removed without invert", func(m map[string]any) {
			pre(m)[0].(map[string]any)["invert"] = false
		}, `Split behavior "Removed" with invert false`},
		{"split after byte level", func(m map[string]any) {
			p := pre(m)
			p[0], p[1] = p[1], p[0]
		}, "Split after ByteLevel"},
		{"split alone", func(m map[string]any) {
			m["pre_tokenizer"] = pre(m)[0]
		}, "Split without ByteLevel"},
		{"other pre_tokenizer", func(m map[string]any) {
			pre(m)[0] = map[string]any{"type": "Digits", "individual_digits": true}
		}, `unsupported pre_tokenizer type "Digits"`},
		{"wrong decoder", func(m map[string]any) {
			m["decoder"] = map[string]any{"type": "Fuse"}
		}, `with decoder "Fuse" (byte-level BPE needs the ByteLevel decoder)`},
		{"no decoder", func(m map[string]any) { m["decoder"] = nil }, "with no decoder"},
		{"nested too deeply", func(m map[string]any) {
			p := m["pre_tokenizer"]
			for range 10 {
				p = map[string]any{"type": "Sequence", "pretokenizers": []any{p}}
			}
			m["pre_tokenizer"] = p
		}, "nested too deeply"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("bad/tokenizer.json", tinyByteLevelJSON(c.mutate))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "bad/tokenizer.json") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name the file and contain %q", err, c.want)
			}
		})
	}
}

func TestFromVocabGPT2(t *testing.T) {
	tokens := make([]string, 0, 270)
	for b := range 256 {
		tokens = append(tokens, string(byteChar[b]))
	}
	tokens = append(tokens, "he", "Ġt", "Ġthe", "<|end|>", "<tool>", "[PAD261]")
	types := make([]int32, len(tokens))
	for i := range types {
		types[i] = TypeNormal
	}
	types[259], types[260], types[261] = TypeControl, TypeUserDefined, TypeUnused
	v := Vocab{
		Model: "gpt2", Pre: "gpt-4o", Tokens: tokens, Types: types,
		Merges: []string{"h e", "Ġ t", "Ġt he"},
		BOS:    -1, EOS: 259, UNK: -1, PAD: -1,
	}
	tk, err := FromVocab(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want string
	}{
		{"the the", "t he Ġthe"},
		{"x<|end|> the<tool>", "x <|end|> Ġthe <tool>"},
		{"[PAD261]", "[ P A D 2 6 1 ]"}, // unused tokens are not matched
	} {
		if got := strings.Join(pieces(tk, tk.Encode(c.text, false)), " "); got != c.want {
			t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if s := tk.DecodeSkipSpecial(tk.Encode("a<|end|><tool> é", false)); s != "a<tool> é" {
		t.Errorf("DecodeSkipSpecial = %q", s)
	}
	if s := tk.Decode([]int32{261, 259}); s != "<|end|>" {
		t.Errorf("Decode with unused = %q", s)
	}

	for _, c := range []struct {
		name   string
		mutate func(v *Vocab)
		want   string
	}{
		{"no pre", func(v *Vocab) { v.Pre = "" }, `unsupported model "gpt2" with pre-tokenizer ""`},
		{"unknown pre", func(v *Vocab) { v.Pre = "qwen2" }, `pre-tokenizer "qwen2"`},
		{"bad merge", func(v *Vocab) { v.Merges = []string{"he"} }, `merges[0] "he" is not two pieces`},
		{"merge unknown", func(v *Vocab) { v.Merges = []string{"h qq"} }, `"qq" is not a normal token`},
		{"merge control", func(v *Vocab) { v.Merges = []string{"<|end|> h"} }, `"<|end|>" is not a normal token`},
		{"merge product", func(v *Vocab) { v.Merges = []string{"e h"} }, `merged piece "eh"`},
		{"byte type", func(v *Vocab) { v.Types = slices.Clone(types); v.Types[5] = TypeByte }, "has type 6"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := v
			c.mutate(&w)
			_, err := FromVocab(w)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "tokenizer: vocab: ") {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	for _, c := range []struct{ pre, want string }{
		{"gpt-2", "gpt-2"}, {"llama-bpe", "llama-bpe"}, {"llama3", "llama-bpe"}, {"llama4", "gpt-4o"},
	} {
		w := v
		w.Pre = c.pre
		tk, err := FromVocab(w)
		if err != nil {
			t.Fatalf("%s: %v", c.pre, err)
		}
		if got := tk.Vocab().Pre; got != c.want {
			t.Errorf("Pre %q exports as %q, want %q", c.pre, got, c.want)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func BenchmarkEncodePhi4(b *testing.B) {
	tk := phi4(b)
	text := englishText(1 << 20)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		tk.Encode(text, false)
	}
}

func BenchmarkDecodePhi4(b *testing.B) {
	tk := phi4(b)
	ids := tk.Encode(englishText(1<<20), false)
	b.ResetTimer()
	for b.Loop() {
		tk.Decode(ids)
	}
}

func BenchmarkLoadPhi4(b *testing.B) {
	for b.Loop() {
		if _, err := LoadFile(phi4Dir + "/tokenizer.json"); err != nil {
			b.Fatal(err)
		}
	}
}
