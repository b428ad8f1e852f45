package train

import (
	"math"

	"github.com/gophi/gophi/tensor"
)

// Causal attention with grouped keys and values, one (sequence, head) at a
// time as whole-sequence products on the GEMM micro-kernel:
//
//	S = Q·Kᵀ/√hd, P = softmax(S) over the visible keys, O = P·V
//
// Row i of P sees keys j ≤ i (and i − j < SlidingWindow when the config
// has one); P is kept for the backward pass:
//
//	dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)) / √hd,
//	dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO
//
// Each product skips the triangle of the T×T matrices that is zero
// (tensor.GemmCausalSerial).
//
// where dK and dV sum over the query heads sharing a key head, so one
// backward unit is a (sequence, key head) pair and runs its heads in turn.

// visible returns the first and one-past-last key visible to query i.
func (m *Model) visible(i int) (int, int) {
	lo := 0
	if w := m.Config.SlidingWindow; w > 0 && i-w+1 > 0 {
		lo = i - w + 1
	}
	return lo, i + 1
}

// attentionUnit runs the forward pass of units [lo, hi) = (sequence, head).
// S is computed only where a key is not after its query, and O = P·V skips
// P's zero triangle.
func (m *Model) attentionUnit(worker, lo, hi int) {
	c, t := m.Config, m.Seq
	la := &m.a.layers[m.op.l]
	hd, qkv, d := c.HeadDim, c.QKVDim(), c.Hidden
	qd, kvd := c.Heads*hd, c.KVHeads*hd
	scale := float32(1 / math.Sqrt(float64(hd)))
	buf := m.a.gemmWork[worker]
	for u := lo; u < hi; u++ {
		b, h := u/c.Heads, u%c.Heads
		g := h / (c.Heads / c.KVHeads)
		base := b * t * qkv
		q := la.qkv[base+h*hd:]
		k := la.qkv[base+qd+g*hd:]
		v := la.qkv[base+qd+kvd+g*hd:]
		p := la.p[u*t*t : (u+1)*t*t]
		tensor.GemmCausalSerial(buf, p, t, q, qkv, k, qkv, t, t, hd, false, true, tensor.RowsFrom)
		for i := 0; i < t; i++ {
			row := p[i*t : (i+1)*t]
			j0, j1 := m.visible(i)
			vis := row[j0:j1]
			for j := range vis {
				vis[j] *= scale
			}
			mx := tensor.Max(vis)
			// The exp kernel works 16 values at a time and leaves the rest
			// to math.Exp: pad the row to a multiple of 16 with values whose
			// exp is 0 (or ~1e-38, nothing next to the sum's 1 or more).
			ext := row[j0:min(t, j0+(j1-j0+15)/16*16)]
			for j := len(vis); j < len(ext); j++ {
				ext[j] = -1e30
			}
			inv := 1 / tensor.ExpSub(ext, mx)
			tensor.Axpy(vis, vis, inv-1) // vis ·= inv on the vector kernel
			clear(row[:j0])
			clear(row[j1:])
		}
		tensor.GemmCausalSerial(buf, la.att[b*t*d+h*hd:], d, p, t, v, qkv, t, hd, t, false, false, tensor.TokensFromK)
	}
}

// attentionBackUnit runs the backward pass of units [lo, hi) = (sequence,
// key head), from dO (a.datt) into a.dqkv. dK and dV are made transposed,
// dKᵀ = Qᵀ·dS and dVᵀ = dOᵀ·P, which read dS and P by rows as they are
// (transposing Q and dO, T×hd, instead of the T×T dS and P), summed over
// the group's heads, then written into dqkv.
func (m *Model) attentionBackUnit(worker, lo, hi int) {
	c, t := m.Config, m.Seq
	a := &m.a
	la := &a.layers[m.op.l]
	hd, qkv, d := c.HeadDim, c.QKVDim(), c.Hidden
	qd, kvd := c.Heads*hd, c.KVHeads*hd
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	buf := a.gemmWork[worker]
	work := a.attnWork[worker]
	ds := work[:t*t]
	qt, dot := work[t*t:t*t+hd*t], work[t*t+hd*t:t*t+2*hd*t]
	dkt, dvt := work[t*t+2*hd*t:t*t+3*hd*t], work[t*t+3*hd*t:t*t+4*hd*t]
	for u := lo; u < hi; u++ {
		b, g := u/c.KVHeads, u%c.KVHeads
		base := b * t * qkv
		k := la.qkv[base+qd+g*hd:]
		v := la.qkv[base+qd+kvd+g*hd:]
		for h := g * group; h < (g+1)*group; h++ {
			q := la.qkv[base+h*hd:]
			dq := a.dqkv[base+h*hd:]
			o := la.att[b*t*d+h*hd:]
			do := a.datt[b*t*d+h*hd:]
			p := la.p[(b*c.Heads+h)*t*t : (b*c.Heads+h+1)*t*t]
			tensor.GemmCausalSerial(buf, ds, t, do, d, v, qkv, t, t, hd, false, true, tensor.RowsFrom) // dP
			for i := 0; i < t; i++ {
				di := dotShort(do[i*d:i*d+hd], o[i*d:i*d+hd])
				j0, j1 := m.visible(i)
				row, pr := ds[i*t:(i+1)*t], p[i*t:(i+1)*t]
				for j := j0; j < j1; j++ {
					row[j] = pr[j] * (row[j] - di) * scale
				}
				clear(row[:j0])
				clear(row[j1:])
			}
			tensor.GemmCausalSerial(buf, dq, qkv, ds, t, k, qkv, t, hd, t, false, false, tensor.TokensFromK)
			tensor.TransposeSerial(qt, q, qkv, t, hd)
			tensor.TransposeSerial(dot, do, d, t, hd)
			first := h == g*group
			tensor.GemmCausalSerial(buf, dkt, t, qt, t, ds, t, hd, t, t, !first, false, tensor.KFromRows)
			tensor.GemmCausalSerial(buf, dvt, t, dot, t, p, t, hd, t, t, !first, false, tensor.KFromRows)
		}
		dk := a.dqkv[base+qd+g*hd:]
		dv := a.dqkv[base+qd+kvd+g*hd:]
		for j := 0; j < t; j++ {
			kr, vr := dk[j*qkv:j*qkv+hd], dv[j*qkv:j*qkv+hd]
			for e := range kr {
				kr[e], vr[e] = dkt[e*t+j], dvt[e*t+j]
			}
		}
	}
}

// dotShort returns Σ a[i]·b[i]: the vector kernel for long vectors, a loop for
// the short ones of small heads (a call costs more than 8 products).
func dotShort(a, b []float32) float32 {
	if len(a) >= 32 {
		return tensor.Dot(a, b)
	}
	var s float32
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
