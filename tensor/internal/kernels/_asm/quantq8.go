package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// quantQ8AVX512 quantizes nb blocks of 32 floats to int8 as llama.cpp's
// Q8_0 activations, bit for bit what the generic Go code computes:
// d = max|x|/127, q = round(x·(1/d)) with rounding half away from zero
// (math.Round: truncate, then add ±1 where the dropped fraction is ≥ ½),
// q = 0 when d = 0. It stores q, d, the block's Σq and the Σq of its first
// 16 values.
func quantQ8AVX512() {
	TEXT("quantQ8AVX512", NOSPLIT, "func(x *float32, nb int, q *int8, d *float32, sum *int32, lo *int32)")
	Doc("quantQ8AVX512 quantizes nb blocks of 32 floats to int8 with per-block scales, sums and first-half sums (AVX-512F/BW).")
	x := Load(Param("x"), GP64())
	nb := Load(Param("nb"), GP64())
	q := Load(Param("q"), GP64())
	dp := Load(Param("d"), GP64())
	sp := Load(Param("sum"), GP64())
	lp := Load(Param("lo"), GP64())
	abs := bcastConst(0x7fffffff)
	sign := bcastConst(0x80000000)
	one := bcastConst(math.Float32bits(1))
	half := bcastConst(math.Float32bits(0.5))
	c127 := bcastConst(math.Float32bits(127))
	zero := ZMM()
	VXORPS(zero, zero, zero)
	Label("q8_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("q8_done"))
	z := []VecVirtual{ZMM(), ZMM()}
	VMOVUPS(Mem{Base: x}, z[0])
	VMOVUPS(Mem{Base: x, Disp: 64}, z[1])
	a0, a1 := ZMM(), ZMM()
	VANDPS(abs, z[0], a0)
	VANDPS(abs, z[1], a1)
	VMAXPS(a1, a0, a0)
	// Horizontal max into every lane of m.
	y := YMM()
	VEXTRACTF64X4(U8(1), a0, y)
	VMAXPS(y, a0.AsY(), y)
	xx := XMM()
	VEXTRACTF32X4(U8(1), y, xx)
	VMAXPS(xx, y.AsX(), xx)
	t := XMM()
	VMOVHLPS(xx, xx, t)
	VMAXPS(t, xx, xx)
	VMOVSHDUP(xx, t)
	VMAXSS(t, xx, xx)
	dd := XMM()
	VDIVSS(c127.AsX(), xx, dd) // d = amax/127
	VMOVSS(dd, Mem{Base: dp})
	id := XMM()
	VDIVSS(dd, one.AsX(), id) // 1/d
	idz, dz := ZMM(), ZMM()
	VBROADCASTSS(id, idz)
	VBROADCASTSS(dd, dz)
	nz := K()
	VCMPPS(U8(4), zero, dz, nz) // d ≠ 0
	r := []VecVirtual{ZMM(), ZMM()}
	for h := 0; h < 2; h++ {
		p := ZMM()
		VMULPS_Z(idz, z[h], nz, p) // x·(1/d), 0 where d = 0
		tr := ZMM()
		VRNDSCALEPS(U8(0x0b), p, tr) // truncate (no precision exception)
		f := ZMM()
		VSUBPS(tr, p, f)
		VANDPS(abs, f, f)
		up := K()
		VCMPPS(U8(0x1d), half, f, up) // |fraction| ≥ ½
		s := ZMM()
		VANDPS(sign, p, s)
		VORPS(one, s, s) // ±1 with the sign of x
		VADDPS(s, tr, up, tr)
		VCVTTPS2DQ(tr, r[h])
		VPMOVSDB(r[h], Mem{Base: q, Disp: 16 * h})
	}
	storeSum := func(v VecVirtual, m Mem) {
		y := YMM()
		VEXTRACTI64X4(U8(1), v, y)
		VPADDD(y, v.AsY(), y)
		xx := XMM()
		VEXTRACTI32X4(U8(1), y, xx)
		VPADDD(xx, y.AsX(), xx)
		t := XMM()
		VPSHUFD(U8(0x4e), xx, t)
		VPADDD(t, xx, xx)
		VPSHUFD(U8(0xb1), xx, t)
		VPADDD(t, xx, xx)
		VMOVD(xx, m)
	}
	storeSum(r[0], Mem{Base: lp})
	all := ZMM()
	VPADDD(r[1], r[0], all)
	storeSum(all, Mem{Base: sp})
	ADDQ(U8(128), x)
	ADDQ(U8(32), q)
	ADDQ(U8(4), dp)
	ADDQ(U8(4), sp)
	ADDQ(U8(4), lp)
	DECQ(nb)
	JMP(LabelRef("q8_loop"))
	Label("q8_done")
	VZEROUPPER()
	RET()
}
