package bpetrain

import "slices"

// Counts holds the word frequencies of a corpus, the input of Train. Build
// it with NewCounts and Add (one Counts per goroutine, combined with Merge).
type Counts struct {
	specials []string
	split    *splitter
	index    map[string]int32 // word -> position in words/freq
	words    []string
	freq     []int64
	docs     int64
	bytes    int64
	buf      []byte
}

// NewCounts returns empty counts for a tokenizer with the given special
// tokens (they, and <unk>, <s> and </s>, are cut out of the text as the
// trained tokenizer will cut them out).
func NewCounts(specials []string) *Counts {
	return &Counts{
		specials: slices.Clone(specials),
		split:    newSplitter(specials),
		index:    make(map[string]int32),
	}
}

// Add counts the words of one document.
func (c *Counts) Add(text string) {
	c.docs++
	c.bytes += int64(len(text))
	c.split.segments(text, func(seg string, token bool) {
		if token {
			return
		}
		c.buf = words(seg, c.buf, func(w []byte) { c.addWord(w, 1) })
	})
}

// addWord adds n occurrences of a normalized word.
func (c *Counts) addWord(w []byte, n int64) {
	if i, ok := c.index[string(w)]; ok {
		c.freq[i] += n
		return
	}
	s := string(w)
	c.index[s] = int32(len(c.words))
	c.words = append(c.words, s)
	c.freq = append(c.freq, n)
}

// Merge adds the counts of o (made with the same specials) to c.
func (c *Counts) Merge(o *Counts) {
	c.docs += o.docs
	c.bytes += o.bytes
	for i, w := range o.words {
		if j, ok := c.index[w]; ok {
			c.freq[j] += o.freq[i]
			continue
		}
		c.index[w] = int32(len(c.words))
		c.words = append(c.words, w)
		c.freq = append(c.freq, o.freq[i])
	}
}

// Documents returns the number of documents added.
func (c *Counts) Documents() int64 { return c.docs }

// Bytes returns the number of text bytes added.
func (c *Counts) Bytes() int64 { return c.bytes }

// Words returns the number of distinct words.
func (c *Counts) Words() int { return len(c.words) }
