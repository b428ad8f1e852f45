package filter

import (
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// ExactDedup drops records whose normalized text (Normalize) was kept
// before: same words in the same order, whatever the case, spacing and
// punctuation.
type ExactDedup struct {
	seen    map[[16]byte]struct{}
	pending [16]byte
}

// NewExactDedup returns an empty exact deduplicator.
func NewExactDedup() *ExactDedup { return &ExactDedup{seen: map[[16]byte]struct{}{}} }

// Name is "dedup".
func (d *ExactDedup) Name() string { return "dedup" }

// Check drops a text seen before.
func (d *ExactDedup) Check(r *Record) string {
	sum := sha256.Sum256([]byte(Normalize(r.Text)))
	copy(d.pending[:], sum[:16])
	if _, ok := d.seen[d.pending]; ok {
		return "duplicate"
	}
	return ""
}

// Commit remembers the record last checked.
func (d *ExactDedup) Commit(*Record) { d.seen[d.pending] = struct{}{} }

// Signature is a MinHash signature: for each of its hash functions, a
// 32-bit digest of the smallest hash over the text's shingles.
type Signature []uint32

// Similarity estimates the Jaccard similarity of the two texts' shingle
// sets: the fraction of positions where the signatures agree.
func (s Signature) Similarity(o Signature) float64 {
	if len(s) == 0 || len(s) != len(o) {
		return 0
	}
	same := 0
	for i := range s {
		if s[i] == o[i] {
			same++
		}
	}
	return float64(same) / float64(len(s))
}

// MinHasher computes MinHash signatures of word shingles. Its hash
// functions come from fixed seeds, so signatures are the same in every
// run and on every machine.
type MinHasher struct {
	Shingle int // words per shingle
	seeds   []uint64
}

// NewMinHasher returns a MinHasher of perms hash functions over shingles
// of shingle words.
func NewMinHasher(perms, shingle int) *MinHasher {
	m := &MinHasher{Shingle: max(shingle, 1), seeds: make([]uint64, max(perms, 1))}
	x := uint64(0x676f706869) // "gophi"
	for i := range m.seeds {
		x += 0x9e3779b97f4a7c15
		m.seeds[i] = mix64(x)
	}
	return m
}

// mix64 is splitmix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Sign returns text's signature over its lowercased words' shingles (a
// text shorter than a shingle is one shingle), or nil if it has no words.
func (m *MinHasher) Sign(text string) Signature {
	words := Words(strings.ToLower(text))
	if len(words) == 0 {
		return nil
	}
	k := min(m.Shingle, len(words))
	mins := make([]uint64, len(m.seeds))
	for i := range mins {
		mins[i] = math.MaxUint64
	}
	h := fnv.New64a()
	for i := 0; i+k <= len(words); i++ {
		h.Reset()
		for j, w := range words[i : i+k] {
			if j > 0 {
				h.Write([]byte{' '})
			}
			h.Write([]byte(w))
		}
		x := h.Sum64()
		for p, seed := range m.seeds {
			if v := mix64(x ^ seed); v < mins[p] {
				mins[p] = v
			}
		}
	}
	sig := make(Signature, len(mins))
	for i, v := range mins {
		sig[i] = uint32(mix64(v))
	}
	return sig
}

// LSHParams picks bands and rows (bands·rows ≤ perms) for an LSH index
// that makes pairs of Jaccard similarity about threshold candidates: the
// pair minimizing the sum of the false-positive area (∫₀ᵗ P(candidate|s)
// ds) and the false-negative area (∫ₜ¹ 1−P(candidate|s) ds), with
// P(candidate|s) = 1−(1−sʳ)ᵇ, as datasketch's MinHashLSH chooses them.
func LSHParams(threshold float64, perms int) (bands, rows int) {
	prob := func(s float64, b, r int) float64 { return 1 - math.Pow(1-math.Pow(s, float64(r)), float64(b)) }
	integrate := func(f func(float64) float64, a, b float64) float64 {
		const n = 200 // Simpson's rule
		h := (b - a) / n
		sum := f(a) + f(b)
		for i := 1; i < n; i++ {
			c := 2.0
			if i%2 == 1 {
				c = 4
			}
			sum += c * f(a+float64(i)*h)
		}
		return sum * h / 3
	}
	best := math.Inf(1)
	for b := 1; b <= perms; b++ {
		for r := 1; b*r <= perms; r++ {
			fp := integrate(func(s float64) float64 { return prob(s, b, r) }, 0, threshold)
			fn := integrate(func(s float64) float64 { return 1 - prob(s, b, r) }, threshold, 1)
			if e := fp + fn; e < best-1e-12 {
				best, bands, rows = e, b, r
			}
		}
	}
	return bands, rows
}

// NearDedup drops records whose text is nearly the same as a kept one:
// MinHash signatures of word shingles, an LSH index of bands×rows to find
// candidates, and a candidate is a duplicate when the signatures' estimated
// Jaccard similarity is at least Threshold. It is deterministic. The index
// holds every kept signature (4·perms bytes each) in memory.
type NearDedup struct {
	Threshold   float64
	Bands, Rows int

	hasher  *MinHasher
	sigs    []Signature
	buckets map[uint64][]int32
	pending Signature
}

// NewNearDedup returns a near-duplicate filter for Jaccard similarity at
// least threshold (in (0, 1]) with perms hash functions over shingles of
// shingle words (128 and 3 when 0: short stories need short shingles; with
// 3-word shingles one word changed in 50 still leaves a Jaccard
// similarity of 0.88, with 5-word ones 0.80).
func NewNearDedup(threshold float64, perms, shingle int) (*NearDedup, error) {
	if !(threshold > 0 && threshold <= 1) {
		return nil, fmt.Errorf("near-dup: threshold %v: want a Jaccard similarity in (0, 1]", threshold)
	}
	if perms <= 0 {
		perms = 128
	}
	if shingle <= 0 {
		shingle = 3
	}
	if perms > 1024 {
		return nil, fmt.Errorf("near-dup: %d hash functions: want at most 1024", perms)
	}
	b, r := LSHParams(threshold, perms)
	return &NearDedup{Threshold: threshold, Bands: b, Rows: r, hasher: NewMinHasher(perms, shingle), buckets: map[uint64][]int32{}}, nil
}

// Name is "near-dup".
func (d *NearDedup) Name() string { return "near-dup" }

func (d *NearDedup) bandKey(sig Signature, band int) uint64 {
	x := uint64(band) * 0x9e3779b97f4a7c15
	for _, v := range sig[band*d.Rows : (band+1)*d.Rows] {
		x = mix64(x ^ uint64(v))
	}
	return x
}

// Check drops a text nearly the same as a kept one.
func (d *NearDedup) Check(r *Record) string {
	d.pending = d.hasher.Sign(r.Text)
	if d.pending == nil {
		return ""
	}
	var tried map[int32]bool
	for band := range d.Bands {
		for _, id := range d.buckets[d.bandKey(d.pending, band)] {
			if tried[id] {
				continue
			}
			if tried == nil {
				tried = map[int32]bool{}
			}
			tried[id] = true
			if d.pending.Similarity(d.sigs[id]) >= d.Threshold {
				return "near-duplicate"
			}
		}
	}
	return ""
}

// Commit indexes the record last checked.
func (d *NearDedup) Commit(*Record) {
	if d.pending == nil || len(d.sigs) >= math.MaxInt32 {
		return
	}
	id := int32(len(d.sigs))
	d.sigs = append(d.sigs, d.pending)
	for band := range d.Bands {
		k := d.bandKey(d.pending, band)
		d.buckets[k] = append(d.buckets[k], id)
	}
	d.pending = nil
}
