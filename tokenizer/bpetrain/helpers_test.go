package bpetrain

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/gophi/gophi/tokenizer"
)

// phi3Specials are Phi-3's chat tokens, the usual --special list.
var phi3Specials = []string{"<|user|>", "<|assistant|>", "<|end|>", "<|system|>", "<|endoftext|>"}

// trickyTexts are texts whose encoding is easy to get wrong: spaces, empty
// strings, newlines and tabs, digits, scripts, emoji (characters that no
// corpus here contains, so they fall back to bytes), ZWJ sequences,
// control characters, special tokens.
var trickyTexts = []string{
	"Hello world",
	" Hello world",
	"Hello  world   with   spaces",
	"   leading and trailing   ",
	"",
	" ",
	"   ",
	"\n",
	"a",
	"line one\nline two\n\nline four\t tab",
	"Numbers: 12345 and 3.14159 and 1,000,000",
	"perché è così difficile? Sì, lo è. Però funziona!",
	"你好，世界。小型语言模型。",
	"こんにちは、世界",
	"Emoji: 🦙🚀👍🏽 and symbols ©®™ ∑∫√",
	"🧑\u200d🔬 family ZWJ sequence",
	"func main() {\n\tfmt.Println(\"hi\")\n}\n",
	"mixed Ελληνικά кириллица עברית العربية",
	"\x00\x01 control \x1f chars",
	"non\u00a0breaking\u2003em space and zero\u200bwidth",
	"windows\r\nline endings\r\n",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"Supercalifragilisticexpialidocious antidisestablishmentarianism",
	"https://example.com/path?q=1&r=two#frag",
}

// lossyTexts do not decode back to themselves, as with Phi-3: special or
// control tokens (every segment after a token gets a "▁" prefix, and
// Phi-3-style tokens swallow the whitespace after them), and a literal "▁"
// (the normalizer's space marker, decoded as a space).
var lossyTexts = []string{
	"a literal ▁ marker and ▁▁ two",
	"<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n",
	"<|system|>\nYou are helpful.<|end|>\n<|user|>\nTell me a story.<|end|>\n<|assistant|>\nOnce",
	"text <|notatoken|> and <|end|>after",
	"<|endoftext|>",
	"<|user|><|end|><|assistant|>",
	"<s>raw bos text</s> and <unk>",
	"<|assistant|> leading special then text<|end|>",
}

var storyWords = strings.Fields(`the a and to of was he she it in they said little big day
time once upon there lived girl boy named lily tom ben sue cat dog bird tree house park ball
played happy sad saw went found wanted liked very with on her his their friend mom dad sun
rain water red blue green run jump fun look looked asked help helped together smiled home
because but then when after every one two three small tall old new good bad nice kind`)

// storyCorpus returns n deterministic story-like lines: words drawn with a
// skewed distribution, punctuation, numbers, some accented words and a few
// lines of code.
func storyCorpus(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	lines := make([]string, 0, n)
	for i := range n {
		switch i % 50 {
		case 7:
			lines = append(lines, fmt.Sprintf("func f%d(x int) int {\n\treturn x * %d\n}", i, r.IntN(100)))
			continue
		case 13:
			lines = append(lines, fmt.Sprintf("Le café était très bon, dit Zoé le %d mai.", 1+r.IntN(31)))
			continue
		}
		var b strings.Builder
		words := 5 + r.IntN(15)
		for w := range words {
			k := int(float64(len(storyWords)) * r.Float64() * r.Float64())
			word := storyWords[k]
			if w == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(word)
			if w == words/2 && r.IntN(3) == 0 {
				b.WriteString(",")
			}
			if r.IntN(40) == 0 {
				fmt.Fprintf(&b, " %d", r.IntN(2000))
			}
		}
		b.WriteString(".")
		lines = append(lines, b.String())
	}
	return lines
}

// trainLines counts lines and trains a model on them.
func trainLines(tb testing.TB, lines []string, opts Options) *Model {
	tb.Helper()
	c := NewCounts(opts.Specials)
	for _, l := range lines {
		c.Add(l)
	}
	m, err := Train(context.Background(), c, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

var (
	storyOnce  sync.Once
	storyModel *Model
	storyTok   *tokenizer.Tokenizer
)

// storyTokenizer returns a 1000-token model with Phi-3's specials trained
// on storyCorpus(3000), and its tokenizer, made once per test binary.
func storyTokenizer(tb testing.TB) (*Model, *tokenizer.Tokenizer) {
	tb.Helper()
	storyOnce.Do(func() {
		storyModel = trainLines(tb, storyCorpus(3000), Options{VocabSize: 1000, Specials: phi3Specials})
		var err error
		if storyTok, err = storyModel.Tokenizer(); err != nil {
			tb.Fatal(err)
		}
	})
	if storyTok == nil {
		tb.Fatal("story tokenizer failed to build")
	}
	return storyModel, storyTok
}
