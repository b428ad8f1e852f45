package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// ropeKernels generates the rotary-embedding and float32 → half kernels of
// the prompt's RoPE-and-cache pass, for AVX-512 (16 lanes) and AVX2 (8).
func ropeKernels() {
	for _, w := range []int{16, 8} {
		ropeHalf(w)
		cvtF32F16(w)
	}
}

func vecOf(w int) func() reg.VecVirtual {
	if w == 16 {
		return ZMM
	}
	return YMM
}

func tierName(w int) string {
	if w == 16 {
		return "AVX512"
	}
	return "AVX2"
}

// ropeHalf: for j < n, (v[j], v[j+half]) ← (v[j]·c − v[j+half]·s,
// v[j+half]·c + v[j]·s) with c = cos[j], s = sin[j]: NeoX rotate-half.
// Products and sums are rounded one at a time, as the Go twin's, so the
// two agree bit for bit. n is a multiple of the lane count.
func ropeHalf(w int) {
	name := "ropeHalf" + tierName(w)
	TEXT(name, NOSPLIT, "func(v *float32, cos *float32, sin *float32, half int, n int)")
	Doc(name + " rotates n pairs (v[j], v[j+half]) by cos[j], sin[j] (NeoX rotate-half); n a multiple of the lane count.")
	vp := Load(Param("v"), GP64())
	cp := Load(Param("cos"), GP64())
	sp := Load(Param("sin"), GP64())
	h := Load(Param("half"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(U8(2), h)
	vec := vecOf(w)
	loop, done := name+"_loop", name+"_done"
	Label(loop)
	CMPQ(n, U8(w))
	JL(LabelRef(done))
	x0, x1, c, s, t, u := vec(), vec(), vec(), vec(), vec(), vec()
	VMOVUPS(Mem{Base: vp}, x0)
	VMOVUPS(Mem{Base: vp, Index: h, Scale: 1}, x1)
	VMOVUPS(Mem{Base: cp}, c)
	VMOVUPS(Mem{Base: sp}, s)
	VMULPS(c, x0, t)
	VMULPS(s, x1, u)
	VSUBPS(u, t, t) // x0·c − x1·s
	VMULPS(c, x1, u)
	VMULPS(s, x0, x0)
	VADDPS(x0, u, u) // x1·c + x0·s
	VMOVUPS(t, Mem{Base: vp})
	VMOVUPS(u, Mem{Base: vp, Index: h, Scale: 1})
	ADDQ(U8(4*w), vp)
	ADDQ(U8(4*w), cp)
	ADDQ(U8(4*w), sp)
	SUBQ(U8(w), n)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}

// cvtF32F16: dst[i] = half(src[i]), rounded to nearest even (VCVTPS2PH
// with immediate 0); n a multiple of the lane count.
func cvtF32F16(w int) {
	name := "cvtF32F16" + tierName(w)
	TEXT(name, NOSPLIT, "func(dst *uint16, src *float32, n int)")
	Doc(name + " converts n float32 values to IEEE halves, rounding to nearest even; n a multiple of the lane count.")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	loop, done := name+"_loop", name+"_done"
	Label(loop)
	CMPQ(n, U8(w))
	JL(LabelRef(done))
	x := vecOf(w)()
	VMOVUPS(Mem{Base: sp}, x)
	VCVTPS2PH(U8(0), x, Mem{Base: d})
	ADDQ(U8(4*w), sp)
	ADDQ(U8(2*w), d)
	SUBQ(U8(w), n)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}
