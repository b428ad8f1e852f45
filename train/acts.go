package train

import (
	"math"

	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// layerActs are what one layer's forward pass keeps for its backward pass
// (N = Batch·Seq rows).
type layerActs struct {
	xIn  []float32 // [N][D] the residual stream entering the layer
	rms1 []float32 // [N] 1/rms of xIn
	h1   []float32 // [N][D] input_layernorm(xIn)
	qkv  []float32 // [N][QKV] after RoPE
	p    []float32 // [Batch][Heads][Seq][Seq] attention probabilities
	att  []float32 // [N][H·hd] attention output, before o_proj
	xMid []float32 // [N][D] xIn + o_proj(att)
	rms2 []float32 // [N]
	h2   []float32 // [N][D] post_attention_layernorm(xMid)
	gu   []float32 // [N][2F] gate_up_proj(h2): gate then up
	act  []float32 // [N][F] silu(gate)·up
}

// acts holds every activation and work buffer of a step, carved from one
// allocation made (and touched) once.
type acts struct {
	layers []layerActs
	xOut   []float32 // [N][D] the last layer's output
	rmsF   []float32 // [N]
	hF     []float32 // [N][D] model.norm(xOut)

	// Backward work space.
	dx, dh, datt   []float32 // [N][D]
	dqkv           []float32 // [N][QKV]
	dgu            []float32 // [N][2F]
	dact           []float32 // [N][F]
	trans          []float32 // a transposed gradient, [max width][N]
	logits         []float32 // [chunk][V]
	gHeadT         []float32 // [D][V] the head's gradient, transposed, for one micro-batch
	chunk          int       // rows of logits per head pass
	rowLoss        []float64 // [N] cross-entropy of each counted row
	weight         []float32 // [N] each row's weight in the loss (0: not counted)
	normPart       []float32 // [blocks][D] per-block partial sums of a norm weight's gradient
	cos, sin, nsin []float32 // [Seq][RotaryDim/2] RoPE tables (nsin = −sin)
	attnWork       [][]float32
	sigWork        [][]float32 // per worker: F floats for swigluBackRows
	normWork       [][]float32 // per worker: D floats for rmsNormBackBlocks
	gemmWork       [][]float32
	sumPart        []float64 // per-block partial sums (gradient norm)
	tokens         []int32   // [N] this micro-batch's inputs
	targets        []int32   // [N] its next tokens
}

// normBlock is the number of rows whose norm-weight gradients one unit sums.
const normBlock = 64

// sumBlock is the number of floats whose squares one unit of the gradient
// norm sums.
const sumBlock = 1 << 16

type actSizes struct{ acts, scratch int64 }

func logitChunk(v, n int) int {
	c := (1 << 25) / v // 128 MiB of logits at most (but at least 32 rows)
	c = max(32, c/12*12)
	return min(c, n)
}

// sizesFor counts the floats carve takes for a configuration.
func sizesFor(c *model.Config, batch, seq, threads int) actSizes {
	var s actSizes
	var a acts
	a.carve(c, batch, seq, threads, func(k int, scratch bool) []float32 {
		if scratch {
			s.scratch += int64(k)
		} else {
			s.acts += int64(k)
		}
		return nil
	})
	// allocActs' own slices: rowLoss (float64), tokens, targets, and the
	// gradient norm's float64 partial sums.
	var params int64
	for _, p := range ParamLayout(c) {
		params += int64(p.Len)
	}
	s.scratch += 4*int64(batch*seq) + 2*(params/sumBlock+1)
	return s
}

// carve lays out every buffer with take (k floats; scratch: work space
// rather than kept activations).
func (a *acts) carve(c *model.Config, b, t, threads int, take func(k int, scratch bool) []float32) {
	n := b * t
	d, qkv, f, v := c.Hidden, c.QKVDim(), c.Intermediate, c.VocabSize
	kept := func(k int) []float32 { return take(k, false) }
	work := func(k int) []float32 { return take(k, true) }
	a.layers = a.layers[:0]
	for l := 0; l < c.Layers; l++ {
		a.layers = append(a.layers, layerActs{
			xIn: kept(n * d), rms1: kept(n), h1: kept(n * d), qkv: kept(n * qkv),
			p: kept(b * c.Heads * t * t), att: kept(n * d), xMid: kept(n * d), rms2: kept(n),
			h2: kept(n * d), gu: kept(n * 2 * f), act: kept(n * f),
		})
	}
	a.xOut, a.rmsF, a.hF = kept(n*d), kept(n), kept(n*d)
	a.dx, a.dh, a.datt = work(n*d), work(n*d), work(n*d)
	a.dqkv, a.dgu, a.dact = work(n*qkv), work(n*2*f), work(n*f)
	a.trans = work(max(qkv, 2*f, d) * n)
	a.chunk = logitChunk(v, n)
	a.logits, a.gHeadT = work(a.chunk*v), work(d*v)
	a.weight = work(n)
	a.normPart = work((n/normBlock + 1) * d)
	half := c.RotaryDim / 2
	a.cos, a.sin, a.nsin = work(t*half), work(t*half), work(t*half)
	a.attnWork, a.gemmWork, a.sigWork, a.normWork = a.attnWork[:0], a.gemmWork[:0], a.sigWork[:0], a.normWork[:0]
	for w := 0; w < threads; w++ {
		a.attnWork = append(a.attnWork, work(t*t+4*c.HeadDim*t))
		a.gemmWork = append(a.gemmWork, work(tensor.GemmScratch(max(t, c.HeadDim))))
		a.sigWork = append(a.sigWork, work(f))
		a.normWork = append(a.normWork, work(d))
	}
}

func (m *Model) allocActs() {
	c := m.Config
	threads := m.pool.Threads()
	s := sizesFor(c, m.Batch, m.Seq, threads)
	slab := touched(int(s.acts + s.scratch))
	m.a.carve(c, m.Batch, m.Seq, threads, func(k int, _ bool) []float32 {
		out := slab[:k:k]
		slab = slab[k:]
		return out
	})
	n := m.Batch * m.Seq
	m.a.rowLoss = make([]float64, n)
	m.a.sumPart = make([]float64, len(m.W)/sumBlock+1)
	m.a.tokens, m.a.targets = make([]int32, n), make([]int32, n)
	m.ropeTables()
}

// ropeTables fills the cos and sin of every position of a sequence as the
// runtime computes them (model.Config.RopeFrequencies, angles in float64,
// LongRoPE's factor set chosen by the sequence length).
func (m *Model) ropeTables() {
	inv, mag := m.Config.RopeFrequencies(m.Config.LongRope(m.Seq))
	half := len(inv)
	for j, f := range inv {
		for p := 0; p < m.Seq; p++ {
			a := float64(p) * f
			m.a.cos[p*half+j] = float32(math.Cos(a) * mag)
			m.a.sin[p*half+j] = float32(math.Sin(a) * mag)
			m.a.nsin[p*half+j] = -m.a.sin[p*half+j]
		}
	}
}
