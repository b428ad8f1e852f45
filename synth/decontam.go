package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Decontamination by n-gram overlap, as GPT-3 and lm-evaluation-harness do
// it: a training text that shares any n-gram of words (lower-cased, without
// punctuation) with a held-out text is dropped. Held-out texts shorter than
// n words count as one gram of their own length.

// DefaultNGram is the n of decontamination: 13 words, as GPT-3 and
// lm-evaluation-harness use. The story world's texts are made from shared
// sentence patterns, so shorter grams match patterns rather than items:
// with 8-grams more than half of a training split of questions shares a
// gram with a 10% test split, with 13-grams about 6% (mostly items that
// differ from a test item only in a name or a noun).
const DefaultNGram = 13

// Decontaminator holds the n-grams of held-out texts. After the Add calls
// it is safe for concurrent use by Contaminated.
type Decontaminator struct {
	n     int
	grams map[uint64]struct{}
	lens  map[int]bool // gram lengths present: n, and shorter whole texts
}

// NewDecontaminator returns an empty Decontaminator for n-grams (n >= 1;
// smaller n means DefaultNGram).
func NewDecontaminator(n int) *Decontaminator {
	if n < 1 {
		n = DefaultNGram
	}
	return &Decontaminator{n: n, grams: map[uint64]struct{}{}, lens: map[int]bool{}}
}

// N returns the n-gram length.
func (d *Decontaminator) N() int { return d.n }

// Len returns how many distinct grams are held.
func (d *Decontaminator) Len() int { return len(d.grams) }

// Add adds a held-out text's n-grams.
func (d *Decontaminator) Add(text string) {
	hs := tokenHashes(text)
	if len(hs) == 0 {
		return
	}
	n := d.n
	if len(hs) < n {
		n = len(hs)
	}
	d.lens[n] = true
	for i := 0; i+n <= len(hs); i++ {
		d.grams[gramHash(hs[i:i+n])] = struct{}{}
	}
}

// Contaminated reports whether text shares an n-gram with a held-out text.
func (d *Decontaminator) Contaminated(text string) bool {
	if len(d.grams) == 0 {
		return false
	}
	hs := tokenHashes(text)
	for n := range d.lens {
		for i := 0; i+n <= len(hs); i++ {
			if _, ok := d.grams[gramHash(hs[i:i+n])]; ok {
				return true
			}
		}
	}
	return false
}

// Decontaminate returns the indexes of the training texts that share no
// n-gram with any held-out text, and how many were dropped.
func Decontaminate(train, heldout []string, n int) (kept []int, dropped int) {
	d := NewDecontaminator(n)
	for _, t := range heldout {
		d.Add(t)
	}
	for i, t := range train {
		if d.Contaminated(t) {
			dropped++
		} else {
			kept = append(kept, i)
		}
	}
	return kept, dropped
}

// AddJSONL adds the texts of a JSONL file of held-out items: for each
// line, its "text" field, or its "context", "question" and "answer"
// fields (a QAItem), or the contents of its "messages". It returns the
// number of items read.
func (d *Decontaminator) AddJSONL(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var item struct {
			Text     string `json:"text"`
			Context  string `json:"context"`
			Question string `json:"question"`
			Answer   string `json:"answer"`
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(raw), &item); err != nil {
			return n, fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case item.Context != "" || item.Question != "":
			d.Add(item.Context + " " + item.Question + " " + item.Answer)
		case item.Text != "":
			d.Add(item.Text)
		case len(item.Messages) > 0:
			for _, m := range item.Messages {
				d.Add(m.Content)
			}
		default:
			return n, fmt.Errorf("line %d: no text, context/question or messages field", line)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	return n, nil
}

// tokenHashes returns a hash of each word of text (as Tokens splits it).
func tokenHashes(text string) []uint64 {
	var out []uint64
	h, in := uint64(14695981039346656037), false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if isLetter(c) || c >= 0x80 || (c == '\'' && in) || (c >= '0' && c <= '9') {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			h = (h ^ uint64(c)) * 1099511628211
			in = true
			continue
		}
		if in {
			out = append(out, h)
			h, in = 14695981039346656037, false
		}
	}
	if in {
		out = append(out, h)
	}
	return out
}

// gramHash combines word hashes into the hash of the gram.
func gramHash(hs []uint64) uint64 {
	g := uint64(len(hs))
	for _, h := range hs {
		g = mix64(g ^ h)
	}
	return g
}
