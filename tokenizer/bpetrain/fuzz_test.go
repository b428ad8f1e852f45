package bpetrain

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gophi/gophi/tokenizer"
)

// FuzzTrain trains a small vocabulary on fuzzed text (its lines plus a
// fixed base, so that there are pairs to merge) and checks the result:
// the tokenizer.json loads; gophi's tokenizer, the model's reference
// encoder and the GGUF-style vocabulary encode the text alike; ids are in
// range; text without added tokens decodes back to itself.
func FuzzTrain(f *testing.F) {
	for _, s := range trickyTexts {
		f.Add(s, uint16(300), false)
	}
	f.Add("aaaa aaa aa a\nabab abab\n", uint16(280), true)
	f.Add("<|user|>\nhi<|end|>\n\xff\xfe", uint16(290), false)
	base := storyCorpus(40)
	f.Fuzz(func(t *testing.T, text string, vocab uint16, splitDigits bool) {
		lines := append(slices.Clone(base), strings.Split(text, "\n")...)
		opts := Options{VocabSize: int(vocab%400) + MinVocabSize(len(phi3Specials)), Specials: phi3Specials, SplitDigits: splitDigits}
		c := NewCounts(phi3Specials)
		for _, l := range lines {
			c.Add(l)
		}
		m, err := Train(context.Background(), c, opts)
		if errors.Is(err, ErrVocabTooLarge) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		tok, err := m.Tokenizer()
		if err != nil {
			t.Fatalf("the written tokenizer.json does not load: %v", err)
		}
		if tok.Len() != opts.VocabSize {
			t.Fatalf("%d ids, want %d", tok.Len(), opts.VocabSize)
		}
		gguf, err := tokenizer.FromVocab(tok.Vocab())
		if err != nil {
			t.Fatal(err)
		}
		ids := tok.Encode(text, false)
		for _, id := range ids {
			if id < 0 || int(id) >= tok.Len() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if ref := m.encode(text); !slices.Equal(ref, ids) {
			t.Fatalf("reference %v, tokenizer %v", ref, ids)
		}
		if g := gguf.Encode(text, false); !slices.Equal(g, ids) {
			t.Fatalf("GGUF vocabulary %v, tokenizer %v", g, ids)
		}
		lossy := !utf8.ValidString(text) || strings.Contains(text, wsStr)
		for _, s := range append([]string{UnkToken, BOSToken, EOSToken}, phi3Specials...) {
			lossy = lossy || strings.Contains(text, s)
		}
		if !lossy {
			if got := tok.Decode(ids); got != text {
				t.Fatalf("decode(encode(%q)) = %q", text, got)
			}
		}
	})
}
