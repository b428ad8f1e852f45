// Package sample picks the next token from a model's logits, with the
// sampling options Ollama users know (temperature, top_k, top_p, min_p,
// repeat/presence/frequency penalties and a seed).
//
// A Sampler applies, in this order, the chain of Ollama's Go sampler with
// llama.cpp's penalties in front:
//
//  1. penalties (repeat, then frequency and presence) on the raw logits of
//     the tokens in the last RepeatLastN ids of the history;
//  2. if Temperature is 0, return the argmax (ties: lowest id);
//  3. top-k;
//  4. softmax with temperature;
//  5. top-p (nucleus; keeps at least one token);
//  6. min-p;
//  7. renormalise and draw with a seeded PCG.
//
// Masked ids, NaN logits (treated as -Inf) and -Inf logits never take part;
// +Inf is treated as the largest finite float32. Sample never returns a
// masked or out-of-range id.
//
// Sample does not allocate in the steady state: all buffers are sized for the
// vocabulary by New. Top-k uses a bounded heap (no full sort); top-p without
// top-k sorts only the tokens that can belong to the nucleus, found with a
// histogram of the log-probabilities.
//
// The arithmetic gives the same bits on every platform, so a seed reproduces
// a sequence anywhere: the softmax uses the package's own exponential rather
// than math.Exp (whose last bit depends on the CPU), and every product is
// rounded explicitly so that the compiler cannot fuse it into an FMA.
package sample

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// negInf is float32 -Inf.
var negInf = float32(math.Inf(-1))

const (
	// numBuckets is the size of the top-p histogram. Bucket b holds the
	// tokens whose scaled logit x = (l-max)/T lies in (-(b+1)/2, -b/2]; the
	// last bucket also holds everything below, i.e. probability ratios to
	// the max below e**-31.5.
	numBuckets = 64

	// pcgStream is the fixed second half of the PCG seed.
	pcgStream = 0x6a09e667f3bcc909
)

// cand is a candidate token.
type cand struct {
	w  float64 // unnormalised probability, exp((l-max)/T); 1 for the max
	l  float32 // logit after penalties
	id int32
}

// before reports whether a sorts before b: higher logit first, then lower id.
// It is a strict total order, so every selection and sort gives one result.
func before(a, b cand) bool {
	return a.l > b.l || (a.l == b.l && a.id < b.id)
}

// cmpCand is before as a three-way comparison for slices.SortFunc.
func cmpCand(a, b cand) int {
	switch {
	case before(a, b):
		return -1
	case before(b, a):
		return 1
	}
	return 0
}

// Sampler draws token ids from logits. Create one with New; it keeps
// buffers sized for the vocabulary and its random state between calls, so
// use one Sampler per generation stream. A Sampler is not safe for concurrent
// use.
type Sampler struct {
	vocab int
	seed  int64
	pcg   rand.PCG

	temperature float32
	invT        float64
	topK        int
	topP        float64 // >= 1: disabled
	minP        float64 // <= 0: disabled
	minPX       float64 // scaled logits below minPX certainly fail min-p
	minPBucket  int     // last histogram bucket that can hold a token passing min-p

	penalise  bool
	repeat    float32
	lastN     int
	presence  float32
	frequency float32

	mask    []bool  // mask[id]: id is forbidden
	maskIDs []int32 // the forbidden ids, for resetting work quickly

	work    []float32 // masked and penalised logits, see prepare
	cands   []cand    // candidate buffer, capacity vocab
	weights []float64 // weights by id, when top-k is off
	counts  []int32   // per-id occurrences in the penalty window; all 0 between calls
	touched []int32   // ids with counts > 0, capacity vocab
	buckets [numBuckets]float64
}

// New returns a Sampler for a vocabulary of vocabSize ids (the length of the
// logits passed to Sample). It returns an error if o is invalid (see
// Options.Validate) or vocabSize is not in [1, math.MaxInt32].
func New(o Options, vocabSize int) (*Sampler, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if vocabSize <= 0 || vocabSize > math.MaxInt32 {
		return nil, fmt.Errorf("sample: vocabSize must be in [1, %d], got %d", math.MaxInt32, vocabSize)
	}
	s := &Sampler{
		vocab:       vocabSize,
		temperature: o.Temperature,
		topK:        o.TopK,
		topP:        float64(o.TopP),
		minP:        float64(o.MinP),
		minPX:       math.Inf(-1),
		minPBucket:  numBuckets - 1,
		repeat:      o.RepeatPenalty,
		lastN:       o.RepeatLastN,
		presence:    o.PresencePenalty,
		frequency:   o.FrequencyPenalty,
		mask:        make([]bool, vocabSize),
		work:        make([]float32, vocabSize),
	}
	if o.TopK <= 0 || o.TopK >= vocabSize {
		s.topK = 0
	}
	if o.Temperature > 0 {
		s.invT = 1 / float64(o.Temperature)
		s.cands = make([]cand, 0, vocabSize)
		if s.topK == 0 {
			s.weights = make([]float64, vocabSize)
		}
	}
	if s.minP > 0 {
		// Tokens with (l-max)/T < ln(minP) fail min-p. These bounds only
		// skip work for tokens that certainly fail, so the platform-dependent
		// math.Log and a margin are fine: the exact test is done with expNeg.
		s.minPX = math.Log(s.minP) - 1e-3
		if v := (-math.Log(s.minP) + 1e-3) * 2; v < numBuckets-1 {
			s.minPBucket = int(v)
		}
	}
	s.penalise = o.RepeatLastN != 0 &&
		(o.RepeatPenalty != 1 || o.PresencePenalty != 0 || o.FrequencyPenalty != 0)
	if s.penalise {
		s.counts = make([]int32, vocabSize)
		s.touched = make([]int32, 0, vocabSize)
	}
	s.seed = o.Seed
	if s.seed == RandomSeed {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails since Go 1.24
		s.seed = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	}
	s.pcg.Seed(uint64(s.seed), pcgStream)
	return s, nil
}

// Seed returns the seed of the Sampler's generator: Options.Seed, or the
// seed drawn from crypto/rand when Options.Seed was -1. A new Sampler with
// this Seed reproduces the same tokens.
func (s *Sampler) Seed() int64 { return s.seed }

// SetMask forbids the given ids: Sample never returns one of them, whatever
// their logits (for example Phi-3's padded logit rows 32011..32063, which map
// to no token). Each call replaces the previous mask; SetMask(nil) clears it.
// Ids outside [0, vocabSize) are ignored, since Sample can never return them.
// forbidden is copied.
//
// SetMask panics if forbidden covers the whole vocabulary, as no id could
// then be returned; the Sampler is left with no mask.
func (s *Sampler) SetMask(forbidden []int32) {
	for _, id := range s.maskIDs {
		s.mask[id] = false
	}
	s.maskIDs = s.maskIDs[:0]
	for _, id := range forbidden {
		if id < 0 || int(id) >= s.vocab || s.mask[id] {
			continue
		}
		s.mask[id] = true
		s.maskIDs = append(s.maskIDs, id)
	}
	if len(s.maskIDs) == s.vocab {
		s.SetMask(nil)
		panic("sample: SetMask would forbid every id of the vocabulary")
	}
}

// Sample returns the next token id, chosen from logits (one per vocabulary
// id; Sample panics if len(logits) is not the vocabSize given to New) and
// history, the ids so far (prompt and generated), which only the penalties
// use; ids in history outside the vocabulary are ignored.
//
// Sample reads logits and history but never modifies them: it works on its
// own copy, and allocates nothing. Each call with a non-zero temperature
// consumes exactly one value from the generator; greedy calls consume none.
//
// The result is always an unmasked id in [0, vocabSize). If no token has a
// usable logit (all NaN or -Inf after the penalties), Sample returns the
// argmax of the raw logits over the unmasked ids, ignoring NaN, or else the
// lowest unmasked id.
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	if len(logits) != s.vocab {
		panic(fmt.Sprintf("sample: got %d logits, want vocabSize %d", len(logits), s.vocab))
	}
	s.prepare(logits, history)
	if s.temperature == 0 {
		if id := argmax(s.work); id >= 0 {
			return id
		}
		return s.fallback(logits)
	}
	u := s.uniform()
	c, total, dense := s.filter()
	switch {
	case dense:
		return drawDense(s.weights, total, u)
	case len(c) == 0:
		return s.fallback(logits)
	}
	return draw(c, total, u)
}

// uniform returns a uniform value in [0, 1) from the generator. It uses the
// PCG's output directly (53 high bits), so the stream depends only on PCG's
// documented algorithm.
func (s *Sampler) uniform() float64 {
	return float64(s.pcg.Uint64()>>11) * 0x1p-53
}

// prepare fills s.work with the masked and penalised logits. A value of
// s.work is usable if it is > -Inf, which excludes masked ids, -Inf and NaN;
// +Inf is clamped to math.MaxFloat32 when candidates are collected.
func (s *Sampler) prepare(logits []float32, history []int32) {
	copy(s.work, logits)
	for _, id := range s.maskIDs {
		s.work[id] = negInf
	}
	if s.penalise {
		s.applyPenalties(history)
	}
}

// applyPenalties applies the repeat, frequency and presence penalties to
// s.work for the ids in the penalty window of history.
func (s *Sampler) applyPenalties(history []int32) {
	win := history
	if s.lastN > 0 && len(win) > s.lastN {
		win = win[len(win)-s.lastN:]
	}
	for _, id := range win {
		if id < 0 || int(id) >= s.vocab {
			continue
		}
		if s.counts[id] == 0 {
			s.touched = append(s.touched, id)
		}
		s.counts[id]++
	}
	for _, id := range s.touched {
		n := s.counts[id]
		s.counts[id] = 0
		v := s.work[id]
		if !(v > negInf) { // masked, -Inf or NaN: stays unusable
			continue
		}
		if v > 0 {
			v /= s.repeat
		} else {
			v *= s.repeat
		}
		// The conversion rounds the product, so it is never fused into an
		// FMA and the result is the same on every platform.
		v -= float32(float32(n) * s.frequency)
		v -= s.presence
		s.work[id] = v
	}
	s.touched = s.touched[:0]
}

// argmax returns the index of the largest usable value of w (see prepare),
// the lowest on ties, or -1 if there is none.
func argmax(w []float32) int32 {
	best, bestV := -1, negInf
	for i, v := range w {
		// Written so that the compiler emits a predictable branch rather
		// than a conditional move, which chains every iteration.
		if v <= bestV || v != v {
			continue
		}
		best, bestV = i, v
	}
	return int32(best)
}

// fallback picks a token when no logit is usable: the argmax of the raw
// logits over the unmasked ids, ignoring NaN, or else the lowest unmasked id.
func (s *Sampler) fallback(raw []float32) int32 {
	best := -1
	var bestV float32
	for i, v := range raw {
		if s.mask[i] || v != v {
			continue
		}
		if best < 0 || v > bestV {
			best, bestV = i, v
		}
	}
	if best >= 0 {
		return int32(best)
	}
	// SetMask guarantees an unmasked id exists.
	return int32(slices.Index(s.mask, false))
}

// filter runs top-k, the tempered softmax, top-p and min-p on s.work.
//
// If dense is false, it returns the surviving candidates with their
// unnormalised weights and the sum of those weights; c is empty only if no
// logit is usable. If dense is true (neither top-k nor top-p is on, so no
// ordering is needed), the result is s.weights instead: the weight of every
// id, 0 for the ids that are unusable or fail min-p, and their sum.
func (s *Sampler) filter() (c []cand, total float64, dense bool) {
	if s.topK > 0 {
		return s.filterTopK()
	}
	maxL, ok := maxUsable(s.work)
	if !ok {
		return nil, 0, false
	}
	m := float64(maxL)
	w := s.weights

	if s.topP >= 1 {
		// Only min-p, if anything, filters: skip the exponential for
		// tokens that certainly fail it.
		for i, v := range s.work {
			if v <= negInf || v != v {
				w[i] = 0
				continue
			}
			if v > math.MaxFloat32 {
				v = math.MaxFloat32
			}
			x := (float64(v) - m) * s.invT
			if x < s.minPX {
				w[i] = 0
				continue
			}
			wi := expNeg(x)
			if wi < s.minP {
				wi = 0
			}
			w[i] = wi
			total += wi
		}
		return nil, total, true
	}

	// Top-p: the nucleus is a prefix of the tokens sorted by logit. Weigh
	// every token and histogram the weights by scaled logit, so that only
	// the buckets needed to reach the target (with a margin far above
	// rounding error), and only those up to minPBucket, which can hold
	// tokens passing min-p, have to be sorted. They are a prefix of the
	// full sorted order, so the cut below is the same as with a full sort.
	clear(s.buckets[:])
	var z float64
	for i, v := range s.work {
		if v <= negInf || v != v {
			w[i] = 0
			continue
		}
		if v > math.MaxFloat32 {
			v = math.MaxFloat32
		}
		x := (float64(v) - m) * s.invT
		wi := expNeg(x)
		w[i] = wi
		z += wi
		s.buckets[bucket(x)] += wi
	}
	target := s.topP * z
	need := target + float64(z*1e-9)
	cut, cum := numBuckets-1, 0.0
	for b, bw := range s.buckets {
		if cum += bw; cum >= need {
			cut = b
			break
		}
	}
	cut = min(cut, s.minPBucket)
	all := cut == numBuckets-1
	xcut := -float64(cut+1) / 2 // bucket(x) <= cut exactly when x > xcut
	c = s.cands[:0]
	for i, v := range s.work {
		if v <= negInf || v != v {
			continue
		}
		if v > math.MaxFloat32 {
			v = math.MaxFloat32
		}
		if all || (float64(v)-m)*s.invT > xcut {
			c = append(c, cand{w: w[i], l: v, id: int32(i)})
		}
	}
	slices.SortFunc(c, cmpCand)
	c, total = s.nucleusMinP(c, target)
	return c, total, false
}

// filterTopK is filter when top-k is on.
func (s *Sampler) filterTopK() (c []cand, total float64, dense bool) {
	c = s.selectTopK(s.topK)
	if len(c) == 0 {
		return c, 0, false
	}
	m := float64(c[0].l)
	var z float64
	for i := range c {
		c[i].w = expNeg((float64(c[i].l) - m) * s.invT)
		z += c[i].w
	}
	if s.topP >= 1 && s.minP <= 0 {
		return c, z, false
	}
	target := z // keeps everything when top-p is off
	if s.topP < 1 {
		target = s.topP * z
	}
	c, total = s.nucleusMinP(c, target)
	return c, total, false
}

// nucleusMinP cuts the sorted candidates c after the first one where the
// cumulative weight reaches target, then drops those below min-p. It
// returns the result and the sum of its weights.
func (s *Sampler) nucleusMinP(c []cand, target float64) ([]cand, float64) {
	var total float64
	for i := range c {
		if total += c[i].w; total >= target {
			c = c[:i+1]
			break
		}
	}
	if s.minP > 0 {
		// The max has weight exactly 1 and minP <= 1, so it always stays.
		n := 0
		total = 0
		for _, e := range c {
			if e.w >= s.minP {
				c[n] = e
				n++
				total += e.w
			}
		}
		c = c[:n]
	}
	return c, total
}

// bucket returns the top-p histogram bucket of a scaled logit x <= 0.
func bucket(x float64) int {
	if nx := -x; nx < (numBuckets-1)/2.0 {
		return int(nx * 2)
	}
	return numBuckets - 1
}

// maxUsable returns the largest usable value of w (see prepare), clamped to
// math.MaxFloat32, and whether there is one.
func maxUsable(w []float32) (float32, bool) {
	m := negInf
	for _, v := range w {
		if v <= m || v != v {
			continue
		}
		m = v
	}
	return min(m, math.MaxFloat32), m > negInf
}

// selectTopK returns the k best usable tokens of s.work (fewer if fewer are
// usable), sorted best first, using a bounded heap whose root is the worst
// token kept so far: O(n log k) time, no full sort.
func (s *Sampler) selectTopK(k int) []cand {
	work := s.work
	h := s.cands[:0]
	i := 0
	for ; i < len(work) && len(h) < k; i++ {
		if v := work[i]; v > negInf {
			if v > math.MaxFloat32 {
				v = math.MaxFloat32
			}
			h = append(h, cand{l: v, id: int32(i)})
			siftUp(h, len(h)-1)
		}
	}
	if len(h) == k {
		// Ids are visited in increasing order, so an equal logit loses the
		// tie; NaN and -Inf never beat the worst kept token.
		worst := h[0].l
		for ; i < len(work); i++ {
			v := work[i]
			if !(v > worst) {
				continue
			}
			if v > math.MaxFloat32 { // +Inf counts as MaxFloat32
				if v = math.MaxFloat32; v == worst {
					continue
				}
			}
			h[0] = cand{l: v, id: int32(i)}
			siftDown(h, 0, k)
			worst = h[0].l
		}
	}
	// Heap sort: moving the worst to the end each time leaves h best first.
	for n := len(h) - 1; n > 0; n-- {
		h[0], h[n] = h[n], h[0]
		siftDown(h, 0, n)
	}
	return h
}

// siftUp restores the heap property (parent sorts after its children)
// for h[i].
func siftUp(h []cand, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !before(h[p], h[i]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

// siftDown restores the heap property for h[i] within h[:n].
func siftDown(h []cand, i, n int) {
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && before(h[c], h[r]) {
			c = r // the worse child
		}
		if !before(h[i], h[c]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// drawDense is draw for weights indexed by id.
func drawDense(w []float64, total, u float64) int32 {
	t := u * total
	var cum float64
	last := -1
	for i, wi := range w {
		if wi <= 0 {
			continue
		}
		cum += wi
		last = i
		if cum > t {
			return int32(i)
		}
	}
	return int32(last) // only reached through rounding
}

// draw picks a candidate with probability proportional to its weight, using
// total, the sum of the weights, and u uniform in [0, 1). Zero weights are
// never picked.
func draw(c []cand, total, u float64) int32 {
	t := u * total
	var cum float64
	last := c[0].id
	for _, e := range c {
		if e.w <= 0 {
			continue
		}
		cum += e.w
		last = e.id
		if cum > t {
			return e.id
		}
	}
	return last // only reached through rounding
}
