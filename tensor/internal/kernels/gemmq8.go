package kernels

// The int8 prefill GEMM: panels of 32 weight rows stored per block of 32
// values of k as 8 steps of [32 rows][4 unsigned bytes] followed by the 32
// rows' float32 scales (Q8BlockBytes bytes per block), multiplied by signed
// 8-bit activations with VPDPBUSD.

// Q8BlockBytes is the size of one packed block of a 32-row int8 panel.
const Q8BlockBytes = 1152

// Q8MinBlockBytes is the size of one packed block with row offsets (GemmQ8Min).
const Q8MinBlockBytes = 1280

// Q8Tile is the number of tokens GemmQ8 handles per call.
const Q8Tile = 6

// GemmKind names the int8 GEMM kernel a weight type needs.
type GemmKind int

const (
	GemmPlain GemmKind = iota // GemmQ8 with weights ≤ 127 (Q4_0, Q5_0)
	GemmWide                  // GemmQ8 with weights up to 255 (Q8_0, stored +128)
	GemmMin                   // GemmQ8Min (Q4_1, Q5_1, Q4_K, Q5_K)
	GemmS16                   // GemmQ8S16 (Q6_K)
)

// HasGemmQ8 reports whether the current tier has an int8 GEMM kernel of
// kind k: AVX-512 VNNI has all; AVX2, whose VPMADDUBSW saturates 16-bit
// pair sums, has GemmPlain and GemmMin (weights ≤ 127), not GemmWide nor
// GemmS16.
func HasGemmQ8(k GemmKind) bool {
	switch k {
	case GemmPlain:
		return current.gemmQ8 != nil
	case GemmWide:
		return current.gemmQ8 != nil && current.gemmQ8Wide
	case GemmMin:
		return current.gemmQ8Min != nil
	case GemmS16:
		return current.gemmQ8S16 != nil
	}
	return false
}

// GemmQ8 computes a 32-row × Q8Tile-token tile: c[i·ldc + r] (+)=
// Σ_b dw[b][r]·xd[b·ldb + i]·(xi[b·ldb + i] + Σ_k w[b][k][r]·x[i·ldx + 32b + k])
// over nb blocks.
func GemmQ8(w []byte, x []int8, ldx int, xd []float32, xi []int32, ldb, nb int, c []float32, ldc int, add bool) {
	if nb <= 0 {
		return
	}
	_ = w[nb*Q8BlockBytes-1]
	_ = x[(Q8Tile-1)*ldx+32*nb-1]
	_ = xd[(nb-1)*ldb+Q8Tile-1]
	_ = xi[(nb-1)*ldb+Q8Tile-1]
	_ = c[(Q8Tile-1)*ldc+31]
	if current.gemmQ8 == nil {
		gemmQ8Go(w, x, ldx, xd, xi, ldb, nb, c, ldc, add)
		return
	}
	a := 0
	if add {
		a = 1
	}
	current.gemmQ8(&w[0], &x[0], ldx, &xd[0], &xi[0], ldb, nb, &c[0], ldc, a)
}

func gemmQ8Go(w []byte, x []int8, ldx int, xd []float32, xi []int32, ldb, nb int, c []float32, ldc int, add bool) {
	for i := 0; i < Q8Tile; i++ {
		var acc [32]float32
		if add {
			copy(acc[:], c[i*ldc:i*ldc+32])
		}
		for b := 0; b < nb; b++ {
			blk := w[b*Q8BlockBytes:]
			xs := x[i*ldx+32*b:]
			for r := 0; r < 32; r++ {
				sum := xi[b*ldb+i]
				for k := 0; k < 32; k++ {
					sum += int32(blk[(k/4)*128+r*4+k%4]) * int32(xs[k])
				}
				acc[r] += getF32(blk[1024+4*r:]) * xd[b*ldb+i] * float32(sum)
			}
		}
		copy(c[i*ldc:i*ldc+32], acc[:])
	}
}

// GemmQ8Min is GemmQ8 for panels whose blocks (Q8MinBlockBytes each) also
// hold 32 float32 row offsets m after the scales: the result gains
// −m[b][r]·xs[b·ldb + i], xs being the activations' dequantized block sums
// (Q4_K's mins).
func GemmQ8Min(w []byte, x []int8, ldx int, xd []float32, xi []int32, ldb, nb int, c []float32, ldc int, add bool, xs []float32) {
	if nb <= 0 {
		return
	}
	_ = w[nb*Q8MinBlockBytes-1]
	_ = x[(Q8Tile-1)*ldx+32*nb-1]
	_ = xd[(nb-1)*ldb+Q8Tile-1]
	_ = xi[(nb-1)*ldb+Q8Tile-1]
	_ = xs[(nb-1)*ldb+Q8Tile-1]
	_ = c[(Q8Tile-1)*ldc+31]
	if current.gemmQ8Min == nil {
		gemmQ8MinGo(w, x, ldx, xd, xi, ldb, nb, c, ldc, add, xs)
		return
	}
	a := 0
	if add {
		a = 1
	}
	current.gemmQ8Min(&w[0], &x[0], ldx, &xd[0], &xi[0], ldb, nb, &c[0], ldc, a, &xs[0])
}

func gemmQ8MinGo(w []byte, x []int8, ldx int, xd []float32, xi []int32, ldb, nb int, c []float32, ldc int, add bool, xs []float32) {
	for i := 0; i < Q8Tile; i++ {
		var acc [32]float32
		if add {
			copy(acc[:], c[i*ldc:i*ldc+32])
		}
		for b := 0; b < nb; b++ {
			blk := w[b*Q8MinBlockBytes:]
			xr := x[i*ldx+32*b:]
			for r := 0; r < 32; r++ {
				sum := xi[b*ldb+i]
				for k := 0; k < 32; k++ {
					sum += int32(blk[(k/4)*128+r*4+k%4]) * int32(xr[k])
				}
				acc[r] += getF32(blk[1024+4*r:])*xd[b*ldb+i]*float32(sum) - getF32(blk[1152+4*r:])*xs[b*ldb+i]
			}
		}
		copy(c[i*ldc:i*ldc+32], acc[:])
	}
}

// GemmQ8S16 is GemmQ8 for weights with a scale per 16 values (Q6_K): its
// blocks (Q8MinBlockBytes each) hold two sets of 32 row scales, for
// values 0-15 (at 1024) and 16-31 (at 1152), and xi holds two offset terms
// per block: xi[2b·ldb + i] for the first half, xi[(2b+1)·ldb + i] for the
// second.
func GemmQ8S16(w []byte, x []int8, ldx int, xd []float32, xi []int32, ldb, nb int, c []float32, ldc int, add bool) {
	if nb <= 0 {
		return
	}
	_ = w[nb*Q8MinBlockBytes-1]
	_ = x[(Q8Tile-1)*ldx+32*nb-1]
	_ = xd[(nb-1)*ldb+Q8Tile-1]
	_ = xi[(2*nb-1)*ldb+Q8Tile-1]
	_ = c[(Q8Tile-1)*ldc+31]
	if current.gemmQ8S16 == nil {
		gemmQ8S16Go(w, x, ldx, xd, xi, ldb, nb, c, ldc, add)
		return
	}
	a := 0
	if add {
		a = 1
	}
	current.gemmQ8S16(&w[0], &x[0], ldx, &xd[0], &xi[0], ldb, nb, &c[0], ldc, a)
}

func gemmQ8S16Go(w []byte, x []int8, ldx int, xd []float32, xi []int32, ldb, nb int, c []float32, ldc int, add bool) {
	for i := 0; i < Q8Tile; i++ {
		var acc [32]float32
		if add {
			copy(acc[:], c[i*ldc:i*ldc+32])
		}
		for b := 0; b < nb; b++ {
			blk := w[b*Q8MinBlockBytes:]
			xr := x[i*ldx+32*b:]
			for r := 0; r < 32; r++ {
				var v float32
				for half := 0; half < 2; half++ {
					sum := xi[(2*b+half)*ldb+i]
					for k := 16 * half; k < 16*half+16; k++ {
						sum += int32(blk[(k/4)*128+r*4+k%4]) * int32(xr[k])
					}
					v += getF32(blk[1024+128*half+4*r:]) * float32(sum)
				}
				acc[r] += xd[b*ldb+i] * v
			}
		}
		copy(c[i*ldc:i*ldc+32], acc[:])
	}
}

// PanelLayout names a 16-row interleaved layout that PackPanelX16 packs.
type PanelLayout uint8

// The layouts PackPanelX16 knows; PanelNone is the zero value.
const (
	PanelNone    PanelLayout = iota
	PanelQ4_0X16             // into a GemmQ8 panel: low nibbles steps 0-3, high nibbles 4-7
	PanelQ8_0X16             // into a GemmQ8 panel: steps copied
	PanelQ4_KX16             // into a GemmQ8Min panel: sub-block nibbles, d·sc and dmin·m
	PanelQ6_KX16             // into a GemmQ8S16 panel: 6-bit values, d·scale of both 16-value groups
)

// PackPanelX16 writes 32-value blocks [b0, b0+nb) of one 16-row group of
// layout l (group: the group's data from its start) into half of an int8
// GEMM panel (dst at the first block's row offset: byte 0 for rows 0-15,
// 64 for rows 16-31), byte for byte as package tensor's Go packer does,
// with the f16 scales as float32. It reports false, doing nothing, when
// the tier has no kernel for l; the caller then packs in Go.
func PackPanelX16(l PanelLayout, dst, group []byte, b0, nb int) bool {
	if nb <= 0 {
		return true
	}
	switch l {
	case PanelQ4_0X16, PanelQ8_0X16:
		k, sb := current.packQ8_0X16, 544
		if l == PanelQ4_0X16 {
			k, sb = current.packQ4_0X16, 288
		}
		if k == nil {
			return false
		}
		src := group[sb*b0 : sb*(b0+nb)]
		_ = dst[(nb-1)*Q8BlockBytes+1024+63]
		k(&dst[0], &src[0], nb)
	case PanelQ4_KX16, PanelQ6_KX16:
		k, sb := current.packQ4_KX16, q4kxBlock
		if l == PanelQ6_KX16 {
			k, sb = current.packQ6_KX16, q6kxBlock
		}
		if k == nil {
			return false
		}
		_ = group[((b0+nb-1)/8+1)*sb-1]
		_ = dst[(nb-1)*Q8MinBlockBytes+1152+63]
		k(&dst[0], &group[0], b0, nb)
	default:
		return false
	}
	return true
}
