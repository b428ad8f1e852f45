package bpetrain

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/gophi/gophi/tokenizer"
)

func TestTrainMergeOrder(t *testing.T) {
	tests := []struct {
		name   string
		lines  []string
		vocab  int
		merged []string // pieces in the order learned
		chars  []string // characters, most frequent first
	}{
		{
			name:   "most frequent pair first",
			lines:  []string{"ab ab ab ac"},
			vocab:  BaseSize + 4 + 3,
			merged: []string{"▁a", "▁ab", "▁ac"},
			chars:  []string{"▁", "a", "b", "c"}, // "▁" is always first
		},
		{
			name:   "ties: lexicographic among equal lengths",
			lines:  []string{"ab cd"},
			vocab:  BaseSize + 5 + 4,
			merged: []string{"ab", "cd", "▁ab", "▁cd"},
			chars:  []string{"▁", "a", "b", "c", "d"},
		},
		{
			name:   "ties: shorter piece first",
			lines:  []string{"aab aab b"},
			vocab:  BaseSize + 3 + 4,
			merged: []string{"aa", "aab", "▁aab", "▁b"},
			chars:  []string{"▁", "a", "b"},
		},
		{
			name: "counts across lines and repeated pairs in a word",
			// "▁aaaa" x2: (a,a) occurs 3 times per word but merges twice.
			lines:  []string{"aaaa", "aaaa", "xy xy xy"},
			vocab:  BaseSize + 4 + 4,
			merged: []string{"aa", "xy", "▁xy", "▁aa"}, // "▁aa" (3 characters) before "aaaa" (4)
			chars:  []string{"▁", "a", "x", "y"},
		},
		{
			name: "whitespace runs: whitespace-only pieces, one ▁ before text",
			// Words "▁a", "▁▁▁b" x2, "▁c", "▁▁▁": "▁▁" and "▁▁▁" may form,
			// "▁▁b" may not, so "▁▁▁b" ends as "▁▁▁" + "b".
			lines:  []string{"a   b", "a   b", "c   "},
			vocab:  BaseSize + 4 + 4,
			merged: []string{"▁▁", "▁▁▁", "▁a", "▁c"},
			chars:  []string{"▁", "a", "b", "c"},
		},
		{
			name: "letters and digits never join",
			// (a,1) is Latin+Common; ▁ may prefix both.
			lines:  []string{"a1 a1 a1 11"},
			vocab:  BaseSize + 3 + 3,
			merged: []string{"▁a", "11", "▁11"},
			chars:  []string{"▁", "1", "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := trainLines(t, tt.lines, Options{VocabSize: tt.vocab})
			var merged, chars []string
			for i := range m.NumMerged() {
				merged = append(merged, m.Piece(int32(BaseSize+i)))
			}
			for i := range m.NumChars() {
				chars = append(chars, m.Piece(int32(BaseSize+m.NumMerged()+i)))
			}
			if !slices.Equal(merged, tt.merged) {
				t.Errorf("merged pieces %q, want %q", merged, tt.merged)
			}
			if !slices.Equal(chars, tt.chars) {
				t.Errorf("characters %q, want %q", chars, tt.chars)
			}
			if m.VocabSize() != tt.vocab {
				t.Errorf("vocabulary size %d, want %d", m.VocabSize(), tt.vocab)
			}
		})
	}
}

// TestTrainPieceRules checks every merged piece against SentencePiece's
// rules under several options.
func TestTrainPieceRules(t *testing.T) {
	lines := append(storyCorpus(1500), trickyTexts...)
	tests := []struct {
		name string
		opts Options
	}{
		{"default", Options{VocabSize: 900}},
		{"split digits", Options{VocabSize: 850, SplitDigits: true}},
		{"max length 3", Options{VocabSize: 600, MaxPieceLength: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := trainLines(t, lines, tt.opts)
			maxLen := tt.opts.MaxPieceLength
			if maxLen == 0 {
				maxLen = DefaultMaxPieceLength
			}
			for i := range m.NumMerged() {
				p := m.Piece(int32(BaseSize + i))
				if n := utf8.RuneCountInString(p); n < 2 || n > maxLen {
					t.Errorf("piece %q has %d characters", p, n)
				}
				body := strings.TrimPrefix(p, wsStr)
				if strings.Contains(body, wsStr) && strings.Trim(p, wsStr) != "" {
					t.Errorf("piece %q has ▁ after its first character", p)
				}
				hasLetter := strings.IndexFunc(body, unicode.IsLetter) >= 0
				hasDigit := strings.IndexFunc(body, unicode.IsDigit) >= 0
				if hasLetter && hasDigit {
					t.Errorf("piece %q mixes letters and digits", p)
				}
				if tt.opts.SplitDigits && hasDigit {
					t.Errorf("piece %q contains a digit despite SplitDigits", p)
				}
				if hasLetter && strings.ContainsAny(body, ".,()\"") {
					t.Errorf("piece %q mixes letters and punctuation (scripts Latin and Common)", p)
				}
			}
		})
	}
}

func TestTrainVocabSizeExact(t *testing.T) {
	lines := storyCorpus(800)
	for _, n := range []int{MinVocabSize(len(phi3Specials)), MinVocabSize(len(phi3Specials)) + 20, 300, 500, 700} {
		m := trainLines(t, lines, Options{VocabSize: n, Specials: phi3Specials})
		tok, err := m.Tokenizer()
		if err != nil {
			t.Fatalf("vocab %d: %v", n, err)
		}
		if m.VocabSize() != n || tok.Len() != n {
			t.Errorf("vocab %d: model has %d ids, tokenizer %d", n, m.VocabSize(), tok.Len())
		}
		seen := map[string]bool{}
		for id := range n {
			p := m.Piece(int32(id))
			if p == "" || seen[p] {
				t.Errorf("vocab %d: id %d piece %q empty or repeated", n, id, p)
			}
			seen[p] = true
			if got, ok := tok.ID(p); !ok || got != int32(id) {
				t.Errorf("vocab %d: tokenizer gives %q id %d, %v; want %d", n, p, got, ok, id)
			}
		}
		// Even with no character but "▁", every text round-trips.
		for _, s := range append(lines[:20:20], trickyTexts...) {
			if got := tok.Decode(tok.Encode(s, false)); got != s {
				t.Errorf("vocab %d: round trip of %q gave %q", n, s, got)
			}
		}
	}
}

func TestTrainVocabTooLarge(t *testing.T) {
	c := NewCounts(nil)
	c.Add("ab ab cd")
	_, err := Train(context.Background(), c, Options{VocabSize: 400})
	if !errors.Is(err, ErrVocabTooLarge) {
		t.Fatalf("error %v, want ErrVocabTooLarge", err)
	}
	// "▁a", "▁ab", "▁c", "▁cd" or similar: 5 characters and 4 merged pieces.
	if !strings.Contains(err.Error(), "at most 268 tokens") {
		t.Errorf("error %q does not give the largest possible size (268)", err)
	}
	if _, err := Train(context.Background(), c, Options{VocabSize: 268}); err != nil {
		t.Errorf("the largest possible size: %v", err)
	}
}

func TestTrainOptionErrors(t *testing.T) {
	tests := []struct {
		name     string
		specials []string // for the counts; nil: opts.Specials
		opts     Options
		want     string
	}{
		{"too small", nil, Options{VocabSize: 259}, "below the minimum 260"},
		{"too small for specials", nil, Options{VocabSize: 261, Specials: []string{"<a>", "<b>"}}, "minimum 262"},
		{"empty special", nil, Options{VocabSize: 300, Specials: []string{""}}, "empty special"},
		{"special with space", nil, Options{VocabSize: 300, Specials: []string{"<a b>"}}, "whitespace"},
		{"special with ▁", nil, Options{VocabSize: 300, Specials: []string{"▁x"}}, "whitespace"},
		{"repeated special", nil, Options{VocabSize: 300, Specials: []string{"<a>", "<a>"}}, "twice"},
		{"control token as special", nil, Options{VocabSize: 300, Specials: []string{"<s>"}}, "twice or is one of"},
		{"byte token as special", nil, Options{VocabSize: 300, Specials: []string{"<0x41>"}}, "byte token"},
		{"invalid UTF-8 special", nil, Options{VocabSize: 300, Specials: []string{"<\xff>"}}, "UTF-8"},
		{"coverage above 1", nil, Options{VocabSize: 300, CharacterCoverage: 1.5}, "coverage"},
		{"negative coverage", nil, Options{VocabSize: 300, CharacterCoverage: -0.5}, "coverage"},
		{"bad piece length", nil, Options{VocabSize: 300, MaxPieceLength: -1}, "piece length"},
		{"counts with other specials", []string{"<x>"}, Options{VocabSize: 300}, "other special tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := tt.specials
			if sp == nil {
				sp = tt.opts.Specials
			}
			c := NewCounts(sp)
			c.Add("some text to count")
			_, err := Train(context.Background(), c, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestTrainCanceled(t *testing.T) {
	c := NewCounts(nil)
	for _, l := range storyCorpus(300) {
		c.Add(l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, c, Options{VocabSize: 600}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestSpecialTokens(t *testing.T) {
	m, tok := storyTokenizer(t)
	first := m.VocabSize() - len(phi3Specials)
	for i, s := range phi3Specials {
		id, ok := tok.ID(s)
		if !ok || id != int32(first+i) {
			t.Errorf("special %q: id %d, %v; want %d", s, id, ok, first+i)
		}
		if !tok.IsSpecial(id) {
			t.Errorf("special %q is not special", s)
		}
		// Never split: alone, inside words, next to each other.
		for _, text := range []string{s, "x" + s + "y", s + s, "Once " + s + " upon"} {
			ids := tok.Encode(text, false)
			if n := strings.Count(text, s); countID(ids, id) != n {
				t.Errorf("%q encodes to %v: %q should appear %d times as id %d", text, ids, s, n, id)
			}
		}
	}
	for _, s := range []string{UnkToken, BOSToken, EOSToken} {
		id, _ := tok.ID(s)
		if ids := tok.Encode("a "+s+" b", false); countID(ids, id) != 1 {
			t.Errorf("control token %q not matched in text: %v", s, ids)
		}
	}
	if tok.BOS() != 1 || tok.UNK() != 0 {
		t.Errorf("BOS %d, UNK %d; want 1, 0", tok.BOS(), tok.UNK())
	}
	if eos, _ := tok.ID("<|endoftext|>"); tok.EOS() != eos {
		t.Errorf("EOS %d, want <|endoftext|> (%d)", tok.EOS(), eos)
	}
	// Phi-3's rstrip: <|user|> swallows the newline after it, <|endoftext|> does not.
	if a, b := tok.Encode("<|user|>\nHi", false), tok.Encode("<|user|>Hi", false); !slices.Equal(a, b) {
		t.Errorf("<|user|> does not swallow the whitespace after it: %v vs %v", a, b)
	}
	if a, b := tok.Encode("<|endoftext|>\nHi", false), tok.Encode("<|endoftext|>Hi", false); slices.Equal(a, b) {
		t.Errorf("<|endoftext|> swallows the whitespace after it: %v", a)
	}
	// Without <|end|>, no token swallows whitespace.
	m2 := trainLines(t, storyCorpus(200), Options{VocabSize: 400, Specials: []string{"<|user|>"}})
	tok2, err := m2.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := tok2.Encode("<|user|>\nHi", false), tok2.Encode("<|user|>Hi", false); slices.Equal(a, b) {
		t.Errorf("<|user|> without <|end|> swallows whitespace: %v", a)
	}
}

func countID(ids []int32, id int32) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

func TestRoundTrip(t *testing.T) {
	_, tok := storyTokenizer(t)
	for _, s := range append(storyCorpus(300), trickyTexts...) {
		ids := tok.Encode(s, false)
		for _, id := range ids {
			if id < 0 || int(id) >= tok.Len() {
				t.Fatalf("%q: id %d out of range", s, id)
			}
		}
		if got := tok.Decode(ids); got != s {
			t.Errorf("decode(encode(%q)) = %q", s, got)
		}
	}
	// Characters the corpus never had fall back to bytes.
	ws, _ := tok.ID(wsStr)
	want := []int32{ws, FirstByteID + 0xF0, FirstByteID + 0x9F, FirstByteID + 0xA6, FirstByteID + 0x99}
	if ids := tok.Encode("🦙", false); !slices.Equal(ids, want) {
		t.Errorf("🦙 encodes to %v, want ▁ and the byte tokens of F0 9F A6 99: %v", ids, want)
	}
}

// TestEncodeAgreement holds three encoders to each other on many texts:
// the tokenizer package on the written tokenizer.json (Hugging Face's
// rank BPE), the model's own reference encoder, and the tokenizer package
// on the GGUF-style vocabulary exported from it (llama.cpp's score BPE).
// It also checks Stats.Tokens against encoding the training text.
func TestEncodeAgreement(t *testing.T) {
	lines := storyCorpus(3000)
	m, tok := storyTokenizer(t)
	gguf, err := tokenizer.FromVocab(tok.Vocab())
	if err != nil {
		t.Fatal(err)
	}
	texts := slices.Concat(lines, trickyTexts, lossyTexts, []string{"\xff\xfe invalid \xc3 bytes", "a\xe2\x96 cut ▁"})
	var total int64
	for i, s := range texts {
		want := tok.Encode(s, false)
		if i < len(lines) {
			total += int64(len(want))
		}
		if got := m.encode(s); !slices.Equal(got, want) {
			t.Errorf("%q:\n reference %v\n tokenizer %v", s, got, want)
		}
		if got := gguf.Encode(s, false); !slices.Equal(got, want) {
			t.Errorf("%q:\n GGUF vocab %v\n tokenizer  %v", s, got, want)
		}
	}
	if total != m.Stats.Tokens {
		t.Errorf("Stats.Tokens %d, encoding the lines gives %d", m.Stats.Tokens, total)
	}
}

func TestCharacterCoverage(t *testing.T) {
	lines := slices.Concat(storyCorpus(400), []string{"one rare ζ here"})
	for _, tt := range []struct {
		coverage float64
		kept     bool
	}{{0, false}, {0.9999, false}, {1, true}} {
		m := trainLines(t, lines, Options{VocabSize: 400, CharacterCoverage: tt.coverage})
		tok, err := m.Tokenizer()
		if err != nil {
			t.Fatal(err)
		}
		_, ok := tok.ID("ζ")
		if ok != tt.kept {
			t.Errorf("coverage %v: ζ is a piece: %v, want %v (kept %d of %d characters, coverage %.6f)",
				tt.coverage, ok, tt.kept, m.Stats.KeptCharacters, m.Stats.Characters, m.Stats.Coverage)
		}
		if got := tok.Decode(tok.Encode("ζ", false)); got != "ζ" {
			t.Errorf("coverage %v: ζ round-trips to %q", tt.coverage, got)
		}
		if m.Stats.Coverage < min(tt.coverage, DefaultCharacterCoverage) {
			t.Errorf("coverage %v: reached only %v", tt.coverage, m.Stats.Coverage)
		}
	}
}

func TestModelJSONLayout(t *testing.T) {
	m := trainLines(t, []string{"ab ab ab ac"}, Options{VocabSize: BaseSize + 4 + 3 + 2, Specials: []string{"<|end|>", "<|user|>"}})
	var b strings.Builder
	if err := m.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	js := b.String()
	for _, want := range []string{
		`"type": "BPE"`, `"byte_fallback": true`, `"fuse_unk": true`, `"unk_token": "<unk>"`,
		`{"id": 0, "content": "<unk>"`, `{"id": 2, "content": "</s>"`,
		`{"id": 267, "content": "<|user|>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": true}`,
		`"<0x00>": 3,`, `"<0xFF>": 258,`, `"▁a": 259,`, `"c": 265`,
		`["▁", "a"]`, `["▁a", "b"]`, `{"type": "Prepend", "prepend": "▁"}`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("tokenizer.json lacks %s:\n%s", want, js)
		}
	}
	// Of the splits of "▁ab" only ("▁a", "b") has two pieces: "ab" is none.
	if got := m.Merges(); !slices.Equal(got, [][2]string{{"▁", "a"}, {"▁a", "b"}, {"▁a", "c"}}) {
		t.Errorf("merges %q", got)
	}
	path := t.TempDir() + "/tokenizer.json"
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("ab ac ad", true); !slices.Equal(got, []int32{1, 260, 261, 259, FirstByteID + 'd'}) {
		t.Errorf("encode %v", got)
	}
}

// TestTrainLongWord: a long stretch without spaces is cut into parts for
// training (fast), and Stats.Tokens still counts its real encoding.
func TestTrainLongWord(t *testing.T) {
	var b strings.Builder
	for i := range 100_000 {
		b.WriteByte("abcdefghij"[(i*i+i/7)%10])
	}
	lines := append(storyCorpus(200), b.String())
	m := trainLines(t, lines, Options{VocabSize: 500})
	tok, err := m.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, l := range lines {
		total += int64(len(tok.Encode(l, false)))
	}
	if total != m.Stats.Tokens {
		t.Errorf("Stats.Tokens %d, encoding gives %d", m.Stats.Tokens, total)
	}
	if got := tok.Decode(tok.Encode(b.String(), false)); got != b.String() {
		t.Error("the long word does not round-trip")
	}
}
