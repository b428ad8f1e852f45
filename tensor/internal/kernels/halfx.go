package kernels

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// Half-precision rows interleaved 16 at a time (the F16X16 and BF16X16
// layouts): in a group of 16 rows of cols 2-byte values, element k of row
// r sits at byte 2·(16k + r). The 16 rows' values of one column are then
// one 32-byte load that converts into a vector of floats whose lane r is
// row r: decoding streams each group sequentially with no horizontal sums,
// and the GEMM reads its 32-row panels (two groups) straight from the
// weights instead of converting and transposing them first.

// CanRepackF16X16 reports whether the current tier has the F16X16 kernels.
func CanRepackF16X16() bool { return current.dotF16X16 != nil }

// CanRepackBF16X16 reports whether the current tier has the BF16X16 kernels.
func CanRepackBF16X16() bool { return current.dotBF16X16 != nil }

// RepackHalfX16 rearranges 16 consecutive rows of cols 2-byte values
// (16·2·cols bytes) in place into the interleaved layout.
func RepackHalfX16(group []byte, cols int) {
	n := 32 * cols
	buf := repackScratch(n)
	defer repackBufs.Put(buf)
	tmp := *buf
	copy(tmp, group[:n])
	if k := current.repackHalfX16; k != nil && cols%16 == 0 {
		// One 16×16 transpose of words per 16 columns (tmp stays in L2).
		k(unsafe.SliceData(group), unsafe.SliceData(tmp), cols)
		return
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(group)))%2 != 0 { // odd address: bytes
		for r := 0; r < 16; r++ {
			row := tmp[2*cols*r : 2*cols*(r+1)]
			for k := 0; k < cols; k++ {
				group[32*k+2*r], group[32*k+2*r+1] = row[2*k], row[2*k+1]
			}
		}
		return
	}
	src := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(tmp))), 16*cols)
	dst := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(group))), 16*cols)
	// Sequential writes, 16 sequential read streams.
	var rows [16][]uint16
	for r := range rows {
		rows[r] = src[r*cols : (r+1)*cols]
	}
	for k := 0; k < cols; k++ {
		d := dst[16*k : 16*k+16]
		d[0], d[1], d[2], d[3] = rows[0][k], rows[1][k], rows[2][k], rows[3][k]
		d[4], d[5], d[6], d[7] = rows[4][k], rows[5][k], rows[6][k], rows[7][k]
		d[8], d[9], d[10], d[11] = rows[8][k], rows[9][k], rows[10][k], rows[11][k]
		d[12], d[13], d[14], d[15] = rows[12][k], rows[13][k], rows[14][k], rows[15][k]
	}
}

func bf16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// DequantF16X16Row converts row r (0..15) of an F16X16 group into dst
// (len(dst) = cols).
func DequantF16X16Row(group []byte, r int, dst []float32) {
	for k := range dst {
		dst[k] = f16(binary.LittleEndian.Uint16(group[32*k+2*r:]))
	}
}

// DequantBF16X16Row converts row r (0..15) of a BF16X16 group into dst.
func DequantBF16X16Row(group []byte, r int, dst []float32) {
	for k := range dst {
		dst[k] = bf16(binary.LittleEndian.Uint16(group[32*k+2*r:]))
	}
}

// DotF16X16 computes dst[16·g + r] = row r of group g · x for groups
// consecutive F16X16 groups of len(x) columns.
func DotF16X16(w []byte, groups int, x, dst []float32) {
	dotHalfX16(current.dotF16X16, f16, w, groups, x, dst)
}

// DotBF16X16 is DotF16X16 for BF16X16 groups.
func DotBF16X16(w []byte, groups int, x, dst []float32) {
	dotHalfX16(current.dotBF16X16, bf16, w, groups, x, dst)
}

func dotHalfX16(k func(w *byte, groups, cols int, x *float32, dst *float32), cvt func(uint16) float32, w []byte, groups int, x, dst []float32) {
	cols := len(x)
	if groups <= 0 || cols == 0 {
		return
	}
	_ = w[groups*32*cols-1]
	_ = dst[16*groups-1]
	if k != nil && cols%8 == 0 {
		k(unsafe.SliceData(w), groups, cols, unsafe.SliceData(x), unsafe.SliceData(dst))
		return
	}
	for g := 0; g < groups; g++ {
		var acc [16]float32
		grp := w[g*32*cols:]
		for c, xv := range x {
			for r := range acc {
				acc[r] += cvt(binary.LittleEndian.Uint16(grp[32*c+2*r:])) * xv
			}
		}
		copy(dst[16*g:], acc[:])
	}
}

// PackTokens stores the kc activations x[i·ldx + k] (k < kc) of toks tokens
// in the order the half-precision GEMM reads them: tokens in tiles of
// TokenTile(toks, i) tokens, each tile as kc groups of its tokens' values
// (the tile starting at token i0 of size T holds x[i0+j][k] at
// dst[i0·kc + T·k + j]). dst needs toks·kc floats.
func PackTokens(dst, x []float32, ldx, toks, kc int) {
	_ = dst[toks*kc-1]
	for i0 := 0; i0 < toks; {
		T := TokenTile(toks, i0)
		tile := dst[i0*kc : (i0+T)*kc]
		for j := 0; j < T; j++ {
			row := x[(i0+j)*ldx : (i0+j)*ldx+kc]
			for k, v := range row {
				tile[T*k+j] = v
			}
		}
		i0 += T
	}
}

// TokenTile returns the size of the token tile that starts at token i of
// a batch of toks tokens: tiles of 12 while 12 remain, then 8, 4, 2, 1.
func TokenTile(toks, i int) int {
	for _, t := range gemmTokenTiles {
		if toks-i >= t {
			return t
		}
	}
	return 1
}

// GemmF32X16 computes, for 32 weight rows given as two runs of kc×16
// floats (wa: rows 0-15, wb: rows 16-31, value k of row r at [16k + r]:
// an F16X16 or BF16X16 group chunk converted with CvtF16 or CvtBF16),
// c[i·ldc + r] (+)= Σ_{k<kc} w[r][k]·x_i[k] for i < toks, with the
// activations x packed by PackTokens (same toks and kc); add selects
// accumulation into c. wb may equal wa when only 16 rows exist (rows 16-31
// of c then repeat rows 0-15).
func GemmF32X16(wa, wb []float32, kc int, x []float32, c []float32, ldc, toks int, add bool) {
	gemmX16(current.gemmF32X16, func(w, x float32) float32 { return w * x }, wa, wb, kc, x, c, ldc, toks, add)
}

// gemmX16 runs GemmF32X16 or GemmBF16X16 (element E: a float, or a pair
// of bfloat16 in a uint32) tile by tile: with the tier's kernel for the
// tile's token count, or in Go with prod as the product of one weight
// element and one activation element.
func gemmX16[E float32 | uint32](kern map[int]func(wa, wb, x *E, kc int, c *float32, ldc, add int), prod func(w, x E) float32,
	wa, wb []E, kc int, x []E, c []float32, ldc, toks int, add bool) {
	if toks <= 0 || kc <= 0 {
		return
	}
	_ = wa[16*kc-1]
	_ = wb[16*kc-1]
	_ = x[toks*kc-1]
	_ = c[(toks-1)*ldc+PanelRows-1]
	a := 0
	if add {
		a = 1
	}
	for i0 := 0; i0 < toks; {
		T := TokenTile(toks, i0)
		tile := x[i0*kc : (i0+T)*kc]
		if f := kern[T]; f != nil {
			f(&wa[0], &wb[0], &tile[0], kc, &c[i0*ldc], ldc, a)
			i0 += T
			continue
		}
		for j := 0; j < T; j++ {
			ci := c[(i0+j)*ldc : (i0+j)*ldc+PanelRows]
			for r := 0; r < PanelRows; r++ {
				g, rr := wa, r
				if r >= 16 {
					g, rr = wb, r-16
				}
				var s float32
				for kk := 0; kk < kc; kk++ {
					s += prod(g[16*kk+rr], tile[T*kk+j])
				}
				if add {
					ci[r] += s
				} else {
					ci[r] = s
				}
			}
		}
		i0 += T
	}
}

// gemmTokenTiles are the token counts of the AVX-512 GEMM kernels
// (GemmPacked, GemmF32X16), largest first.
var gemmTokenTiles = []int{12, 8, 4, 2, 1}

// Bfloat16 products for the half-precision GEMM. With AVX512_BF16 one
// VDPBF16PS does twice the multiply-adds of a VFMADD231PS at the same
// rate, so prompts multiply F16X16 and BF16X16 weights as bfloat16 pairs:
// each 32-row panel chunk is converted to pairs (CvtF16Pairs,
// CvtBF16Pairs), the activations are rounded to bfloat16 once per product
// (PackTokensBF16), and GemmBF16X16 accumulates in float32. BF16 weights
// are used exactly; F16 weights are rounded to bfloat16 (exact for
// weights that came from a bfloat16 checkpoint, as Phi-3's did, within
// F16's normal range). The activations' rounding is what llama.cpp does
// for BF16 weights.

// CanBF16Dot reports whether the current tier has bfloat16 dot products
// (GemmBF16X16 in hardware).
func CanBF16Dot() bool { return current.gemmBF16X16 != nil }

// bf16Round rounds the float32 with bits b to bfloat16, to nearest even.
// NaNs whose payload is only in the low 16 bits become infinities; no
// value converted from IEEE half precision is one of them.
func bf16Round(b uint32) uint32 { return (b + 0x7fff + (b>>16)&1) >> 16 }

// CvtF16Pairs converts the first 2·len(dst)/16 columns of an F16X16 group
// chunk (src, 32 bytes per column) to bfloat16 pairs: dst[16p + r] =
// bf16(w[r][2p]) | bf16(w[r][2p+1])<<16, rounded to nearest even.
// len(dst) is a multiple of 16.
func CvtF16Pairs(dst []uint32, src []byte) {
	cvtHalfPairs(current.cvtF16Pairs, func(h uint16) uint32 { return bf16Round(math.Float32bits(f16(h))) }, dst, src)
}

// CvtBF16Pairs is CvtF16Pairs for a BF16X16 chunk (no rounding).
func CvtBF16Pairs(dst []uint32, src []byte) {
	cvtHalfPairs(current.cvtBF16Pairs, func(h uint16) uint32 { return uint32(h) }, dst, src)
}

func cvtHalfPairs(k func(dst *uint32, src *byte, np int), cvt func(uint16) uint32, dst []uint32, src []byte) {
	np := len(dst) / 16
	if np == 0 {
		return
	}
	_ = src[64*np-1]
	if k != nil {
		k(unsafe.SliceData(dst), unsafe.SliceData(src), np)
		return
	}
	for p := 0; p < np; p++ {
		for r := 0; r < 16; r++ {
			lo := cvt(binary.LittleEndian.Uint16(src[64*p+2*r:]))
			hi := cvt(binary.LittleEndian.Uint16(src[64*p+32+2*r:]))
			dst[16*p+r] = lo | hi<<16
		}
	}
}

// PackTokensBF16 is PackTokens for GemmBF16X16: the kc activations (kc
// even) of each token as kc/2 bfloat16 pairs, rounded to nearest even;
// the tile starting at token i0 of size T holds the pair p of token i0+j
// at dst[i0·kc/2 + T·p + j]. dst needs toks·kc/2 values.
func PackTokensBF16(dst []uint32, x []float32, ldx, toks, kc int) {
	kp := kc / 2
	_ = dst[toks*kp-1]
	for i0 := 0; i0 < toks; {
		T := TokenTile(toks, i0)
		tile := dst[i0*kp : (i0+T)*kp]
		for j := 0; j < T; j++ {
			row := x[(i0+j)*ldx : (i0+j)*ldx+2*kp]
			for p := 0; p < kp; p++ {
				lo := bf16Round(math.Float32bits(row[2*p]))
				hi := bf16Round(math.Float32bits(row[2*p+1]))
				tile[T*p+j] = lo | hi<<16
			}
		}
		i0 += T
	}
}

// GemmBF16X16 is GemmF32X16 on bfloat16 pairs: wa and wb hold 16 rows
// each as kp steps of 16 pairs (CvtF16Pairs), x the toks tokens' pairs
// (PackTokensBF16 with kc = 2·kp), and c[i·ldc + r] (+)= Σ_{p<kp}
// w[r][2p]·x_i[2p] + w[r][2p+1]·x_i[2p+1], accumulated in float32.
func GemmBF16X16(wa, wb []uint32, kp int, x []uint32, c []float32, ldc, toks int, add bool) {
	gemmX16(current.gemmBF16X16, func(w, v uint32) float32 {
		return bf16(uint16(w))*bf16(uint16(v)) + bf16(uint16(w>>16))*bf16(uint16(v>>16))
	}, wa, wb, kp, x, c, ldc, toks, add)
}
