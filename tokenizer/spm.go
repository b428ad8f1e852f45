package tokenizer

import "math"

// scoreItem is a candidate merge of symbol left with its right neighbour;
// size is the byte length of the merged text, used to detect stale entries
// exactly as llama.cpp does.
type scoreItem struct {
	key  uint64 // (descending score)<<32 | left: smaller pops first
	size int32
}

// scoreKey orders by score descending, then by position ascending.
func scoreKey(score float32, left int32) uint64 {
	b := math.Float32bits(score)
	if b>>31 != 0 {
		b = ^b
	} else {
		b |= 1 << 31
	}
	// b now increases with score; invert it so that higher scores pop first.
	return uint64(^b)<<32 | uint64(uint32(left))
}

func pushScore(h []scoreItem, v scoreItem) []scoreItem {
	h = append(h, v)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].key <= v.key {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = v
	return h
}

func popScore(h []scoreItem) ([]scoreItem, scoreItem) {
	top := h[0]
	n := len(h) - 1
	v := h[n]
	h = h[:n]
	if n == 0 {
		return h, top
	}
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && h[r].key < h[l].key {
			l = r
		}
		if v.key <= h[l].key {
			break
		}
		h[i] = h[l]
		i = l
	}
	h[i] = v
	return h, top
}

// encodeScore encodes one normalized segment the way llama.cpp's
// SentencePiece tokenizer does: start from characters, repeatedly merge the
// adjacent pair whose concatenation is a piece with the highest score
// (ties: leftmost), then emit pieces, falling back to byte tokens (or unk)
// for characters that are not pieces.
func (t *Tokenizer) encodeScore(out []int32, s string, sc *scratch) []int32 {
	syms := t.initialSymbols(s, sc.syms)
	sc.syms = syms
	if len(syms) == 0 {
		return out
	}
	// Byte-fallback and unk symbols never merge (as in Hugging Face BPE,
	// where no merge rule names them).
	if cap(sc.sheap) < len(syms) {
		sc.sheap = make([]scoreItem, 0, len(syms))
	}
	h := sc.sheap[:0]
	try := func(left, right int32) {
		if left < 0 || right < 0 {
			return
		}
		a, b := &syms[left], &syms[right]
		if a.fallback || b.fallback {
			return
		}
		id, ok := t.mergeable[s[a.start:b.end]]
		if !ok {
			return
		}
		h = pushScore(h, scoreItem{key: scoreKey(t.scores[id], left), size: b.end - a.start})
	}
	for i := 0; i+1 < len(syms); i++ {
		try(int32(i), int32(i+1))
	}
	for len(h) > 0 {
		var it scoreItem
		h, it = popScore(h)
		left := int32(uint32(it.key))
		a := &syms[left]
		if a.end == a.start || a.next < 0 {
			continue
		}
		b := &syms[a.next]
		if b.end-a.start != it.size {
			continue // stale entry
		}
		a.end = b.end
		a.id = t.mergeable[s[a.start:a.end]]
		b.end = b.start
		a.next = b.next
		if a.next >= 0 {
			syms[a.next].prev = left
		}
		try(a.prev, left)
		try(left, a.next)
	}
	sc.sheap = h
	for i := int32(0); i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}
