package kernels

import (
	"encoding/binary"
	"unsafe"
)

// Decode kernels for Q4_1, Q5_0, Q5_1 and Q5_K rows against int8
// activations (Q8: Q, D and S). Block layouts are documented in
// tensor/quant.go.

// rowsKernel is the signature shared by the multi-row int8 decode kernels.
type rowsKernel func(w *byte, stride, rows, nb int, xq *int8, xd, xs, dst *float32)

// dotRows checks the shapes and runs k (or, when nil, generic on each row)
// over rows rows of blocks of blockBytes bytes and blockElems elements.
func dotRows(k rowsKernel, generic func([]byte, *Q8) float32, blockElems, blockBytes int, w []byte, stride, rows int, a *Q8, dst []float32) {
	nb := len(a.Q) / blockElems
	if rows <= 0 {
		return
	}
	_ = w[(rows-1)*stride+blockBytes*nb-1]
	_ = dst[rows-1]
	if k == nil {
		for r := 0; r < rows; r++ {
			dst[r] = generic(w[r*stride:], a)
		}
		return
	}
	k(unsafe.SliceData(w), stride, rows, nb, unsafe.SliceData(a.Q), unsafe.SliceData(a.D), unsafe.SliceData(a.S), &dst[0])
}

// DotQ4_1Rows computes dst[r] = row r · activations for rows Q4_1 rows of
// w, stride bytes apart (y = d·q + m per block of 32).
func DotQ4_1Rows(w []byte, stride, rows int, a *Q8, dst []float32) {
	dotRows(current.dotQ4_1, dotQ4_1Generic, 32, 20, w, stride, rows, a, dst)
}

// DotQ5_0Rows is DotQ4_1Rows for Q5_0 rows (y = d·(q − 16), q 5 bits).
func DotQ5_0Rows(w []byte, stride, rows int, a *Q8, dst []float32) {
	dotRows(current.dotQ5_0, dotQ5_0Generic, 32, 22, w, stride, rows, a, dst)
}

// DotQ5_1Rows is DotQ4_1Rows for Q5_1 rows (y = d·q + m, q 5 bits).
func DotQ5_1Rows(w []byte, stride, rows int, a *Q8, dst []float32) {
	dotRows(current.dotQ5_1, dotQ5_1Generic, 32, 24, w, stride, rows, a, dst)
}

// DotQ5_KRows is DotQ4_KRows for Q5_K rows.
func DotQ5_KRows(w []byte, stride, rows int, a *Q8, dst []float32) {
	dotRows(current.dotQ5_K, dotQ5_KGeneric, 256, 176, w, stride, rows, a, dst)
}

// legacyQuants unpacks the 32 unsigned quants of a 32-element block whose
// nibbles start at qs and, for 5-bit types, whose high bits are h.
func legacyQuants(q *[32]int32, qs []byte, h uint32) {
	for j := 0; j < 16; j++ {
		q[j] = int32(qs[j]&15) | int32(h>>j&1)<<4
		q[j+16] = int32(qs[j]>>4) | int32(h>>(j+16)&1)<<4
	}
}

// dotLegacyGeneric: Σ_b d_b·D_b·Σ q·Q + (m_b − offset·d_b)·S_b.
func dotLegacyGeneric(w []byte, a *Q8, bytes, minOff, qhOff, qsOff int, offset float32) float32 {
	var s float32
	var q [32]int32
	for b := 0; b < len(a.D); b++ {
		blk := w[bytes*b:]
		d := f16le(blk, 0)
		var h uint32
		if qhOff >= 0 {
			h = binary.LittleEndian.Uint32(blk[qhOff:])
		}
		legacyQuants(&q, blk[qsOff:qsOff+16], h)
		var acc int32
		for j, v := range q {
			acc += v * int32(a.Q[32*b+j])
		}
		m := -offset * d
		if minOff >= 0 {
			m = f16le(blk, minOff)
		}
		s += d*a.D[b]*float32(acc) + m*a.S[b]
	}
	return s
}

func dotQ4_1Generic(w []byte, a *Q8) float32 { return dotLegacyGeneric(w, a, 20, 2, -1, 4, 0) }
func dotQ5_0Generic(w []byte, a *Q8) float32 { return dotLegacyGeneric(w, a, 22, -1, 2, 6, 16) }
func dotQ5_1Generic(w []byte, a *Q8) float32 { return dotLegacyGeneric(w, a, 24, 2, 4, 8, 0) }

// dotQ5_KGeneric: Σ over sub-blocks j of d·sc_j·D_j·Σ q·Q − dmin·mn_j·S_j,
// q = nibble + 16·(bit j of qh[l]).
func dotQ5_KGeneric(w []byte, a *Q8) float32 {
	var s float32
	for b := 0; b < len(a.D)/8; b++ {
		blk := w[176*b:]
		d, dmin := f16le(blk, 0), f16le(blk, 2)
		scales, qh, qs := blk[4:16], blk[16:48], blk[48:176]
		for j := 0; j < 8; j++ {
			sc, mn := scaleMinK4(j, scales)
			var acc int32
			for l := 0; l < 32; l++ {
				q := qs[32*(j/2)+l]
				if j%2 == 0 {
					q &= 15
				} else {
					q >>= 4
				}
				q |= (qh[l] >> j & 1) << 4
				acc += int32(q) * int32(a.Q[256*b+32*j+l])
			}
			s += d*float32(sc)*a.D[8*b+j]*float32(acc) - dmin*float32(mn)*a.S[8*b+j]
		}
	}
	return s
}
