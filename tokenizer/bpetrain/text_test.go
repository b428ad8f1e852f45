package bpetrain

import (
	"slices"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		seg  string
		want []string
	}{
		{"", nil},
		{"hello", []string{"▁hello"}},
		{"hello world", []string{"▁hello", "▁world"}},
		{" hello", []string{"▁▁hello"}},
		{"a  b", []string{"▁a", "▁▁b"}},
		{"a ", []string{"▁a", "▁"}},
		{"   ", []string{"▁▁▁▁"}},
		{"x\ny z", []string{"▁x\ny", "▁z"}},
		{"a▁b", []string{"▁a", "▁b"}}, // a literal marker is a space
		{"é  日本", []string{"▁é", "▁▁日本"}},
	}
	for _, tt := range tests {
		var got []string
		words(tt.seg, nil, func(w []byte) { got = append(got, string(w)) })
		if !slices.Equal(got, tt.want) {
			t.Errorf("words(%q) = %q, want %q", tt.seg, got, tt.want)
		}
	}
}

func TestSegments(t *testing.T) {
	sp := newSplitter(phi3Specials)
	tests := []struct {
		text string
		want []string // tokens in brackets
	}{
		{"plain text", []string{"plain text"}},
		{"<|user|>\nHi<|end|>\n", []string{"[<|user|>]", "Hi", "[<|end|>]"}},
		{"<|endoftext|>\nnext", []string{"[<|endoftext|>]", "\nnext"}},
		{"a<s>b</s>c<unk>", []string{"a", "[<s>]", "b", "[</s>]", "c", "[<unk>]"}},
		{"<|user|>   \t", []string{"[<|user|>]"}},
		{"<|notatoken|> <|end|>x", []string{"<|notatoken|> ", "[<|end|>]", "x"}},
		{"<|end|><|end|>", []string{"[<|end|>]", "[<|end|>]"}},
	}
	for _, tt := range tests {
		var got []string
		sp.segments(tt.text, func(seg string, tok bool) {
			if tok {
				seg = "[" + seg + "]"
			}
			got = append(got, seg)
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("segments(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	// Longest match among tokens that start at the same place.
	sp = newSplitter([]string{"<a>", "<a>b"})
	var got []string
	sp.segments("x<a>by", func(seg string, tok bool) { got = append(got, seg) })
	if !slices.Equal(got, []string{"x", "<a>b", "y"}) {
		t.Errorf("longest match: %q", got)
	}
}

func TestScripts(t *testing.T) {
	tests := []struct {
		a, b rune
		same bool
	}{
		{'a', 'Z', true},
		{'a', 'é', true},
		{'a', '1', false},
		{'1', '.', true}, // digits are Common
		{'a', '.', false},
		{'日', 'の', true},  // Hiragana counts as Han
		{'日', 'カ', true},  // Katakana too
		{'ー', '日', true},  // U+30FC
		{'а', 'a', false}, // Cyrillic and Latin
	}
	for _, tt := range tests {
		if got := scriptOf(tt.a) == scriptOf(tt.b); got != tt.same {
			t.Errorf("same script %q %q: %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	if scriptOf('\u0301') != scriptAny {
		t.Errorf("a combining mark has a script of its own")
	}
}

func TestCompareConcat(t *testing.T) {
	tests := []struct{ a1, b1, a2, b2 string }{
		{"ab", "c", "a", "bc"},
		{"a", "b", "a", "c"},
		{"", "x", "x", ""},
		{"abc", "", "ab", "d"},
		{"▁", "a", "b", "c"},
		{"zz", "z", "zzz", "z"},
	}
	for _, tt := range tests {
		want := strings.Compare(tt.a1+tt.b1, tt.a2+tt.b2)
		if got := compareConcat(tt.a1, tt.b1, tt.a2, tt.b2); got != want {
			t.Errorf("compareConcat(%q, %q, %q, %q) = %d, want %d", tt.a1, tt.b1, tt.a2, tt.b2, got, want)
		}
	}
}
