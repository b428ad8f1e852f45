package tokenizer

import (
	"math"
	"unicode/utf8"
)

// scratch holds buffers reused across the segments of one Encode call.
type scratch struct {
	syms  []symbol
	heap  []uint64
	sheap []scoreItem
	cache map[string][2]int32 // word -> its ids' span in the output
	buf   []byte
}

// symbol is one node of the doubly linked list of symbols being merged.
// For rank BPE id is the token id (-1 once merged away); for score BPE the
// symbol is the text s[start:end] (end == start once merged away).
type symbol struct {
	id         int32
	start, end int32
	prev, next int32
	fallback   bool // a byte-fallback or unk symbol: never merged by score
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// pushU64 and popU64 implement a binary min-heap of uint64.
func pushU64(h []uint64, v uint64) []uint64 {
	h = append(h, v)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= v {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = v
	return h
}

func popU64(h []uint64) ([]uint64, uint64) {
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
		if r := l + 1; r < n && h[r] < h[l] {
			l = r
		}
		if v <= h[l] {
			break
		}
		h[i] = h[l]
		i = l
	}
	h[i] = v
	return h, top
}

// initialSymbols splits s into one symbol per character, with byte
// fallback and unk handling as Hugging Face's BPE::merge_word does. The
// symbols' start/end give their text for score BPE.
func (t *Tokenizer) initialSymbols(s string, syms []symbol) []symbol {
	if cap(syms) < len(s) {
		syms = make([]symbol, 0, len(s))
	}
	syms = syms[:0]
	add := func(id int32, start, end int, fallback bool) {
		syms = append(syms, symbol{id: id, start: int32(start), end: int32(end), fallback: fallback})
	}
	unkStart, unkEnd := -1, -1 // pending (possibly fused) unk
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		id := t.charToken(r, size)
		if id >= 0 {
			if unkStart >= 0 {
				add(t.unk, unkStart, unkEnd, true)
				unkStart = -1
			}
			add(id, i, i+size, false)
			i += size
			continue
		}
		if t.byteFallback {
			all := true
			for k := i; k < i+size; k++ {
				if t.byteID[s[k]] < 0 {
					all = false
					break
				}
			}
			if all {
				// Like Hugging Face, a pending unk is not flushed here.
				for k := i; k < i+size; k++ {
					add(t.byteID[s[k]], k, k+1, true)
				}
				i += size
				continue
			}
		}
		if t.unk >= 0 {
			switch {
			case unkStart >= 0 && t.fuseUnk:
				unkEnd = i + size
			case unkStart >= 0:
				add(t.unk, unkStart, unkEnd, true)
				unkStart, unkEnd = i, i+size
			default:
				unkStart, unkEnd = i, i+size
			}
		}
		i += size
	}
	if unkStart >= 0 {
		add(t.unk, unkStart, unkEnd, true)
	}
	for k := range syms {
		syms[k].prev = int32(k - 1)
		syms[k].next = int32(k + 1)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// encodeRank encodes one normalized segment by Hugging Face BPE: repeatedly
// apply the merge of lowest rank, leftmost first, using a heap of candidate
// merges and a linked list of symbols (O(n log n)).
func (t *Tokenizer) encodeRank(out []int32, s string, sc *scratch) []int32 {
	syms := t.initialSymbols(s, sc.syms)
	sc.syms = syms
	return t.mergeRanks(out, syms, sc)
}

// mergeRanks merges a linked list of symbols by rank (lowest rank first,
// leftmost among equal ranks) and appends the resulting ids to out.
func (t *Tokenizer) mergeRanks(out []int32, syms []symbol, sc *scratch) []int32 {
	if len(syms) == 0 {
		return out
	}
	if cap(sc.heap) < len(syms) {
		sc.heap = make([]uint64, 0, len(syms))
	}
	h := sc.heap[:0]
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := t.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h = pushU64(h, m&^math.MaxUint32|uint64(i))
		}
	}
	for len(h) > 0 {
		var top uint64
		h, top = popU64(h)
		rank := top >> 32
		pos := int32(uint32(top))
		a := &syms[pos]
		if a.id < 0 || a.next < 0 {
			continue
		}
		b := &syms[a.next]
		m, ok := t.merges[pairKey(a.id, b.id)]
		if !ok || m>>32 != rank {
			continue // stale entry
		}
		a.id = int32(uint32(m))
		b.id = -1
		a.next = b.next
		if a.next >= 0 {
			syms[a.next].prev = pos
		}
		if a.prev >= 0 {
			if m2, ok := t.merges[pairKey(syms[a.prev].id, a.id)]; ok {
				h = pushU64(h, m2&^math.MaxUint32|uint64(uint32(a.prev)))
			}
		}
		if a.next >= 0 {
			if m2, ok := t.merges[pairKey(a.id, syms[a.next].id)]; ok {
				h = pushU64(h, m2&^math.MaxUint32|uint64(uint32(pos)))
			}
		}
	}
	sc.heap = h
	for i := int32(0); i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}
