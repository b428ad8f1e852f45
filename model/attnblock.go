package model

import (
	"math"

	"github.com/gophi/gophi/tensor"
)

// Blocked attention for prompts: up to 32 consecutive query rows of one
// sequence and one head at a time, as two small matrix products on the
// GEMM micro-kernel instead of one dot product per (query, key) pair.
//
//  1. Scores: the block's queries, packed as one 32-row panel, times the
//     keys as the "tokens" (read in place as rows of a float copy), give
//     Sᵀ[key][query] with 32 queries per key in two vectors.
//  2. Softmax per query over its own keys (causal, sliding window), into
//     P[query][key].
//  3. Output: the values, copied as panels of 32 dimensions [key][32], times
//     the rows of P give out[query][dims].
//
// Work items go head by head, block by block, and each worker keeps the
// keys and values it converted (a Q8_0 or F16 cache to float32) for the
// next block of the same KV head, converting only the keys that block adds
// (attnKV). Prefill of Phi-3-mini F16, 512 tokens: attention took 9% of
// the CPU time one query at a time; converting the keys and values again
// for each block of 32 queries copied 8.5 times the keys a head has and
// took 7% of Q4_0 prefill's CPU time.

// attnBlock is the most query rows one block holds (one panel).
const attnBlock = tensor.PanelRows

// qblock is a run of consecutive rows of one step: rows [row, row+n).
type qblock struct{ row, n int }

// attnBlocks cuts the batch's rows into blocks of at most attnBlock
// consecutive rows of the same step.
func (b *scratch) attnBlocks() {
	b.qblocks = b.qblocks[:0]
	for i := 0; i < len(b.rows); {
		j := i + 1
		for j < len(b.rows) && j-i < attnBlock && b.rows[j].step == b.rows[i].step {
			j++
		}
		b.qblocks = append(b.qblocks, qblock{i, j - i})
		i = j
	}
}

// block computes the attention output of query block qb for head h.
func (a *attnTask) block(worker int, qb qblock, h int) {
	m := a.m
	c := m.Config
	b := &m.buf
	hd := c.HeadDim
	kh := h / (c.Heads / c.KVHeads)
	r0 := b.rows[qb.row]
	s := a.steps[r0.step].Seq
	T := qb.n
	// Keys [k0, k0+nk): the union of the block's windows.
	k0 := 0
	if w := c.SlidingWindow; w > 0 && r0.pos-w+1 > 0 {
		k0 = r0.pos - w + 1
	}
	nk := r0.pos + T - k0
	nkp := (nk + 31) &^ 31
	P := tensor.PanelRows
	buf := m.pool.Scratch(worker, nk*P+P*nkp+hd*P+T*P)
	st, buf := buf[:nk*P], buf[nk*P:]        // Sᵀ, [key][32 queries]
	pr, buf := buf[:P*nkp], buf[P*nkp:]      // P, [query][nkp]
	qp, ct := buf[:hd*P], buf[hd*P:hd*P+T*P] // query panel; output tile

	kv := &m.attnKV[worker]
	kf, vp, stride := kv.get(a, s, kh, k0, nk)

	qkvd := c.QKVDim()
	q := b.qkv[qb.row*qkvd+h*hd:]
	tensor.PackPanel(qp, q, qkvd, T, hd)
	tensor.GemmPanel(qp, hd, kf, hd, st, P, nk, false)

	scale := float32(1 / math.Sqrt(float64(hd)))
	for t := 0; t < T; t++ {
		pos := r0.pos + t
		first := 0
		if w := c.SlidingWindow; w > 0 && pos-w+1 > 0 {
			first = pos - w + 1
		}
		row := pr[t*nkp : t*nkp+nk]
		lo, hi := first-k0, pos+1-k0
		for j := lo; j < hi; j++ {
			row[j] = st[j*P+t] * scale
		}
		softmax(row[lo:hi])
		clear(row[:lo])
		clear(row[hi:])
	}

	ld := c.Heads * hd
	for d0 := 0; d0 < hd; d0 += P {
		nd := min(P, hd-d0)
		out := b.att[qb.row*ld+h*hd+d0:]
		if nd == P {
			tensor.GemmPanel(vp[d0*stride:], nk, pr, nkp, out, ld, T, false)
			continue
		}
		tensor.GemmPanel(vp[d0*stride:], nk, pr, nkp, ct, P, T, false)
		for t := 0; t < T; t++ {
			copy(out[t*ld:t*ld+nd], ct[t*P:t*P+nd])
		}
	}
}

// attnKV is one worker's float32 copy of the keys and values [k0, k0+have)
// of one KV head of one sequence at one layer: keys as [key][hd], values as
// panels of 32 dimensions, panel d0/32 at d0·stride, each [key][32].
type attnKV struct {
	call       uint64 // the attention call (attnTask.call) it belongs to
	s          *Sequence
	kh, k0     int
	have       int
	stride     int // keys each value panel has room for
	keys, vals []float32
}

// get returns the keys and values [k0, k0+nk) of KV head kh, converting
// only what the worker does not hold already, and the value panels' stride.
func (kv *attnKV) get(a *attnTask, s *Sequence, kh, k0, nk int) (kf, vp []float32, stride int) {
	c := a.m.Config
	hd, hdp := c.HeadDim, (c.HeadDim+31)&^31
	if kv.call != a.call || kv.s != s || kv.kh != kh || kv.k0 != k0 || nk > kv.stride {
		// Room for every key this sequence has, so that later blocks of
		// the head only append.
		stride = max(nk, len(s.tokens)-k0)
		if cap(kv.keys) < stride*hd {
			kv.keys = make([]float32, stride*hd, 2*stride*hd)
		}
		if cap(kv.vals) < stride*hdp {
			kv.vals = make([]float32, stride*hdp, 2*stride*hdp)
		}
		*kv = attnKV{call: a.call, s: s, kh: kh, k0: k0, stride: stride, keys: kv.keys[:stride*hd], vals: kv.vals[:stride*hdp]}
	}
	if nk > kv.have {
		a.keysValues(s, a.l, k0, kv.have, nk, kh, kv.keys, kv.vals, kv.stride)
		kv.have = nk
	}
	return kv.keys[:nk*hd], kv.vals, kv.stride
}

// keysValues converts keys and values [k0+from, k0+to) of KV head kh at
// layer l to float32: keys into kf as [key][hd], values into vp as panels
// of 32 dimensions, panel d0/32 at d0·stride, each [key][32] (zero beyond
// hd).
func (a *attnTask) keysValues(s *Sequence, l, k0, from, to, kh int, kf, vp []float32, stride int) {
	c := a.m.Config
	hd, kvd := c.HeadDim, c.KVDim()
	P := tensor.PanelRows
	var tmp [128]float32 // one value row of a panel
	for j := from; j < to; j++ {
		off := (k0+j)*kvd + kh*hd
		kr := kf[j*hd : (j+1)*hd]
		switch {
		case s.kq != nil:
			rb := kvd / 32 * 34
			dequantQ8Row(s.kq[l][(k0+j)*rb+off%kvd/32*34:], kr)
		case s.kh != nil:
			tensor.F16sToF32(kr, s.kh[l][off:off+hd])
		default:
			copy(kr, s.k[l][off:off+hd])
		}
		for d0 := 0; d0 < hd; d0 += P {
			nd := min(P, hd-d0)
			dst := vp[d0*stride+j*P : d0*stride+(j+1)*P]
			src := tmp[:nd]
			switch {
			case s.vq != nil:
				rb := kvd / 32 * 34
				dequantQ8Row(s.vq[l][(k0+j)*rb+(off+d0)%kvd/32*34:], src)
			case s.vh != nil:
				tensor.F16sToF32(src, s.vh[l][off+d0:off+d0+nd])
			default:
				src = s.v[l][off+d0 : off+d0+nd]
			}
			copy(dst, src)
			clear(dst[nd:])
		}
	}
}

// dequantQ8Row dequantizes len(dst) (a multiple of 32) values from the
// Q8_0 blocks at the start of src.
func dequantQ8Row(src []byte, dst []float32) {
	if err := tensor.DequantizeRow(tensor.Q8_0, src[:len(dst)/32*34], dst); err != nil {
		panic(err) // unreachable: the cache was built with hd % 32 == 0
	}
}
