package model

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/gophi/gophi/tensor"
)

// Model is a loaded Phi-3-family model: its configuration, its weights
// (used in place from the file) and the worker pool its kernels run on.
// One Model serves any number of Sequences; Forward calls are serialised.
type Model struct {
	Config *Config

	w        *weights
	pool     *tensor.Pool
	invShort []float64 // rotary inverse frequencies, short (or only) factor set
	invLong  []float64 // LongRoPE's long factor set; nil without LongRoPE
	ropeMag  float64   // LongRoPE attention factor on cos and sin (1 otherwise)

	// KVType is the element type of new sequences' KV caches: F32 (the
	// default, exact), F16 (half the memory, as llama.cpp's default) or
	// Q8_0 (8.5 bits per value; queries are quantized to 8 bits for the
	// scores, as llama.cpp does with a q8_0 cache).
	KVType tensor.DType

	mu     sync.Mutex // serialises Forward; guards buf, steps and attn
	buf    scratch
	steps  []*Step // this call's steps (a copy, so the caller's slice never escapes)
	attn   attnTask
	attnQ  []tensor.Q8Vec // per worker: the query quantized for a Q8_0 cache
	attnKV []attnKV       // per worker: keys and values kept across query blocks
	// closers release the mapped files when the model is closed.
	closers []func() error
}

// New binds weights from src to a model of configuration c, running its
// kernels on pool (nil: a new pool with one thread per core).
func New(c *Config, src Source, pool *tensor.Pool) (*Model, error) {
	return newModel(c, src, pool, nil)
}

// newModel is New handing each matrix to onMatrix as it is bound (see
// bindWeights).
func newModel(c *Config, src Source, pool *tensor.Pool, onMatrix func(string, *tensor.Matrix, func() error)) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("model: config: %w", err)
	}
	w, err := bindWeights(c, src, onMatrix)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if pool == nil {
		pool = tensor.NewPool(0)
	}
	m := &Model{Config: c, w: w, pool: pool}
	m.invShort, m.ropeMag = c.RopeFrequencies(false)
	if c.Rope != nil {
		m.invLong, _ = c.RopeFrequencies(true)
	}
	return m, nil
}

// Close releases the model's files and worker pool.
func (m *Model) Close() error {
	var errs []error
	for _, c := range m.closers {
		errs = append(errs, c())
	}
	m.closers = nil
	m.pool.Close()
	return errors.Join(errs...)
}

// Pool returns the worker pool the model's kernels run on.
func (m *Model) Pool() *tensor.Pool { return m.pool }

// ErrContextFull is returned (wrapped) by Forward when a sequence would
// grow past the context length it was created with.
var ErrContextFull = errors.New("context window is full")

// Sequence is one conversation's state: its tokens and their KV cache.
// Sequences at different positions can be advanced together in one
// Forward call.
type Sequence struct {
	m      *Model
	ctx    int
	k, v   [][]float32 // per layer, ctx × KVDim (float32 cache)
	kh, vh [][]uint16  // per layer, ctx × KVDim (half-precision cache)
	kq, vq [][]byte    // per layer, ctx × KVDim/32 Q8_0 blocks (Q8_0 cache)
	tokens []int32     // every token of the sequence so far
	cached int         // tokens[:cached] are in the KV cache
	long   bool        // the cache holds keys rotated with LongRoPE's long factors
}

// NewSequence allocates a sequence whose KV cache holds up to ctx tokens
// (ctx ≤ 0 means the model's maximum context length).
func (m *Model) NewSequence(ctx int) (*Sequence, error) {
	c := m.Config
	if ctx <= 0 {
		ctx = c.MaxPositions
	}
	if ctx > c.MaxPositions {
		return nil, fmt.Errorf("model: context length %d exceeds the model's maximum of %d tokens", ctx, c.MaxPositions)
	}
	s := &Sequence{m: m, ctx: ctx}
	if m.KVType == tensor.Q8_0 {
		rb := c.KVDim() / 32 * 34
		s.kq, s.vq = make([][]byte, c.Layers), make([][]byte, c.Layers)
		for l := range s.kq {
			s.kq[l] = make([]byte, ctx*rb)
			s.vq[l] = make([]byte, ctx*rb)
		}
		return s, nil
	}
	if m.KVType == tensor.F16 {
		s.kh, s.vh = make([][]uint16, c.Layers), make([][]uint16, c.Layers)
		for l := range s.kh {
			s.kh[l] = make([]uint16, ctx*c.KVDim())
			s.vh[l] = make([]uint16, ctx*c.KVDim())
		}
		return s, nil
	}
	s.k, s.v = make([][]float32, c.Layers), make([][]float32, c.Layers)
	for l := range s.k {
		s.k[l] = make([]float32, ctx*c.KVDim())
		s.v[l] = make([]float32, ctx*c.KVDim())
	}
	return s, nil
}

// Len returns the number of tokens in the sequence.
func (s *Sequence) Len() int { return len(s.tokens) }

// Context returns the sequence's capacity in tokens.
func (s *Sequence) Context() int { return s.ctx }

// Tokens returns the sequence's tokens (owned by the sequence; do not modify).
func (s *Sequence) Tokens() []int32 { return s.tokens }

// Truncate drops every token after the first n, so a conversation can be
// rewound and continued; the KV cache of the kept tokens is reused.
func (s *Sequence) Truncate(n int) {
	if n < len(s.tokens) {
		s.tokens = s.tokens[:max(n, 0)]
		s.cached = min(s.cached, len(s.tokens))
	}
}

// Step asks Forward to append Tokens to Seq. Forward fills Logits with one
// row of Config.VocabSize logits per new token when AllLogits is set, else
// with the row of the last token only.
type Step struct {
	Seq       *Sequence
	Tokens    []int32
	AllLogits bool
	Logits    []float32
}

// Eval appends tokens to s and returns the logits of the last token, or of
// every new token when all is set. The returned slice is freshly allocated.
func (m *Model) Eval(s *Sequence, tokens []int32, all bool) ([]float32, error) {
	st := &Step{Seq: s, Tokens: tokens, AllLogits: all}
	if err := m.Forward(st); err != nil {
		return nil, err
	}
	return st.Logits, nil
}

// LongRoPE switching rule. The factor set follows the length of the whole
// sequence, as Hugging Face computes it without a cache: short factors while
// the sequence has at most OriginalMaxPositions tokens, long factors for every
// position once it is longer. When a sequence grows (or is truncated) across
// that boundary its cache is rebuilt with the other factor set (a re-prefill),
// so decoding with the cache gives exactly the logits of recomputing the
// whole sequence. This is transformers' greedy_nocache reference; llama.cpp
// instead picks one set from the allocated context size.
func (m *Model) useLong(n int) bool { return m.Config.LongRope(n) }

// Forward runs the model over the new tokens of every step, as one batch:
// the matrix products see all tokens of all sequences at once and attention
// runs per sequence over its own cache.
func (m *Model) Forward(steps ...*Step) error {
	c := m.Config
	// Validate everything before touching any sequence, so a failed call
	// leaves every sequence as it was.
	for _, st := range steps {
		s := st.Seq
		if s == nil || s.m != m {
			return errors.New("model: step has no sequence of this model")
		}
		if len(st.Tokens) == 0 {
			return errors.New("model: step has no tokens")
		}
		if n := len(s.tokens) + len(st.Tokens); n > s.ctx {
			return fmt.Errorf("model: %d tokens do not fit in the context of %d tokens: %w", n, s.ctx, ErrContextFull)
		}
		for _, id := range st.Tokens {
			if id < 0 || int(id) >= c.VocabSize {
				return fmt.Errorf("model: token id %d outside the vocabulary of %d", id, c.VocabSize)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.steps = append(m.steps[:0], steps...)
	bsteps := m.steps // not the parameter: reassigning it makes every caller allocate
	defer clear(m.steps)

	// Lay out the batch: which rows belong to which sequence and position.
	b := &m.buf
	b.rows = b.rows[:0]
	b.outRows = b.outRows[:0]
	for si, st := range bsteps {
		s := st.Seq
		s.tokens = append(s.tokens, st.Tokens...)
		if long := m.useLong(len(s.tokens)); long != s.long {
			s.cached, s.long = 0, long // re-prefill with the other factor set
		}
		first := len(s.tokens) - len(st.Tokens)
		for p := s.cached; p < len(s.tokens); p++ {
			if p >= first && (st.AllLogits || p == len(s.tokens)-1) {
				b.outRows = append(b.outRows, len(b.rows))
			}
			b.rows = append(b.rows, rowInfo{step: si, pos: p})
		}
	}
	n := len(b.rows)
	b.grow(c, n)

	// Embeddings and the rotary cos/sin of every row.
	half := c.RotaryDim / 2
	for i, r := range b.rows {
		s := bsteps[r.step].Seq
		m.w.embed.RowF32(int(s.tokens[r.pos]), b.x[i*c.Hidden:(i+1)*c.Hidden])
		inv := m.invShort
		if s.long {
			inv = m.invLong
		}
		cs := b.cos[i*half : (i+1)*half]
		sn := b.sin[i*half : (i+1)*half]
		for j := range cs {
			a := float64(r.pos) * inv[j]
			cs[j] = float32(math.Cos(a) * m.ropeMag)
			sn[j] = float32(math.Sin(a) * m.ropeMag)
		}
	}

	// Each residual add (x += proj) is done by the RMSNorm pass after it,
	// row by row, instead of a pass of its own over the batch.
	var add []float32
	for l := range m.w.layers {
		lw := &m.w.layers[l]
		m.rmsNorm(lw.attnNorm, n, add)
		m.pool.MatMul(b.qkv, lw.qkv, b.xn, n)
		m.ropeAndCache(bsteps, l)
		m.attention(bsteps, l)
		m.pool.MatMul(b.proj, lw.o, b.att, n)

		m.rmsNorm(lw.ffnNorm, n, b.proj)
		m.pool.MatMul(b.gu, lw.gateUp, b.xn, n)
		m.pool.MatMulSwiGLU(b.proj, lw.down, b.gu, n, b.h)
		add = b.proj
	}
	for s := range bsteps {
		bsteps[s].Seq.cached = len(bsteps[s].Seq.tokens)
	}

	// Final norm and the LM head, only for the rows whose logits are wanted.
	no := len(b.outRows)
	for j, i := range b.outRows {
		xr := b.x[i*c.Hidden : (i+1)*c.Hidden]
		if add != nil {
			addInPlace(xr, add[i*c.Hidden:(i+1)*c.Hidden]) // the last layer's residual
		}
		rmsNormRows(b.xn[j*c.Hidden:(j+1)*c.Hidden], xr, m.w.norm, nil, 1, c.Hidden, c.RMSNormEps)
	}
	b.logits = grow(b.logits, no*c.VocabSize)
	m.pool.MatMul(b.logits, m.w.lmHead, b.xn, no)
	j := 0
	for si, st := range bsteps {
		cnt := 1
		if st.AllLogits {
			cnt = len(st.Tokens)
		}
		_ = si
		st.Logits = append(st.Logits[:0], b.logits[j*c.VocabSize:(j+cnt)*c.VocabSize]...)
		j += cnt
	}
	return nil
}

type rowInfo struct {
	step int // index into steps
	pos  int // position in its sequence
}

// scratch holds the activations of one Forward call, reused across calls.
type scratch struct {
	rows     []rowInfo
	outRows  []int
	qblocks  []qblock  // attention's query blocks (see attnBlocks)
	x, xn    []float32 // residual stream and its normalised copy, n × Hidden
	qkv      []float32 // n × QKVDim
	att      []float32 // attention output, n × Heads·HeadDim
	proj     []float32 // o_proj / down_proj output, n × Hidden
	gu       []float32 // n × 2F
	h        []float32 // n × F
	cos, sin []float32 // n × RotaryDim/2
	logits   []float32
	rope     ropeTask
	norm     normTask
}

func (b *scratch) grow(c *Config, n int) {
	b.x = grow(b.x, n*c.Hidden)
	b.xn = grow(b.xn, n*c.Hidden)
	b.qkv = grow(b.qkv, n*c.QKVDim())
	b.att = grow(b.att, n*c.Heads*c.HeadDim)
	b.proj = grow(b.proj, n*c.Hidden)
	b.gu = grow(b.gu, n*2*c.Intermediate)
	b.h = grow(b.h, n*c.Intermediate)
	b.cos = grow(b.cos, n*c.RotaryDim/2)
	b.sin = grow(b.sin, n*c.RotaryDim/2)
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// ropeAndCache rotates the new rows' query and key heads (NeoX rotate-half
// over the first RotaryDim dims) and stores keys and values in the caches.
func (m *Model) ropeAndCache(steps []*Step, l int) {
	m.buf.rope = ropeTask{m: m, steps: steps, l: l}
	m.pool.Parallel(len(m.buf.rows), &m.buf.rope)
	m.buf.rope.steps = nil
}

// ropeTask is ropeAndCache as a pool task over batch rows.
type ropeTask struct {
	m     *Model
	steps []*Step
	l     int
}

func (t *ropeTask) Run(_, lo, hi int) {
	m, steps, l := t.m, t.steps, t.l
	c := m.Config
	b := &m.buf
	hd, half, kvd := c.HeadDim, c.RotaryDim/2, c.KVDim()
	qd := c.Heads * hd
	for i := lo; i < hi; i++ {
		r := b.rows[i]
		row := b.qkv[i*c.QKVDim() : (i+1)*c.QKVDim()]
		cs, sn := b.cos[i*half:(i+1)*half], b.sin[i*half:(i+1)*half]
		for h := 0; h < c.Heads+c.KVHeads; h++ {
			tensor.RopeHalf(row[h*hd:h*hd+c.RotaryDim], cs, sn)
		}
		s := steps[r.step].Seq
		if s.kq != nil {
			rb := kvd / 32 * 34
			// Every block lies inside one head (HeadDim % 32 == 0, checked
			// by SetKVType), so heads can be read on their own.
			_ = tensor.QuantizeRow(tensor.Q8_0, row[qd:qd+kvd], s.kq[l][r.pos*rb:(r.pos+1)*rb])
			_ = tensor.QuantizeRow(tensor.Q8_0, row[qd+kvd:qd+2*kvd], s.vq[l][r.pos*rb:(r.pos+1)*rb])
			continue
		}
		if s.kh != nil {
			tensor.F32sToF16(s.kh[l][r.pos*kvd:(r.pos+1)*kvd], row[qd:qd+kvd])
			tensor.F32sToF16(s.vh[l][r.pos*kvd:(r.pos+1)*kvd], row[qd+kvd:qd+2*kvd])
			continue
		}
		copy(s.k[l][r.pos*kvd:(r.pos+1)*kvd], row[qd:qd+kvd])
		copy(s.v[l][r.pos*kvd:(r.pos+1)*kvd], row[qd+kvd:qd+2*kvd])
	}
}

// attention computes softmax(q·kᵀ/√hd)·v for every new row and query head
// over its sequence's cache (causal, limited to the sliding window): the
// scores of one query against all its keys in one kernel call, the softmax
// numerators in another, then the weighted sum of the values.
func (m *Model) attention(steps []*Step, l int) {
	b := &m.buf
	b.attnBlocks()
	if len(m.attnKV) != m.pool.Threads() {
		m.attnKV = make([]attnKV, m.pool.Threads())
	}
	m.attn = attnTask{m: m, steps: steps, l: l, blocks: len(b.qblocks) < len(b.rows), call: m.attn.call + 1}
	n := len(b.rows)
	if m.attn.blocks {
		n = len(b.qblocks)
	}
	m.pool.Parallel(n*m.Config.Heads, &m.attn)
	m.attn.steps = nil
}

// attnTask is attention as a pool task, kept in the Model so that running
// it allocates nothing.
type attnTask struct {
	m      *Model
	steps  []*Step
	l      int
	blocks bool   // work items are (query block, head) pairs, else (row, head)
	call   uint64 // counts calls, so that attnKV knows what it holds is stale
}

// Run handles work items [lo, hi): (row, head) pairs row-major, or
// (query block, head) pairs head-major, so that a worker's consecutive
// blocks share their keys and values (attnKV).
func (a *attnTask) Run(worker, lo, hi int) {
	heads := a.m.Config.Heads
	blocks := len(a.m.buf.qblocks)
	for t := lo; t < hi; t++ {
		if !a.blocks {
			a.row(worker, t/heads, t%heads)
			continue
		}
		i, h := t%blocks, t/blocks
		if qb := a.m.buf.qblocks[i]; qb.n > 1 {
			a.block(worker, qb, h)
		} else {
			a.row(worker, qb.row, h)
		}
	}
}

// row computes the attention output of batch row i for query head h, one
// query against all its keys: the scores in one kernel call, the softmax
// numerators in another, then the weighted sum of the values.
func (a *attnTask) row(worker, i, h int) {
	m, steps, l := a.m, a.steps, a.l
	c := m.Config
	b := &m.buf
	hd, kvd := c.HeadDim, c.KVDim()
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	{
		r := b.rows[i]
		s := steps[r.step].Seq
		q := b.qkv[i*c.QKVDim()+h*hd : i*c.QKVDim()+(h+1)*hd]
		first := 0
		if w := c.SlidingWindow; w > 0 && r.pos-w+1 > 0 {
			first = r.pos - w + 1
		}
		kh := h / group
		n := r.pos + 1 - first
		scores := m.pool.Scratch(worker, n)
		off := first*kvd + kh*hd
		qoff := off / 32 * 34 // the same place in a Q8_0 cache
		switch {
		case s.kq != nil:
			qv := &m.attnQ[worker]
			qv.Quantize(q)
			tensor.DotRowsQ8_0(s.kq[l][qoff:], kvd/32*34, qv, scores)
		case s.kh != nil:
			tensor.DotRowsF16(s.kh[l][off:], kvd, q, scores)
		default:
			tensor.DotRowsF32(s.k[l][off:], kvd, q, scores)
		}
		for j := range scores {
			scores[j] *= scale
		}
		softmax(scores)
		out := b.att[i*c.Heads*hd+h*hd : i*c.Heads*hd+(h+1)*hd]
		clear(out)
		switch {
		case s.vq != nil:
			tensor.WSumQ8_0(s.vq[l][qoff:], kvd/32*34, scores, out)
		case s.vh != nil:
			tensor.WSumF16(s.vh[l][off:], kvd, scores, out)
		default:
			tensor.WSumF32(s.v[l][off:], kvd, scores, out)
		}
	}
}

// softmax replaces the scores v by exp(v−max)/Σexp(v−max).
func softmax(v []float32) {
	mx := float32(math.Inf(-1))
	for _, x := range v {
		mx = max(mx, x)
	}
	inv := 1 / tensor.ExpSub(v, mx)
	for j := range v {
		v[j] *= inv
	}
}

// rmsNorm sets the batch's xn to the RMSNorm of its n rows of x with
// weights w, split over the pool's threads, first adding add's rows to x
// (the residual of the layer before) when add is not nil.
func (m *Model) rmsNorm(w []float32, n int, add []float32) {
	b := &m.buf
	b.norm = normTask{dst: b.xn, x: b.x, add: add, w: w, d: m.Config.Hidden, eps: m.Config.RMSNormEps}
	m.pool.Parallel(n, &b.norm)
	b.norm.w, b.norm.add = nil, nil
}

// normTask is rmsNormRows as a pool task over rows.
type normTask struct {
	dst, x, add, w []float32
	d              int
	eps            float64
}

func (t *normTask) Run(_, lo, hi int) {
	d := t.d
	var add []float32
	if t.add != nil {
		add = t.add[lo*d : hi*d]
	}
	rmsNormRows(t.dst[lo*d:hi*d], t.x[lo*d:hi*d], t.w, add, hi-lo, d, t.eps)
}

// rmsNormRows computes dst = w ⊙ x/√(mean(x²)+eps) for n rows of width d,
// the mean accumulated in float64, after x += add when add is not nil (in
// the same pass over x).
func rmsNormRows(dst, x, w, add []float32, n, d int, eps float64) {
	for i := 0; i < n; i++ {
		xr := x[i*d : (i+1)*d]
		var ss float64
		if add != nil {
			ar := add[i*d : (i+1)*d]
			for j := range xr {
				v := xr[j] + ar[j]
				xr[j] = v
				ss += float64(v) * float64(v)
			}
		} else {
			for _, v := range xr {
				ss += float64(v) * float64(v)
			}
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+eps))
		dr := dst[i*d : (i+1)*d]
		for j, v := range xr {
			dr[j] = w[j] * (v * inv)
		}
	}
}

func addInPlace(dst, src []float32) {
	for i := range dst {
		dst[i] += src[i]
	}
}
