package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Half-precision rows interleaved 16 at a time (F16X16 and BF16X16, see
// RepackHalfX16 in halfx.go): element k of row r of a group is the 2-byte
// value at 2·(16k + r), so the 16 rows' weights of one column are 32
// contiguous bytes, one VCVTPH2PS (or VPMOVZXWD + VPSLLD for bfloat16)
// from a ZMM of floats whose lane r is row r. Decoding then streams one
// sequential run of memory per group with no horizontal sums, and the GEMM
// converts a chunk of each group with one vectorised pass (no transposing
// pack) before gemmF32X16 multiplies it.

// loadHalf16 converts the 16 half-precision values at m into a ZMM of floats.
func loadHalf16(bf bool, m Mem) VecVirtual {
	z := ZMM()
	if bf {
		VPMOVZXWD(m, z)
		VPSLLD(U8(16), z, z)
	} else {
		y := YMM()
		VMOVDQU32(m, y)
		VCVTPH2PS(y, z)
	}
	return z
}

func halfName(bf bool) string {
	if bf {
		return "BF16"
	}
	return "F16"
}

// dotHalfX16AVX512 computes dst[16g + r] = Σ_k w_g[k][r]·x[k] for groups
// consecutive 16-row groups of cols columns each: per column one
// conversion and one FMA against the broadcast activation, over four
// independent accumulators, one group (one sequential stream) at a time.
// Streaming two groups at once won in BenchmarkDecodeLayouts (one 197 MB
// matrix read over and over: 26 → 39 GB/s) but not in the model:
// alternating the two kernels token by token in one process (Phi-3-mini
// F16, 2 threads), one stream was as fast or faster in each of five runs
// (mean ms per token 249/253, 180/196, 240/242, 173/188, 234/239).
func dotHalfX16AVX512(bf bool) {
	name := fmt.Sprintf("dot%sX16AVX512", halfName(bf))
	TEXT(name, NOSPLIT, "func(w *byte, groups int, cols int, x *float32, dst *float32)")
	Doc(fmt.Sprintf("%s computes 16·groups dot products of 16-row-interleaved %s rows with x (AVX-512F); cols %% 8 == 0.", name, halfName(bf)))
	w := Load(Param("w"), GP64())
	groups := Load(Param("groups"), GP64())
	dst := Load(Param("dst"), GP64())
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("group"))
	CMPQ(groups, U8(1))
	JL(LabelRef(lbl("end")))
	n := Load(Param("cols"), GP64())
	xp := Load(Param("x"), GP64())
	acc := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	const unroll = 8
	Label(lbl("loop"))
	CMPQ(n, U8(unroll))
	JL(LabelRef(lbl("done")))
	for u := 0; u < unroll; u++ {
		v := loadHalf16(bf, Mem{Base: w, Disp: 32 * u})
		b := ZMM()
		VBROADCASTSS(Mem{Base: xp, Disp: 4 * u}, b)
		VFMADD231PS(b, v, acc[u%4])
	}
	ADDQ(U32(32*unroll), w)
	ADDQ(U8(4*unroll), xp)
	SUBQ(U8(unroll), n)
	JMP(LabelRef(lbl("loop")))
	Label(lbl("done"))
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	VMOVUPS(acc[0], Mem{Base: dst})
	ADDQ(U8(64), dst)
	DECQ(groups)
	JMP(LabelRef(lbl("group")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// gemmF32X16AVX512 is gemmPackedAVX512 with its 32 rows as two runs of
// kc×16 floats (wa: rows 0-15, wb: rows 16-31, each [k][16]: an F16X16 or
// BF16X16 group chunk converted by CvtF16/CvtBF16) and the T tokens'
// activations packed by PackTokens (x[T·k + i]), so the broadcasts read
// one contiguous run instead of T rows a power-of-two stride apart (which
// alias in the L1 cache).
func gemmF32X16AVX512(T int) {
	name := fmt.Sprintf("gemmF32X16_%dAVX512", T)
	TEXT(name, NOSPLIT, "func(wa *float32, wb *float32, x *float32, kc int, c *float32, ldc int, add int)")
	Doc(fmt.Sprintf("%s adds (or stores) a 32×%d tile of W·xᵀ into c, W two [k][16] float runs, x packed by PackTokens (AVX-512F); ldc in elements.", name, T))
	wa := Load(Param("wa"), GP64())
	wb := Load(Param("wb"), GP64())
	gemmTileAVX512(name, T, true, func(u int) (VecVirtual, VecVirtual) {
		w0, w1 := ZMM(), ZMM()
		VMOVUPS(Mem{Base: wa, Disp: 64 * u}, w0)
		VMOVUPS(Mem{Base: wb, Disp: 64 * u}, w1)
		return w0, w1
	}, func(n int) {
		ADDQ(U32(64*n), wa)
		ADDQ(U32(64*n), wb)
	}, fmaPS)
}
