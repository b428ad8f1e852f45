package train

import (
	"math"

	"github.com/gophi/gophi/tensor"
)

// The row-wise passes of the step, each a pool task over rows (or units)
// [lo, hi). They read their operands from m.op, set just before the call,
// and are method expressions, so handing one to the pool allocates nothing.

// job adapts a method expression to a tensor.Task.
type job struct {
	m  *Model
	fn func(m *Model, worker, lo, hi int)
}

func (j *job) Run(worker, lo, hi int) { j.fn(j.m, worker, lo, hi) }

// parallel runs fn over [0, n) on the pool.
func (m *Model) parallel(n int, fn func(m *Model, worker, lo, hi int)) {
	m.job = job{m, fn}
	m.pool.Parallel(n, &m.job)
	m.job = job{}
}

// opArgs are the operands of the pass being run.
type opArgs struct {
	l                  int       // layer
	dst, x, dy, w, rms []float32 // see each pass
	sin                []float32
	start              int     // first row of the logits chunk
	back               bool    // cross-entropy: write the gradient
	add                bool    // norm backward: add into dst
	lr                 float64 // AdamW's learning rate
	scale              float32 // the gradients' clipping factor
	opt                *AdamW
}

// embedRows sets the first layer's input rows to the tokens' embeddings.
func (m *Model) embedRows(_, lo, hi int) {
	d := m.Config.Hidden
	x := m.a.layers[0].xIn
	for i := lo; i < hi; i++ {
		t := int(m.a.tokens[i])
		copy(x[i*d:(i+1)*d], m.w.embed[t*d:(t+1)*d])
	}
}

// embedBackCols adds each row's gradient to its token's embedding row,
// columns [lo, hi) (rows in order, so the sums are reproducible).
func (m *Model) embedBackCols(_, lo, hi int) {
	d := m.Config.Hidden
	for i, t := range m.a.tokens {
		g := m.g.embed[int(t)*d:]
		dx := m.a.dx[i*d:]
		for j := lo; j < hi; j++ {
			g[j] += dx[j]
		}
	}
}

// rmsNorm sets dst = w ⊙ x·r per row, r = 1/√(mean(x²)+eps) (the mean in
// float64, as the runtime computes it), keeping r in rms.
func (m *Model) rmsNorm(dst, rms, x, w []float32) {
	m.op.dst, m.op.rms, m.op.x, m.op.w = dst, rms, x, w
	m.parallel(m.Batch*m.Seq, (*Model).rmsNormRows)
}

func (m *Model) rmsNormRows(_, lo, hi int) {
	d, eps := m.Config.Hidden, m.Config.RMSNormEps
	o := &m.op
	for i := lo; i < hi; i++ {
		x := o.x[i*d : (i+1)*d]
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		r := float32(1 / math.Sqrt(ss/float64(d)+eps))
		o.rms[i] = r
		y := o.dst[i*d : (i+1)*d]
		for j, v := range x {
			y[j] = o.w[j] * (v * r)
		}
	}
}

// rmsNormBack is the backward pass of rmsNorm: with u = w ⊙ dy,
// dx = r·u − (r³/D)·(u·x)·x (added to dst when add), and
// gw += Σ_rows dy ⊙ x·r, summed per block of rows, then over the blocks in
// order.
func (m *Model) rmsNormBack(dst, dy, x, rms, w, gw []float32, add bool) {
	m.op.dst, m.op.dy, m.op.x, m.op.rms, m.op.w, m.op.add = dst, dy, x, rms, w, add
	n, d := m.Batch*m.Seq, m.Config.Hidden
	blocks := (n + normBlock - 1) / normBlock
	m.parallel(blocks, (*Model).rmsNormBackBlocks)
	part := m.a.normPart
	for b := 0; b < blocks; b++ {
		p := part[b*d : (b+1)*d]
		for j := range gw {
			gw[j] += p[j]
		}
	}
}

func (m *Model) rmsNormBackBlocks(worker, lo, hi int) {
	d := m.Config.Hidden
	n := m.Batch * m.Seq
	o := &m.op
	u := m.a.normWork[worker]
	for b := lo; b < hi; b++ {
		part := m.a.normPart[b*d : (b+1)*d]
		clear(part)
		for i := b * normBlock; i < min(n, (b+1)*normBlock); i++ {
			x, dy, dx := o.x[i*d:(i+1)*d], o.dy[i*d:(i+1)*d], o.dst[i*d:(i+1)*d]
			r := o.rms[i]
			for j, v := range dy {
				u[j] = o.w[j] * v
				part[j] += v * (x[j] * r)
			}
			s := tensor.Dot(u, x)
			k := float32(float64(r) * float64(r) * float64(r) / float64(d) * float64(s))
			if !o.add {
				clear(dx)
			}
			tensor.Axpy(dx, u, r)
			tensor.Axpy(dx, x, -k)
		}
	}
}

// rope rotates the rotary dims of every query and key head of each row of
// qkv by its position's angles (sin = a.sin), or back (sin = a.nsin).
func (m *Model) rope(qkv, sin []float32) {
	m.op.x, m.op.sin = qkv, sin
	m.parallel(m.Batch*m.Seq, (*Model).ropeRows)
}

func (m *Model) ropeRows(_, lo, hi int) {
	c := m.Config
	hd, rot, half, w := c.HeadDim, c.RotaryDim, c.RotaryDim/2, c.QKVDim()
	for i := lo; i < hi; i++ {
		p := i % m.Seq
		cs, sn := m.a.cos[p*half:(p+1)*half], m.op.sin[p*half:(p+1)*half]
		row := m.op.x[i*w : (i+1)*w]
		for h := 0; h < c.Heads+c.KVHeads; h++ {
			tensor.RopeHalf(row[h*hd:h*hd+rot], cs, sn)
		}
	}
}

// swigluRows sets dst = silu(gate)·up per row of x = [gate | up].
func (m *Model) swigluRows(_, lo, hi int) {
	f := m.Config.Intermediate
	for i := lo; i < hi; i++ {
		gu := m.op.x[i*2*f : (i+1)*2*f]
		tensor.SwiGLU(m.op.dst[i*f:(i+1)*f], gu[:f], gu[f:])
	}
}

// swigluBackRows sets dst = d[gate | up] from dy = d(silu(gate)·up):
// with s = σ(g), d up = dy·g·s and d gate = dy·up·s·(1 + g·(1 − s)).
// σ is computed from e = exp(−|g|) (the vector kernel's exp of values ≤ 0,
// which cannot overflow): s = 1/(1+e) for g ≥ 0, e/(1+e) below.
func (m *Model) swigluBackRows(worker, lo, hi int) {
	f := m.Config.Intermediate
	e := m.a.sigWork[worker]
	for i := lo; i < hi; i++ {
		gu := m.op.x[i*2*f : (i+1)*2*f]
		dgu := m.op.dst[i*2*f : (i+1)*2*f]
		dy := m.op.dy[i*f : (i+1)*f]
		g, u := gu[:f], gu[f:]
		for j, v := range g {
			e[j] = -abs32(v)
		}
		tensor.ExpSub(e, 0)
		dg, du := dgu[:f:f], dgu[f:]
		g, u, e := g[:len(dy)], u[:len(dy)], e[:len(dy)]
		for j, d := range dy {
			gj, ej := g[j], e[j]
			// Branch-free: the numerator is 1 for g ≥ 0 and e below
			// (the sign bit picks), as a branch would mispredict half
			// the time.
			neg := float32(math.Float32bits(gj) >> 31)
			s := (1 + neg*(ej-1)) / (1 + ej)
			du[j] = d * gj * s
			dg[j] = d * u[j] * s * (1 + gj*(1-s))
		}
	}
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
