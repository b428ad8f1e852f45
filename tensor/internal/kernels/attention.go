package kernels

import (
	"math"
	"unsafe"
)

// Attention kernels: scores of one query against a run of cached keys, the
// softmax numerators, and the weighted sum of cached values. Keys and
// values are rows stride elements apart, float32 or IEEE half.

// DotRowsF32 sets dst[j] = Σ_d q[d]·k[j·stride+d] for j < len(dst), d < len(q).
func DotRowsF32(k []float32, stride int, q, dst []float32) {
	rows, n := len(dst), len(q)
	if rows == 0 {
		return
	}
	_ = k[(rows-1)*stride+n-1]
	if current.dotRowsF32 != nil && n%16 == 0 {
		current.dotRowsF32((*byte)(unsafe.Pointer(&k[0])), stride, rows, &q[0], n, &dst[0])
		return
	}
	for j := range dst {
		dst[j] = DotF32(q, k[j*stride:j*stride+n])
	}
}

// DotRowsF16 is DotRowsF32 for half-precision keys.
func DotRowsF16(k []uint16, stride int, q, dst []float32) {
	rows, n := len(dst), len(q)
	if rows == 0 {
		return
	}
	_ = k[(rows-1)*stride+n-1]
	if current.dotRowsF16 != nil && n%16 == 0 {
		current.dotRowsF16((*byte)(unsafe.Pointer(&k[0])), stride, rows, &q[0], n, &dst[0])
		return
	}
	for j := range dst {
		dst[j] = DotF16(unsafe.Slice((*byte)(unsafe.Pointer(&k[j*stride])), 2*n), q)
	}
}

// WSumF32 adds Σ_j p[j]·v[j·stride+d] into out[d] for j < len(p), d < len(out).
func WSumF32(v []float32, stride int, p, out []float32) {
	rows, n := len(p), len(out)
	if rows == 0 {
		return
	}
	_ = v[(rows-1)*stride+n-1]
	if current.wsumF32 != nil && n%16 == 0 && n <= 256 {
		current.wsumF32((*byte)(unsafe.Pointer(&v[0])), stride, rows, &p[0], n, &out[0])
		return
	}
	for j, w := range p {
		Axpy(out, v[j*stride:j*stride+n], w)
	}
}

// WSumF16 is WSumF32 for half-precision values.
func WSumF16(v []uint16, stride int, p, out []float32) {
	rows, n := len(p), len(out)
	if rows == 0 {
		return
	}
	_ = v[(rows-1)*stride+n-1]
	if current.wsumF16 != nil && n%16 == 0 && n <= 256 {
		current.wsumF16((*byte)(unsafe.Pointer(&v[0])), stride, rows, &p[0], n, &out[0])
		return
	}
	for j, w := range p {
		row := v[j*stride : j*stride+n]
		for d := range out {
			out[d] += w * f16(row[d])
		}
	}
}

// ExpSub replaces x[i] by exp(x[i]−m) (m ≥ every x[i], so no overflow) and
// returns their sum.
func ExpSub(x []float32, m float32) float32 {
	n := len(x)
	var s float32
	k := 0
	if current.expSub != nil {
		k = n - n%16
		if k > 0 {
			s = current.expSub(&x[0], k, m)
		}
	}
	for i := k; i < n; i++ {
		e := float32(math.Exp(float64(x[i] - m)))
		x[i] = e
		s += e
	}
	return s
}

// DotRowsQ8_0 sets dst[j] = q · k_j for j < len(dst), where key j is the
// Q8_0 row k[j·stride:] (stride in bytes) of len(q.D) blocks: the scores of
// one query, quantized to 8 bits, against a Q8_0 KV cache (as llama.cpp
// does with a q8_0 cache).
func DotRowsQ8_0(k []byte, stride int, q *Q8, dst []float32) {
	rows, nb := len(dst), len(q.D)
	if rows == 0 {
		return
	}
	_ = k[(rows-1)*stride+34*nb-1]
	for j := range dst {
		dst[j] = current.dotQ8_0(&k[j*stride], nb, unsafe.SliceData(q.Q), unsafe.SliceData(q.D))
	}
}

// WSumQ8_0 adds Σ_j p[j]·v_j into out, where v_j is the Q8_0 row
// v[j·stride:] (stride in bytes) of len(out)/32 blocks.
func WSumQ8_0(v []byte, stride int, p, out []float32) {
	rows, nb := len(p), len(out)/32
	if rows == 0 {
		return
	}
	_ = v[(rows-1)*stride+34*nb-1]
	if current.wsumQ8_0 != nil && nb <= 8 {
		current.wsumQ8_0(&v[0], stride, rows, &p[0], nb, &out[0])
		return
	}
	wsumQ8_0Generic(v, stride, p, out)
}

func wsumQ8_0Generic(v []byte, stride int, p, out []float32) {
	nb := len(out) / 32
	for j, w := range p {
		row := v[j*stride:]
		for b := 0; b < nb; b++ {
			blk := row[34*b : 34*b+34]
			s := w * f16le(blk, 0)
			o := out[32*b : 32*b+32]
			for i := range o {
				o[i] += s * float32(int8(blk[2+i]))
			}
		}
	}
}

// SwiGLU sets h[i] = silu(g[i])·u[i] = g[i]/(1+exp(−g[i]))·u[i] over
// len(h) values: the gated activation of Phi-3's FFN.
func SwiGLU(h, g, u []float32) {
	n := len(h)
	g, u = g[:n], u[:n]
	k := 0
	if current.swiglu != nil {
		k = n - n%16
		if k > 0 {
			current.swiglu(&h[0], &g[0], &u[0], k)
		}
	}
	for i := k; i < n; i++ {
		x := g[i]
		h[i] = x / (1 + float32(math.Exp(float64(-x)))) * u[i]
	}
}

// RopeHalf rotates the pairs (v[j], v[j+half]), half = len(cos), by cos[j]
// and sin[j]: (x0·c − x1·s, x1·c + x0·s), each product and sum rounded to
// float32 on its own (no fused multiply-add), so every tier agrees bit for
// bit.
func RopeHalf(v, cos, sin []float32) {
	half := len(cos)
	if half == 0 {
		return
	}
	_, _ = v[2*half-1], sin[half-1]
	m := 0
	if current.rope != nil {
		if m = half - half%16; m > 0 {
			current.rope(unsafe.SliceData(v), unsafe.SliceData(cos), unsafe.SliceData(sin), half, m)
		}
	}
	ropeHalfGeneric(v[m:], v[half+m:], cos[m:], sin[m:])
}

// ropeHalfGeneric rotates (a[j], b[j]) by cos[j], sin[j] for j < len(cos).
func ropeHalfGeneric(a, b, cos, sin []float32) {
	for j, c := range cos {
		s := sin[j]
		x0, x1 := a[j], b[j]
		// The conversions round each product, forbidding fused multiply-adds.
		a[j] = float32(x0*c) - float32(x1*s)
		b[j] = float32(x1*c) + float32(x0*s)
	}
}
