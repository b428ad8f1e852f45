package train

import (
	"fmt"
	"math"

	"github.com/gophi/gophi/tensor"
)

// The training step, top to bottom: Forward runs the model over a
// micro-batch keeping what the backward pass needs; Backward runs the
// model backwards from the cross-entropy (fused with the output head, a
// chunk of rows at a time, so the [tokens × vocab] logits exist once, as a
// chunk, and become their own gradient in place), adding every parameter's
// gradient into G.
//
// Shapes: N = Batch·Seq rows, D hidden, QKV = (H + 2·KV)·hd, F the FFN
// width, V the vocabulary. Matrices are row-major [out][in], as the
// Hugging Face checkpoint stores them; a product's three forms are
//
//	forward      Y  = X·Wᵀ       GemmNT(Y, X, W)
//	input grad   dX = dY·W       GemmNN(dX, dY, W)
//	weight grad  dW += dYᵀ·X     GemmNN(dW, Transpose(dY), X)

// Batch is one micro-batch: Batch rows of Seq+1 tokens each; row b's
// inputs are Tokens[b·(Seq+1) : b·(Seq+1)+Seq] and its targets the same
// shifted by one. Mask, when set, has the same layout and says which
// targets count in the loss (nil: all).
type Batch struct {
	Tokens []int32
	Mask   []byte
}

// Counted returns the number of targets of b that count in the loss.
func (m *Model) Counted(b *Batch) int {
	if b.Mask == nil {
		return m.Batch * m.Seq
	}
	n := 0
	for r := 0; r < m.Batch; r++ {
		for t := 1; t <= m.Seq; t++ {
			if b.Mask[r*(m.Seq+1)+t] != 0 {
				n++
			}
		}
	}
	return n
}

// load copies a batch's inputs and targets and sets each row's weight in
// the loss to scale (0 for masked targets).
func (m *Model) load(b *Batch, scale float32) error {
	t := m.Seq
	if len(b.Tokens) != m.Batch*(t+1) || (b.Mask != nil && len(b.Mask) != len(b.Tokens)) {
		return fmt.Errorf("train: batch of %d tokens (mask %d), want %d×%d", len(b.Tokens), len(b.Mask), m.Batch, t+1)
	}
	a := &m.a
	v := int32(m.Config.VocabSize)
	for r := 0; r < m.Batch; r++ {
		row := b.Tokens[r*(t+1) : (r+1)*(t+1)]
		for i := 0; i < t; i++ {
			in, out := row[i], row[i+1]
			if in < 0 || in >= v || out < 0 || out >= v {
				return fmt.Errorf("train: token id %d is outside the vocabulary (%d ids)", max(in, out), v)
			}
			a.tokens[r*t+i], a.targets[r*t+i] = in, out
			w := scale
			if b.Mask != nil && b.Mask[r*(t+1)+i+1] == 0 {
				w = 0
			}
			a.weight[r*t+i] = w
		}
	}
	return nil
}

// Step runs the forward and backward passes over b, adding the gradient of
// scale·(sum of b's counted cross-entropies) to G, and returns that sum
// (unscaled). With scale = 1/(targets counted over all micro-batches of a
// step), G ends as the gradient of the step's mean loss.
func (m *Model) Step(b *Batch, scale float64) (float64, error) {
	if err := m.load(b, float32(scale)); err != nil {
		return 0, err
	}
	m.forward()
	loss := m.head(true)
	m.backward()
	return loss, nil
}

// Loss runs the forward pass only and returns the sum of b's counted
// cross-entropies and how many there were.
func (m *Model) Loss(b *Batch) (float64, int, error) {
	if err := m.load(b, 1); err != nil {
		return 0, 0, err
	}
	m.forward()
	return m.head(false), m.Counted(b), nil
}

// Logits runs the forward pass over b and writes every row's logits to
// dst ([Batch·Seq][V]), for tests that compare the trainer with the
// runtime.
func (m *Model) Logits(b *Batch, dst []float32) error {
	if err := m.load(b, 1); err != nil {
		return err
	}
	m.forward()
	n, v, d := m.Batch*m.Seq, m.Config.VocabSize, m.Config.Hidden
	m.pool.GemmNT(dst, v, m.a.hF, d, m.w.head, d, n, v, d, false)
	return nil
}

// forward runs the embedding and every layer, keeping their activations,
// and the final norm.
func (m *Model) forward() {
	c, a := m.Config, &m.a
	n, d, qkv, f := m.Batch*m.Seq, c.Hidden, c.QKVDim(), c.Intermediate
	m.parallel(n, (*Model).embedRows) // layers[0].xIn[i] = embed[tokens[i]]
	for l := range a.layers {
		la, w := &a.layers[l], &m.w.layers[l]
		out := a.xOut
		if l+1 < len(a.layers) {
			out = a.layers[l+1].xIn
		}
		// Attention block: xMid = xIn + o(attention(rope(qkv(norm(xIn))))).
		m.rmsNorm(la.h1, la.rms1, la.xIn, w.attnNorm)
		m.pool.GemmNT(la.qkv, qkv, la.h1, d, w.qkv, d, n, qkv, d, false)
		m.rope(la.qkv, m.a.sin)
		m.op.l = l
		m.parallel(m.Batch*c.Heads, (*Model).attentionUnit)
		copy(la.xMid, la.xIn)
		m.pool.GemmNT(la.xMid, d, la.att, d, w.o, d, n, d, d, true)
		// FFN block: out = xMid + down(silu(gate)·up), gate_up(norm(xMid)).
		m.rmsNorm(la.h2, la.rms2, la.xMid, w.ffnNorm)
		m.pool.GemmNT(la.gu, 2*f, la.h2, d, w.gateUp, d, n, 2*f, d, false)
		m.op.dst, m.op.x = la.act, la.gu
		m.parallel(n, (*Model).swigluRows)
		copy(out, la.xMid)
		m.pool.GemmNT(out, d, la.act, f, w.down, f, n, d, f, true)
	}
	m.rmsNorm(a.hF, a.rmsF, a.xOut, m.w.norm)
}

// head computes the logits a chunk of rows at a time, their cross-entropy
// against the targets, and with backward the head's gradients: the chunk's
// logits become dL/dlogits in place, then dhF = dlogits·head (into a.dh)
// and dheadᵀ += hFᵀ·dlogits (the transposed form reads dlogits rows as
// they are, where dlogitsᵀ would have to be made; it is transposed into
// the head's gradient once per micro-batch). It returns the sum of the
// counted rows' losses.
func (m *Model) head(backward bool) float64 {
	a, c := &m.a, m.Config
	n, d, v := m.Batch*m.Seq, c.Hidden, c.VocabSize
	for s := 0; s < n; s += a.chunk {
		rows := min(a.chunk, n-s)
		m.pool.GemmNT(a.logits, v, a.hF[s*d:], d, m.w.head, d, rows, v, d, false)
		m.op.start, m.op.back = s, backward
		m.parallel(rows, (*Model).crossEntropyRows)
		if !backward {
			continue
		}
		m.pool.GemmNN(a.dh[s*d:], d, a.logits, v, m.w.head, d, rows, d, v, false)
		m.pool.Transpose(a.trans, a.hF[s*d:], d, rows, d)
		m.pool.GemmNN(a.gHeadT, v, a.trans, rows, a.logits, v, d, v, rows, s > 0)
	}
	if backward {
		m.parallel((v+31)/32, (*Model).addHeadGrad)
	}
	var sum float64
	for i, w := range a.weight[:n] {
		if w != 0 {
			sum += a.rowLoss[i]
		}
	}
	return sum
}

// addHeadGrad adds the transposed head gradient (a.gHeadT, [D][V]) to the
// head's gradient ([V][D]), vocabulary rows [32·lo, 32·hi).
func (m *Model) addHeadGrad(_, lo, hi int) {
	d, v := m.Config.Hidden, m.Config.VocabSize
	g, t := m.g.head, m.a.gHeadT
	for r := 32 * lo; r < min(v, 32*hi); r++ {
		row := g[r*d : (r+1)*d]
		for j := range row {
			row[j] += t[j*v+r]
		}
	}
}

// backward runs from dL/dhF (in a.dh, left there by head) to every
// parameter's gradient. a.dx carries dL/d(residual stream) down the layers.
func (m *Model) backward() {
	c, a := m.Config, &m.a
	n, d, qkv, f := m.Batch*m.Seq, c.Hidden, c.QKVDim(), c.Intermediate
	m.rmsNormBack(a.dx, a.dh, a.xOut, a.rmsF, m.w.norm, m.g.norm, false)
	for l := len(a.layers) - 1; l >= 0; l-- {
		la, w, g := &a.layers[l], &m.w.layers[l], &m.g.layers[l]
		// FFN block: out = xMid + act·downᵀ.
		m.pool.GemmNN(a.dact, f, a.dx, d, w.down, f, n, f, d, false)
		m.pool.Transpose(a.trans, a.dx, d, n, d)
		m.pool.GemmNN(g.down, f, a.trans, n, la.act, f, d, f, n, true)
		m.op.dst, m.op.dy, m.op.x = a.dgu, a.dact, la.gu
		m.parallel(n, (*Model).swigluBackRows)
		m.pool.GemmNN(a.dh, d, a.dgu, 2*f, w.gateUp, d, n, d, 2*f, false)
		m.pool.Transpose(a.trans, a.dgu, 2*f, n, 2*f)
		m.pool.GemmNN(g.gateUp, d, a.trans, n, la.h2, d, 2*f, d, n, true)
		m.rmsNormBack(a.dx, a.dh, la.xMid, la.rms2, w.ffnNorm, g.ffnNorm, true)
		// Attention block: xMid = xIn + att·oᵀ.
		m.pool.GemmNN(a.datt, d, a.dx, d, w.o, d, n, d, d, false)
		m.pool.Transpose(a.trans, a.dx, d, n, d)
		m.pool.GemmNN(g.o, d, a.trans, n, la.att, d, d, d, n, true)
		m.op.l = l
		m.parallel(m.Batch*c.KVHeads, (*Model).attentionBackUnit)
		m.rope(a.dqkv, a.nsin) // the transpose of a rotation is the rotation back
		m.pool.GemmNN(a.dh, d, a.dqkv, qkv, w.qkv, d, n, d, qkv, false)
		m.pool.Transpose(a.trans, a.dqkv, qkv, n, qkv)
		m.pool.GemmNN(g.qkv, d, a.trans, n, la.h1, d, qkv, d, n, true)
		m.rmsNormBack(a.dx, a.dh, la.xIn, la.rms1, w.attnNorm, g.attnNorm, true)
	}
	m.parallel(d, (*Model).embedBackCols) // embed[tokens[i]] += dx[i]
}

// crossEntropyRows computes rows [lo, hi) of the current logits chunk:
// loss = log Σ exp(z) − z[target], and with backward the gradient
// weight·(softmax(z) − onehot(target)) in place of z.
func (m *Model) crossEntropyRows(_, lo, hi int) {
	a, v := &m.a, m.Config.VocabSize
	for r := lo; r < hi; r++ {
		i := m.op.start + r
		z := a.logits[r*v : (r+1)*v]
		w := a.weight[i]
		if w == 0 { // not counted: no loss, and a zero gradient
			a.rowLoss[i] = 0
			if m.op.back {
				clear(z)
			}
			continue
		}
		zt := z[a.targets[i]]
		mx := tensor.Max(z)
		sum := tensor.ExpSub(z, mx)
		a.rowLoss[i] = math.Log(float64(sum)) + float64(mx) - float64(zt)
		if !m.op.back {
			continue
		}
		// z ← z·w/sum, as z += (w/sum − 1)·z on the vector kernel.
		tensor.Axpy(z, z, w/sum-1)
		z[a.targets[i]] -= w
	}
}
