package tensor

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

// The int8 prefill path for Q4_0 and Q8_0 weights (AVX-512 VNNI): the
// activations are quantized to 8 bits per block of 32 once per MatMul
// (as for decoding), each panel of 32 weight rows is unpacked to unsigned
// bytes with a scale per row and block, and kernels.GemmQ8 multiplies
// them 64 products per instruction.

// usesGemmQ8 reports whether prefill of type t takes the int8 path.
func usesGemmQ8(t DType) bool {
	if !int8Decode(t) {
		return false
	}
	k := kernels.GemmPlain
	switch {
	case fileType(t) == Q8_0:
		k = kernels.GemmWide
	case fileType(t) == Q6_K:
		k = kernels.GemmS16
	case gemmMins(t):
		k = kernels.GemmMin
	}
	return kernels.HasGemmQ8(k)
}

// gemmMins reports whether type t's int8 GEMM panels carry per-row mins
// (kernels.GemmQ8Min): y = d·q − min per block.
func gemmMins(t DType) bool {
	switch fileType(t) {
	case Q4_K, Q5_K, Q4_1, Q5_1:
		return true
	}
	return false
}

// gemmBlockBytes is the size of one packed panel block for type t: with
// mins or (Q6_K) a second set of scales, or plain.
func gemmBlockBytes(t DType) int {
	if gemmMins(t) || fileType(t) == Q6_K {
		return kernels.Q8MinBlockBytes
	}
	return kernels.Q8BlockBytes
}

// q8acts holds a batch's activations for GemmQ8: x token-major (padded to
// whole tiles of zero tokens), scales and offset terms block-major.
type q8acts struct {
	n, pad, k int
	x         []int8
	d         []float32
	i         []int32
	s         []float32 // d·Σq per block, for Q4_K's mins

	pool *Pool // quantizes the rows in parallel (set by NewPool)
	// While prepare runs: its input, offset and halves, and whether the
	// input is gate and up rows (2k values each) to combine by SwiGLU.
	src    []float32
	off    int32
	halves int
	gated  bool
}

// prepare quantizes n rows of x (k columns) for weights of type t: the
// offset term is −8·Σq for Q4_0 (its nibbles are stored unsigned, 8 too
// high) and −128·Σq for Q8_0 (stored +128). With gated, row i of x is
// gate and up (2k values) and the row quantized is silu(gate)·up, made in
// a per-worker row just before (see Pool.MatMulSwiGLU).
func (a *q8acts) prepare(x []float32, n, k int, t DType, gated bool) {
	pad := (n + kernels.Q8Tile - 1) / kernels.Q8Tile * kernels.Q8Tile
	// Q6_K scales every 16 values: each block gets two offset terms, one
	// per half (see kernels.GemmQ8S16).
	halves := 1
	if fileType(t) == Q6_K {
		halves = 2
	}
	kx := k
	nb := kx / 32
	a.n, a.pad, a.k = n, pad, kx
	a.x = growI8(a.x, pad*kx)
	a.d = growF32(a.d, nb*pad)
	a.i = growI32(a.i, halves*nb*pad)
	a.s = growF32(a.s, nb*pad)
	off := int32(8) // Q4_0, Q4_0R, Q4_0X
	switch fileType(t) {
	case Q8_0:
		off = 128
	case Q4_K, Q5_K, Q4_1, Q5_1:
		off = 0 // their offsets are the per-row mins, applied through s
	case Q5_0:
		off = 16
	case Q6_K:
		off = 32
	}
	clear(a.x[n*kx:])
	for i := n; i < pad; i++ {
		for b := 0; b < nb; b++ {
			a.d[b*pad+i], a.s[b*pad+i] = 0, 0
		}
		for b := 0; b < halves*nb; b++ {
			a.i[b*pad+i] = 0
		}
	}
	a.src, a.off, a.halves, a.gated = x, off, halves, gated
	a.pool.parallel(n, a)
	a.src = nil
}

// Run quantizes rows [lo, hi) (prepare's second half, as a pool task).
func (a *q8acts) Run(worker, lo, hi int) {
	k, pad, off, halves := a.k, a.pad, a.off, a.halves
	nb := k / 32
	var row []float32 // with gated: this worker's row of silu(gate)·up
	n := 3 * nb
	if a.gated {
		n += k
	}
	tmp := a.pool.Scratch(worker, n)
	ds := tmp[:nb]
	sums := unsafe.Slice((*int32)(unsafe.Pointer(&tmp[nb])), nb)
	los := unsafe.Slice((*int32)(unsafe.Pointer(&tmp[2*nb])), nb)
	if a.gated {
		row = tmp[3*nb:]
	}
	for i := lo; i < hi; i++ {
		var src []float32
		if a.gated {
			gu := a.src[2*i*k : 2*(i+1)*k]
			kernels.SwiGLU(row, gu[:k], gu[k:])
			src = row
		} else {
			src = a.src[i*k : (i+1)*k]
		}
		kernels.QuantQ8Blocks(src, a.x[i*k:(i+1)*k], ds, sums, los)
		for b := 0; b < nb; b++ {
			d, sum, lo := ds[b], sums[b], los[b]
			a.d[b*pad+i] = d
			a.s[b*pad+i] = d * float32(sum)
			if halves == 1 {
				a.i[b*pad+i] = -off * sum
			} else {
				a.i[2*b*pad+i], a.i[(2*b+1)*pad+i] = -off*lo, -off*(sum-lo)
			}
		}
	}
}

// runGemmQ8 handles panels [lo, hi) of 32 rows on the int8 path.
func (t *matmulTask) runGemmQ8(worker, lo, hi int) {
	w, n, rows := t.w, t.n, t.w.Rows
	a := &t.p.acts
	cols := a.k // activation row length
	const kcBlocks = kChunk / 32
	buf := t.p.Scratch(worker, a.pad*panelRows)
	cpanel := buf
	bb := gemmBlockBytes(w.Type)
	panel := t.p.byteScratch(worker, kcBlocks*bb)
	nbK := cols / 32
	for pn := lo; pn < hi; pn++ {
		r0 := pn * panelRows
		nr := min(panelRows, rows-r0)
		for b0 := 0; b0 < nbK; b0 += kcBlocks {
			nb := min(kcBlocks, nbK-b0)
			packQ8Panel(panel, w, r0, nr, b0, nb)
			for ti := 0; ti < a.pad; ti += kernels.Q8Tile {
				if fileType(w.Type) == Q6_K {
					kernels.GemmQ8S16(panel, a.x[ti*cols+32*b0:], cols, a.d[b0*a.pad+ti:], a.i[2*b0*a.pad+ti:], a.pad, nb,
						cpanel[ti*panelRows:], panelRows, b0 > 0)
					continue
				}
				if gemmMins(w.Type) {
					kernels.GemmQ8Min(panel, a.x[ti*cols+32*b0:], cols, a.d[b0*a.pad+ti:], a.i[b0*a.pad+ti:], a.pad, nb,
						cpanel[ti*panelRows:], panelRows, b0 > 0, a.s[b0*a.pad+ti:])
					continue
				}
				kernels.GemmQ8(panel, a.x[ti*cols+32*b0:], cols, a.d[b0*a.pad+ti:], a.i[b0*a.pad+ti:], a.pad, nb,
					cpanel[ti*panelRows:], panelRows, b0 > 0)
			}
		}
		for i := 0; i < n; i++ {
			copy(t.dst[i*rows+r0:i*rows+r0+nr], cpanel[i*panelRows:i*panelRows+nr])
		}
	}
}

// packQ8Panel writes blocks [b0, b0+nb) of rows [r0, r0+nr) of w into
// panel in kernels.GemmQ8's layout: per block, 8 steps of [32 rows][4
// bytes] of unsigned weights, then 32 float32 row scales. It moves whole
// 4-byte groups: four consecutive elements of a block always share one
// step. Rows past nr are zero.
func packQ8Panel(panel []byte, w *Matrix, r0, nr, b0, nb int) {
	bb := gemmBlockBytes(w.Type)
	if nr < panelRows {
		clear(panel[:nb*bb])
	}
	if l := layouts[w.Type]; l != nil && l.panel != kernels.PanelNone && nr%16 == 0 {
		// Whole 16-row groups: one vectorised pass per group, if the tier has it.
		g := 16 * w.rowBytes
		done := true
		for h := 0; h < nr/16 && done; h++ {
			done = kernels.PackPanelX16(l.panel, panel[64*h:], w.Data[(r0/16+h)*g:], b0, nb)
		}
		if done {
			return
		}
	}
	le := binary.LittleEndian
	for r := 0; r < nr; r++ {
		if w.Type == Q4_0X {
			// Group of 16 rows; per block: 16 scales, then [g][16 rows][4].
			grp := w.Data[((r0+r)/16)*16*w.rowBytes:]
			rr := (r0 + r) % 16
			for b := 0; b < nb; b++ {
				blk := grp[288*(b0+b):]
				out := panel[b*bb:]
				for g := 0; g < 4; g++ {
					v := le.Uint32(blk[32+64*g+4*rr:])
					le.PutUint32(out[g*128+4*r:], v&0x0f0f0f0f)
					le.PutUint32(out[(4+g)*128+4*r:], v>>4&0x0f0f0f0f)
				}
				le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 2*rr)))
			}
			continue
		}
		if w.Type == Q8_0X {
			// Group of 16 rows; per block 16 scales, then [step][16 rows][4]
			// bytes already stored plus 128, as the panel wants them.
			grp := w.Data[((r0+r)/16)*16*w.rowBytes:]
			rr := (r0 + r) % 16
			for b := 0; b < nb; b++ {
				blk := grp[544*(b0+b):]
				out := panel[b*bb:]
				for s := 0; s < 8; s++ {
					le.PutUint32(out[s*128+4*r:], le.Uint32(blk[32+64*s+4*rr:]))
				}
				le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 2*rr)))
			}
			continue
		}
		if w.Type == Q6_KX {
			grp := w.Data[((r0+r)/16)*16*w.rowBytes:]
			rr := (r0 + r) % 16
			var blk [210]byte
			for b := 0; b < nb; b++ {
				B := b0 + b
				if b == 0 || B%8 == 0 {
					kernels.Q6_KX16Block(grp[16*210*(B/8):], rr, &blk)
				}
				packQ6_KBlock(panel[b*bb:], r, blk[:], B%8)
			}
			continue
		}
		if w.Type == Q4_KX {
			// Group of 16 rows; rebuild each needed block of the row.
			grp := w.Data[((r0+r)/16)*16*w.rowBytes:]
			rr := (r0 + r) % 16
			var blk [144]byte
			for b := 0; b < nb; b++ {
				sb, j := (b0+b)/8, (b0+b)%8
				if b == 0 || j == 0 {
					kernels.Q4_KX16Block(grp[16*144*sb:], rr, &blk)
				}
				packQ4_KBlock(panel[b*bb:], r, blk[:], j)
			}
			continue
		}
		row := w.Row(r0 + r)
		switch w.Type {
		case Q4_0:
			for b := 0; b < nb; b++ {
				blk := row[18*(b0+b):]
				out := panel[b*bb:]
				for g := 0; g < 4; g++ {
					v := le.Uint32(blk[2+4*g:])
					le.PutUint32(out[g*128+4*r:], v&0x0f0f0f0f)
					le.PutUint32(out[(4+g)*128+4*r:], v>>4&0x0f0f0f0f)
				}
				le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 0)))
			}
		case Q4_0R:
			// Lane L of a repacked pair holds elements 4·(L/2).. of block L%2.
			for b := 0; b < nb; b += 2 {
				pair := row[18*(b0+b):]
				for l := 0; l < 8; l++ {
					v := le.Uint32(pair[4+4*l:])
					out := panel[(b+l%2)*bb:]
					le.PutUint32(out[(l/2)*128+4*r:], v&0x0f0f0f0f)
					le.PutUint32(out[(4+l/2)*128+4*r:], v>>4&0x0f0f0f0f)
				}
				le.PutUint32(panel[b*bb+1024+4*r:], math.Float32bits(f16At(pair, 0)))
				le.PutUint32(panel[(b+1)*bb+1024+4*r:], math.Float32bits(f16At(pair, 2)))
			}
		case Q8_0:
			for b := 0; b < nb; b++ {
				blk := row[34*(b0+b):]
				out := panel[b*bb:]
				for g := 0; g < 8; g++ {
					le.PutUint32(out[g*128+4*r:], le.Uint32(blk[2+4*g:])^0x80808080) // int8 + 128
				}
				le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 0)))
			}
		case Q6_K:
			for b := 0; b < nb; b++ {
				B := b0 + b
				packQ6_KBlock(panel[b*bb:], r, row[210*(B/8):], B%8)
			}
		case Q4_K:
			for b := 0; b < nb; b++ {
				packQ4_KBlock(panel[b*bb:], r, row[144*((b0+b)/8):], (b0+b)%8)
			}
		case Q4_1, Q5_0, Q5_1:
			// y = d·q + m (Q4_1, Q5_1) or d·(q − 16) (Q5_0, through the
			// activation offsets); bit j of the 32-bit qh is element j's
			// fifth bit.
			bsz, qsOff, qhOff, minOff := 20, 4, -1, 2
			switch w.Type {
			case Q5_0:
				bsz, qsOff, qhOff, minOff = 22, 6, 2, -1
			case Q5_1:
				bsz, qsOff, qhOff, minOff = 24, 8, 4, 2
			}
			for b := 0; b < nb; b++ {
				blk := row[bsz*(b0+b):]
				out := panel[b*bb:]
				var h uint32
				if qhOff >= 0 {
					h = le.Uint32(blk[qhOff:])
				}
				for g := 0; g < 4; g++ {
					v := le.Uint32(blk[qsOff+4*g:])
					le.PutUint32(out[g*128+4*r:], v&0x0f0f0f0f|fifthBits[h>>(4*g)&15])
					le.PutUint32(out[(4+g)*128+4*r:], v>>4&0x0f0f0f0f|fifthBits[h>>(16+4*g)&15])
				}
				le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 0)))
				if minOff >= 0 {
					le.PutUint32(out[1152+4*r:], math.Float32bits(-f16At(blk, minOff)))
				}
			}
		case Q5_K:
			// As Q4_K, plus bit j of qh[l] as the fifth bit of element l.
			for b := 0; b < nb; b++ {
				sb, j := (b0+b)/8, (b0+b)%8
				blk := row[176*sb:]
				sc, mn := kernels.ScaleMinK4(j, blk[4:16])
				qh, qs := blk[16:48], blk[48+32*(j/2):]
				out := panel[b*bb:]
				shift := uint(4 * (j % 2))
				for s := 0; s < 8; s++ {
					hi := le.Uint32(qh[4*s:]) >> uint(j) & 0x01010101 << 4
					le.PutUint32(out[s*128+4*r:], le.Uint32(qs[4*s:])>>shift&0x0f0f0f0f|hi)
				}
				le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 0)*float32(sc)))
				le.PutUint32(out[1152+4*r:], math.Float32bits(f16At(blk, 2)*float32(mn)))
			}
		default:
			panic("tensor: packQ8Panel: unsupported type " + w.Type.String())
		}
	}
}

// packQ6_KBlock writes the 32 values 32·j.. of the Q6_K block blk as row r
// of the panel block out, with one scale per 16 values: they are quarter
// k = j%4 of half j/4, low 4 bits from ql (high nibbles for k ≥ 2), high 2
// bits from qh (bits 2k), four at a time.
func packQ6_KBlock(out []byte, r int, blk []byte, j int) {
	le := binary.LittleEndian
	h, k := j/4, j%4
	ql := blk[64*h+32*(k&1):]
	qh := blk[128+32*h:]
	for s := 0; s < 8; s++ {
		lo := le.Uint32(ql[4*s:]) >> uint(4*(k/2)) & 0x0f0f0f0f
		hi := le.Uint32(qh[4*s:]) >> uint(2*k) & 0x03030303
		le.PutUint32(out[s*128+4*r:], lo|hi<<4)
	}
	d := f16At(blk, 208)
	le.PutUint32(out[1024+4*r:], math.Float32bits(d*float32(int8(blk[192+2*j]))))
	le.PutUint32(out[1152+4*r:], math.Float32bits(d*float32(int8(blk[193+2*j]))))
}

// packQ4_KBlock writes sub-block j of the Q4_K block blk as row r of the
// panel block out: the nibbles of 32-byte chunk j/2, low or high, with
// scale d·sc and min dmin·mn.
func packQ4_KBlock(out []byte, r int, blk []byte, j int) {
	le := binary.LittleEndian
	sc, mn := kernels.ScaleMinK4(j, blk[4:16])
	qs := blk[16+32*(j/2):]
	shift := uint(4 * (j % 2))
	for s := 0; s < 8; s++ {
		le.PutUint32(out[s*128+4*r:], le.Uint32(qs[4*s:])>>shift&0x0f0f0f0f)
	}
	le.PutUint32(out[1024+4*r:], math.Float32bits(f16At(blk, 0)*float32(sc)))
	le.PutUint32(out[1152+4*r:], math.Float32bits(f16At(blk, 2)*float32(mn)))
}

// fifthBits[x] has 0x10 in byte i where bit i of x is set: four fifth
// bits spread over four packed bytes.
var fifthBits = func() (t [16]uint32) {
	for x := range t {
		for i := 0; i < 4; i++ {
			if x>>i&1 != 0 {
				t[x] |= 0x10 << (8 * i)
			}
		}
	}
	return t
}()

func growI8(s []int8, n int) []int8 {
	if cap(s) < n {
		return make([]int8, n)
	}
	return s[:n]
}

func growI32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growF32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
