package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	spmOnce sync.Once
	spmTok  *Tokenizer
	spmErr  error
)

// phi3SPM is FromVocab of the Phi-3 tokenizer's export padded to 32064, as
// llama.cpp's converter lays it out.
func phi3SPM(tb testing.TB) *Tokenizer {
	tb.Helper()
	tk := phi3(tb)
	spmOnce.Do(func() { spmTok, spmErr = FromVocab(tk.VocabPadded(32064)) })
	if spmErr != nil {
		tb.Fatal(spmErr)
	}
	return spmTok
}

func TestVocabExport(t *testing.T) {
	tk := phi3(t)
	v := tk.VocabPadded(32064)
	if len(v.Tokens) != 32064 || len(v.Scores) != 32064 || len(v.Types) != 32064 {
		t.Fatalf("sizes %d %d %d", len(v.Tokens), len(v.Scores), len(v.Types))
	}
	for _, c := range []struct {
		id    int32
		piece string
		typ   int32
	}{
		{0, "<unk>", TypeUnknown}, {1, "<s>", TypeControl}, {2, "</s>", TypeControl},
		{3, "<0x00>", TypeByte}, {13, "<0x0A>", TypeByte}, {258, "<0xFF>", TypeByte},
		{259, "▁▁", TypeNormal}, {15043, "▁Hello", TypeNormal},
		{32000, "<|endoftext|>", TypeControl}, {32007, "<|end|>", TypeControl},
		{32011, "[PAD32011]", TypeUnused}, {32063, "[PAD32063]", TypeUnused},
	} {
		if v.Tokens[c.id] != c.piece || v.Types[c.id] != c.typ {
			t.Errorf("id %d = %q type %d, want %q type %d", c.id, v.Tokens[c.id], v.Types[c.id], c.piece, c.typ)
		}
	}
	// "▁t" comes from merge 0, "▁▁" from the last merge (61248).
	if v.Scores[260] != 0 || v.Scores[259] != -61248 || v.Scores[32011] != -10000 || v.Scores[32007] != -1000 {
		t.Errorf("scores %v %v %v %v", v.Scores[260], v.Scores[259], v.Scores[32011], v.Scores[32007])
	}
	if v.Scores[29871] >= v.Scores[15043] {
		t.Errorf("single character ▁ scores %v, not below ▁Hello %v", v.Scores[29871], v.Scores[15043])
	}
	if v.Model != "llama" || v.BOS != 1 || v.EOS != 32000 || v.UNK != 0 || v.PAD != 32000 || v.AddBOS || v.AddEOS {
		t.Errorf("metadata %q %d %d %d %d %v %v", v.Model, v.BOS, v.EOS, v.UNK, v.PAD, v.AddBOS, v.AddEOS)
	}
	if v.ChatTemplate != tk.ChatTemplate() || !slices.Equal(v.EOG, tk.EOGs()) {
		t.Error("chat template or EOG not exported")
	}
	if got := len(tk.Vocab().Tokens); got != tk.Len() {
		t.Errorf("Vocab() has %d tokens, want %d", got, tk.Len())
	}

	// A FromVocab tokenizer exports its own vocabulary unchanged.
	sp := phi3SPM(t)
	v2 := sp.VocabPadded(0)
	if !slices.Equal(v2.Tokens, v.Tokens) || !slices.Equal(v2.Scores, v.Scores) || !slices.Equal(v2.Types, v.Types) {
		t.Error("FromVocab(v).Vocab() differs from v")
	}
}

func TestFromVocabGold(t *testing.T) {
	tk, sp := phi3(t), phi3SPM(t)
	if sp.Len() != 32064 || sp.BOS() != 1 || sp.EOS() != 32000 || sp.AddBOS() {
		t.Errorf("Len %d BOS %d EOS %d AddBOS %v", sp.Len(), sp.BOS(), sp.EOS(), sp.AddBOS())
	}
	if !slices.Equal(sp.EOGs(), tk.EOGs()) {
		t.Errorf("EOGs %v, want %v", sp.EOGs(), tk.EOGs())
	}
	for _, g := range gold(t) {
		if got := sp.Encode(g.Text, false); !slices.Equal(got, g.IDs) {
			t.Errorf("FromVocab Encode(%q)\n got %v\nwant %v", g.Text, got, g.IDs)
		}
		if got := sp.Decode(g.IDs); got != g.Decoded {
			t.Errorf("FromVocab Decode = %q, want %q", got, g.Decoded)
		}
	}
	for _, c := range chatGold(t) {
		if got := sp.Encode(c.Text, false); !slices.Equal(got, c.IDs) {
			t.Errorf("FromVocab Encode(%q) = %v, want %v", c.Text, got, c.IDs)
		}
	}
	// Padding slots decode to nothing and are not matched in text.
	if s := sp.Decode([]int32{32011, 15043, 32063}); s != "Hello" {
		t.Errorf("Decode with padding = %q", s)
	}
	if ids := sp.Encode("[PAD32011]", false); slices.Contains(ids, 32011) {
		t.Errorf("padding token matched in text: %v", ids)
	}
}

func TestFromVocabRandomAgreement(t *testing.T) {
	tk, sp := phi3(t), phi3SPM(t)
	r := rand.New(rand.NewPCG(42, 43))
	n := 4000
	if testing.Short() {
		n = 500
	}
	for i := range n {
		text := randomText(r, i%2 == 0)
		a, b := tk.Encode(text, false), sp.Encode(text, false)
		if !slices.Equal(a, b) {
			t.Fatalf("text %q:\n rank  %v %q\n score %v %q", text, a, pieces(tk, a), b, pieces(sp, b))
		}
		if da, db := tk.Decode(a), sp.Decode(a); da != db {
			t.Fatalf("decode differs for %q: %q vs %q", text, da, db)
		}
	}
	// Long inputs exercise word splitting and the per-call word cache.
	long := englishText(50000) + strings.Repeat("ab", 3000) + "<|user|>\n" + englishText(20000)
	if !slices.Equal(tk.Encode(long, false), sp.Encode(long, false)) {
		t.Fatal("long text encodes differently")
	}
}

func TestFromVocabOwnVocabulary(t *testing.T) {
	// A hand-made SentencePiece vocabulary: scores decide merges.
	v := Vocab{
		Model: "llama",
		Tokens: []string{"<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "▁", "a", "b", "c", "ab", "bc", "▁a", "abc",
			"<|end|>", "<|endoftext|>", "<tool>", "[PAD16]"},
		Scores: []float32{0, 0, 0, 0, 0, -100, -100, -100, -100, -5, -1, -3, -2, 0, 0, 0, -10000},
		Types:  []int32{2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 4, 5},
		BOS:    1, EOS: 2, UNK: 0, PAD: -1, AddBOS: true,
		EOG: []int32{14},
	}
	sp, err := FromVocab(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		// "bc" (-1) merges first, then "abc" (-2) beats "▁a" (-3).
		{"abc", []string{"▁", "abc"}},
		{"ab", []string{"▁a", "b"}},
		{"cab", []string{"▁", "c", "ab"}},
		{"\nA", []string{"▁", "<0x0A>", "<0x41>"}},
		{"Z", []string{"▁", "<unk>"}},
		{"ZZ", []string{"▁", "<unk>"}}, // unknown characters fuse
		{"a<|end|>\n b", []string{"▁a", "<|end|>", "▁", "b"}},
		{"a<|endoftext|> b", []string{"▁a", "<|endoftext|>", "▁", "▁", "b"}},
		{"<tool> a", []string{"<tool>", "▁", "▁a"}},
		{"<s>a</s>", []string{"<s>", "▁a", "</s>"}},
	} {
		got := pieces(sp, sp.Encode(c.text, false))
		if !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if got := sp.Encode("a", true); !slices.Equal(got, []int32{1, 11}) {
		t.Errorf("Encode with BOS = %v", got)
	}
	if !sp.IsEOG(14) || !sp.IsEOG(2) || !sp.IsEOG(13) || sp.IsEOG(1) {
		t.Errorf("EOGs = %v", sp.EOGs())
	}
	if !sp.IsSpecial(0) || !sp.IsSpecial(13) || sp.IsSpecial(15) || sp.IsSpecial(6) {
		t.Error("IsSpecial wrong")
	}
	if s := sp.DecodeSkipSpecial(sp.Encode("a<|end|><tool>\nA", false)); s != "a<tool> \nA" {
		t.Errorf("DecodeSkipSpecial = %q", s)
	}
}

func TestFromVocabErrors(t *testing.T) {
	ok := Vocab{Model: "llama", Tokens: []string{"<unk>", "a"}, BOS: -1, EOS: -1, UNK: -1, PAD: -1}
	for _, c := range []struct {
		name   string
		mutate func(v *Vocab)
		want   string
	}{
		{"model", func(v *Vocab) { v.Model = "gpt2" }, `unsupported model "gpt2"`},
		{"no tokens", func(v *Vocab) { v.Tokens = nil }, "no tokens"},
		{"scores", func(v *Vocab) { v.Scores = []float32{1} }, "1 scores for 2 tokens"},
		{"types", func(v *Vocab) { v.Types = []int32{1, 1, 1} }, "3 token types for 2 tokens"},
		{"bos range", func(v *Vocab) { v.BOS = 2 }, "BOS id 2 out of range"},
		{"eog range", func(v *Vocab) { v.EOG = []int32{-3} }, "EOG id -3 out of range"},
		{"bad type", func(v *Vocab) { v.Types = []int32{2, 9} }, "unknown type 9"},
		{"bad byte", func(v *Vocab) { v.Types = []int32{2, 6} }, "has type byte"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := ok
			c.mutate(&v)
			_, err := FromVocab(v)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := FromVocab(ok); err != nil {
		t.Fatal(err)
	}
}
