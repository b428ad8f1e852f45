// Command asm generates gophi's amd64 kernels with avo:
//
//	go run . -out ../kernels_amd64.s -stubs ../stubs_amd64.go -pkg kernels
//
// Every kernel here has a pure-Go twin in kernels_generic.go that the tests
// compare it with. Kernels take raw pointers and counts; the Go wrappers in
// kernels.go check lengths and handle tails.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	flag.IntVar(&prefetchAhead, "prefetch", prefetchAhead, "prefetch distance in bytes")
	ConstraintExpr("!purego")

	dotF32AVX512()
	dotF16AVX512()
	dotBF16AVX512()
	axpyF32AVX512()
	maxF32AVX512()
	dotQ8_0VNNI()
	dotQ4_0VNNI()
	dotQ4_0x2VNNI()
	dotQ4_0RVNNI()
	dotQ4_0X16VNNI()
	dotHalfX16AVX512(false)
	dotHalfX16AVX512(true)
	for _, t := range gemmTokenTiles {
		gemmF32X16AVX512(t)
	}
	for _, t := range gemmTokenTiles {
		gemmBF16X16AVX512(t)
	}
	for _, t := range gemmTokenTiles {
		gemmPackedAVX512(t)
	}
	gemmQ8VNNI(false)
	gemmQ8VNNI(true)
	gemmQ8S16VNNI()
	dotQ4_KVNNI()
	dotQ5_KVNNI()
	dotQ4_KX16VNNI()
	dotQ6_KX16VNNI()
	dotQ8_0X16VNNI()
	dotQ6_KVNNI()
	for _, lt := range legacyTypes {
		dotLegacyVNNI(lt)
	}
	dotRowsAVX512(false)
	dotRowsAVX512(true)
	wsumAVX512(false)
	wsumAVX512(true)
	expSubAVX512()
	swigluAVX512()
	quantQ8AVX512()
	wsumQ8_0AVX512()
	cvtF16AVX512()
	cvtBF16AVX512()
	packX16PanelAVX512(true)
	packX16PanelAVX512(false)
	packQ4_KX16PanelAVX512()
	packQ6_KX16PanelAVX512()
	repackHalfX16AVX512()
	cvtHalfPairsAVX512(false)
	cvtHalfPairsAVX512(true)
	dequantQ8_0AVX512()
	dequantQ4_0AVX512()
	dequantQ4_KAVX512()
	dequantQ6_KAVX512()

	avx2Kernels()
	ropeKernels()

	Generate()
	if err := encodeBF16(flag.Lookup("out").Value.String()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// hsumZ reduces the 16 lanes of z to a float32 scalar in the low lane of
// the returned XMM.
func hsumZ(z VecVirtual) VecVirtual {
	y := YMM()
	VEXTRACTF64X4(U8(1), z, y)
	lo := z.AsY()
	VADDPS(y, lo, y)
	x := XMM()
	VEXTRACTF32X4(U8(1), y, x) // EVEX: the registers may be Y16..Y31
	VADDPS(x, y.AsX(), x)
	return hsumX(x)
}

// hsumY reduces the 8 lanes of y to a scalar in the low lane of an XMM.
func hsumY(y VecVirtual) VecVirtual {
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	VADDPS(x, y.AsX(), x)
	return hsumX(x)
}

// hsumX reduces the 4 lanes of x to a scalar in its low lane.
func hsumX(x VecVirtual) VecVirtual {
	t := XMM()
	VMOVHLPS(x, x, t)
	VADDPS(t, x, x)
	VMOVSHDUP(x, t)
	VADDSS(t, x, x)
	return x
}

// dotF32AVX512: Σ a[i]·b[i], n a multiple of 16.
func dotF32AVX512() {
	TEXT("dotF32AVX512", NOSPLIT, "func(a, b *float32, n int) float32")
	Doc("dotF32AVX512 returns Σ a[i]·b[i] for n a multiple of 16 (AVX-512F).")
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	for _, z := range acc {
		VXORPS(z, z, z)
	}
	Label("f32_loop4")
	CMPQ(n, U8(64))
	JL(LabelRef("f32_loop1"))
	for i, z := range acc {
		t := ZMM()
		VMOVUPS(Mem{Base: a, Disp: 64 * i}, t)
		VFMADD231PS(Mem{Base: b, Disp: 64 * i}, t, z)
	}
	ADDQ(U32(256), a)
	ADDQ(U32(256), b)
	SUBQ(U8(64), n)
	JMP(LabelRef("f32_loop4"))
	Label("f32_loop1")
	CMPQ(n, U8(16))
	JL(LabelRef("f32_done"))
	t := ZMM()
	VMOVUPS(Mem{Base: a}, t)
	VFMADD231PS(Mem{Base: b}, t, acc[0])
	ADDQ(U8(64), a)
	ADDQ(U8(64), b)
	SUBQ(U8(16), n)
	JMP(LabelRef("f32_loop1"))
	Label("f32_done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	s := hsumZ(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// dotF16AVX512: Σ half(w[i])·x[i], n a multiple of 16.
func dotF16AVX512() {
	TEXT("dotF16AVX512", NOSPLIT, "func(w *uint16, x *float32, n int) float32")
	Doc("dotF16AVX512 returns Σ float32(w[i])·x[i] for IEEE half w, n a multiple of 16.")
	w := Load(Param("w"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	for _, z := range acc {
		VXORPS(z, z, z)
	}
	Label("f16_loop4")
	CMPQ(n, U8(64))
	JL(LabelRef("f16_loop1"))
	for i, z := range acc {
		t := ZMM()
		VCVTPH2PS(Mem{Base: w, Disp: 32 * i}, t)
		VFMADD231PS(Mem{Base: x, Disp: 64 * i}, t, z)
	}
	ADDQ(U32(128), w)
	ADDQ(U32(256), x)
	SUBQ(U8(64), n)
	JMP(LabelRef("f16_loop4"))
	Label("f16_loop1")
	CMPQ(n, U8(16))
	JL(LabelRef("f16_done"))
	t := ZMM()
	VCVTPH2PS(Mem{Base: w}, t)
	VFMADD231PS(Mem{Base: x}, t, acc[0])
	ADDQ(U8(32), w)
	ADDQ(U8(64), x)
	SUBQ(U8(16), n)
	JMP(LabelRef("f16_loop1"))
	Label("f16_done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	s := hsumZ(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// dotBF16AVX512: Σ bf16(w[i])·x[i], n a multiple of 16.
func dotBF16AVX512() {
	TEXT("dotBF16AVX512", NOSPLIT, "func(w *uint16, x *float32, n int) float32")
	Doc("dotBF16AVX512 returns Σ float32(w[i])·x[i] for bfloat16 w, n a multiple of 16.")
	w := Load(Param("w"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	for _, z := range acc {
		VXORPS(z, z, z)
	}
	Label("bf16_loop4")
	CMPQ(n, U8(64))
	JL(LabelRef("bf16_loop1"))
	for i, z := range acc {
		t := ZMM()
		VPMOVZXWD(Mem{Base: w, Disp: 32 * i}, t)
		VPSLLD(U8(16), t, t)
		VFMADD231PS(Mem{Base: x, Disp: 64 * i}, t, z)
	}
	ADDQ(U32(128), w)
	ADDQ(U32(256), x)
	SUBQ(U8(64), n)
	JMP(LabelRef("bf16_loop4"))
	Label("bf16_loop1")
	CMPQ(n, U8(16))
	JL(LabelRef("bf16_done"))
	t := ZMM()
	VPMOVZXWD(Mem{Base: w}, t)
	VPSLLD(U8(16), t, t)
	VFMADD231PS(Mem{Base: x}, t, acc[0])
	ADDQ(U8(32), w)
	ADDQ(U8(64), x)
	SUBQ(U8(16), n)
	JMP(LabelRef("bf16_loop1"))
	Label("bf16_done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	s := hsumZ(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// maxF32AVX512: max of x[0..n), n a positive multiple of 16, with four
// accumulators so VMAXPS's latency overlaps (the softmax's and the
// cross-entropy's row maxima in training).
func maxF32AVX512() { maxF32(true) }

// maxF32AVX2 is maxF32AVX512 for AVX2: n a positive multiple of 8.
func maxF32AVX2() { maxF32(false) }

// maxF32 emits maxF32AVX512 (zmm) or maxF32AVX2.
func maxF32(zmm bool) {
	name, lanes, pre, vec := "maxF32AVX2", 8, "max2", YMM
	if zmm {
		name, lanes, pre, vec = "maxF32AVX512", 16, "max", ZMM
	}
	TEXT(name, NOSPLIT, "func(x *float32, n int) float32")
	if zmm {
		Doc("maxF32AVX512 returns the largest of x[0..n) for n a positive multiple of 16.")
	} else {
		Doc("maxF32AVX2 returns the largest of x[0..n) for n a positive multiple of 8 (AVX2).")
	}
	bytes := 4 * lanes
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{vec(), vec(), vec(), vec()}
	for _, a := range acc {
		VMOVUPS(Mem{Base: x}, a)
	}
	Label(pre + "_loop4")
	CMPQ(n, U8(4*lanes))
	JL(LabelRef(pre + "_loop1"))
	for u, a := range acc {
		VMAXPS(Mem{Base: x, Disp: bytes * u}, a, a)
	}
	ADDQ(U32(4*bytes), x)
	SUBQ(U8(4*lanes), n)
	JMP(LabelRef(pre + "_loop4"))
	Label(pre + "_loop1")
	CMPQ(n, U8(lanes))
	JL(LabelRef(pre + "_done"))
	VMAXPS(Mem{Base: x}, acc[0], acc[0])
	ADDQ(U8(bytes), x)
	SUBQ(U8(lanes), n)
	JMP(LabelRef(pre + "_loop1"))
	Label(pre + "_done")
	VMAXPS(acc[1], acc[0], acc[0])
	VMAXPS(acc[3], acc[2], acc[2])
	VMAXPS(acc[2], acc[0], acc[0])
	xm := XMM()
	if zmm {
		y := YMM()
		VEXTRACTF64X4(U8(1), acc[0], y)
		VMAXPS(y, acc[0].AsY(), y)
		VEXTRACTF32X4(U8(1), y, xm)
		VMAXPS(xm, y.AsX(), xm)
	} else {
		VEXTRACTF128(U8(1), acc[0], xm)
		VMAXPS(xm, acc[0].AsX(), xm)
	}
	t := XMM()
	VMOVHLPS(xm, xm, t)
	VMAXPS(t, xm, xm)
	VMOVSHDUP(xm, t)
	VMAXSS(t, xm, xm)
	VZEROUPPER()
	Store(xm, ReturnIndex(0))
	RET()
}

// axpyF32AVX512: y[i] += a·x[i], n a multiple of 16.
func axpyF32AVX512() {
	TEXT("axpyF32AVX512", NOSPLIT, "func(y, x *float32, a float32, n int)")
	Doc("axpyF32AVX512 computes y[i] += a·x[i] for n a multiple of 16.")
	y := Load(Param("y"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	av := ZMM()
	VBROADCASTSS(NewParamAddr("a", 16), av)
	Label("axpy_loop")
	CMPQ(n, U8(16))
	JL(LabelRef("axpy_done"))
	t := ZMM()
	VMOVUPS(Mem{Base: y}, t)
	VFMADD231PS(Mem{Base: x}, av, t)
	VMOVUPS(t, Mem{Base: y})
	ADDQ(U8(64), x)
	ADDQ(U8(64), y)
	SUBQ(U8(16), n)
	JMP(LabelRef("axpy_loop"))
	Label("axpy_done")
	VZEROUPPER()
	RET()
}

// dotQ8_0VNNI: one Q8_0 weight row (nb blocks of 34 bytes: f16 d, 32 int8)
// against activations quantized to int8 in blocks of 32 (xq) with scales
// xd: Σ_b d_w[b]·xd[b]·Σ_j w[b,j]·xq[b,j].
// VPDPBUSD multiplies unsigned by signed bytes, so the weights' signs move
// onto the activations (|w| · sign(w)·x); activations are in [-127, 127],
// so negating them cannot overflow.
func dotQ8_0VNNI() {
	TEXT("dotQ8_0VNNI", NOSPLIT, "func(w *byte, nb int, xq *int8, xd *float32) float32")
	Doc("dotQ8_0VNNI returns the dot product of nb Q8_0 blocks with int8 activation blocks (AVX-512 VNNI, 256-bit).")
	w := Load(Param("w"), GP64())
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	acc := []VecVirtual{YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	Label("q8_loop2")
	CMPQ(nb, U8(2))
	JL(LabelRef("q8_loop1"))
	q8block(w, xq, xd, 0, acc[0])
	q8block(w, xq, xd, 1, acc[1])
	ADDQ(U8(68), w)
	ADDQ(U8(64), xq)
	ADDQ(U8(8), xd)
	SUBQ(U8(2), nb)
	JMP(LabelRef("q8_loop2"))
	Label("q8_loop1")
	CMPQ(nb, U8(1))
	JL(LabelRef("q8_done"))
	q8block(w, xq, xd, 0, acc[0])
	Label("q8_done")
	VADDPS(acc[1], acc[0], acc[0])
	s := hsumY(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

func q8block(w, xq, xd Register, i int, acc VecVirtual) {
	wd := XMM()
	VPBROADCASTW(Mem{Base: w, Disp: 34 * i}, wd)
	sc := YMM()
	VCVTPH2PS(wd, sc)
	xs := YMM()
	VBROADCASTSS(Mem{Base: xd, Disp: 4 * i}, xs)
	VMULPS(xs, sc, sc)
	wv := YMM()
	VMOVDQU(Mem{Base: w, Disp: 34*i + 2}, wv)
	xv := YMM()
	VMOVDQU(Mem{Base: xq, Disp: 32 * i}, xv)
	VPSIGNB(wv, xv, xv)
	VPABSB(wv, wv)
	t := YMM()
	VPXOR(t, t, t)
	VPDPBUSD(xv, wv, t)
	VCVTDQ2PS(t, t)
	VFMADD231PS(t, sc, acc)
}

// dotQ4_0VNNI: one Q4_0 row (nb blocks of 18 bytes: f16 d, 16 bytes of
// nibbles, low nibbles = elements 0..15, high = 16..31) against int8
// activation blocks. The nibbles q (0..15) are unsigned, so VPDPBUSD takes
// them as they are; the −8 offset becomes −8·d_w·Σx per block, with
// xs[b] = xd[b]·Σ_j xq[b,j] precomputed per activation block.
func dotQ4_0VNNI() {
	TEXT("dotQ4_0VNNI", NOSPLIT, "func(w *byte, nb int, xq *int8, xd *float32, xs *float32) float32")
	Doc("dotQ4_0VNNI returns the dot product of nb Q4_0 blocks with int8 activation blocks (AVX-512 VNNI, 256-bit).")
	w := Load(Param("w"), GP64())
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	acc := []VecVirtual{YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	corr := XMM()
	VXORPS(corr, corr, corr)
	mask := YMM()
	m := GP32()
	MOVL(U32(0x0f0f0f0f), m)
	VMOVD(m, mask.AsX())
	VPBROADCASTD(mask.AsX(), mask)
	block := func(i int, acc VecVirtual) {
		wd := XMM()
		VPBROADCASTW(Mem{Base: w, Disp: 18 * i}, wd)
		sc := YMM()
		VCVTPH2PS(wd, sc)
		// Offset correction: corr += d_w·xs[b].
		VFMADD231SS(Mem{Base: xs, Disp: 4 * i}, sc.AsX(), corr)
		xsc := YMM()
		VBROADCASTSS(Mem{Base: xd, Disp: 4 * i}, xsc)
		VMULPS(xsc, sc, sc)
		lo := XMM()
		VMOVDQU(Mem{Base: w, Disp: 18*i + 2}, lo)
		hi := XMM()
		VPSRLW(U8(4), lo, hi)
		q := YMM()
		VINSERTI128(U8(1), hi, lo.AsY(), q)
		VPAND(mask, q, q)
		t := YMM()
		VPXOR(t, t, t)
		VPDPBUSD(Mem{Base: xq, Disp: 32 * i}, q, t)
		VCVTDQ2PS(t, t)
		VFMADD231PS(t, sc, acc)
	}
	Label("q4_loop2")
	CMPQ(nb, U8(2))
	JL(LabelRef("q4_loop1"))
	block(0, acc[0])
	block(1, acc[1])
	ADDQ(U8(36), w)
	ADDQ(U8(64), xq)
	ADDQ(U8(8), xd)
	ADDQ(U8(8), xs)
	SUBQ(U8(2), nb)
	JMP(LabelRef("q4_loop2"))
	Label("q4_loop1")
	CMPQ(nb, U8(1))
	JL(LabelRef("q4_done"))
	block(0, acc[0])
	Label("q4_done")
	VADDPS(acc[1], acc[0], acc[0])
	s := hsumY(acc[0])
	// result = Σ − 8·corr
	eight := XMM()
	e := GP32()
	MOVL(U32(0x41000000), e) // 8.0f
	VMOVD(e, eight)
	VFNMADD231SS(eight, corr, s)
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// dotQ4_0x2VNNI is dotQ4_0VNNI two blocks at a time in 512-bit registers.
// The activations come pre-arranged per pair of blocks (see Q8.Quantize):
// xq = [x0[0:16] x1[0:16] x0[16:32] x1[16:32]], matching the nibbles as
// unpacked here (low nibbles of both blocks, then high nibbles), with
// xn = −8·(per-lane sums of xq), which starts the integer accumulator so the
// −8 offset costs nothing, and xl = the activation scales per lane
// [d0×4 d1×4 d0×4 d1×4]. np is the number of pairs.
func dotQ4_0x2VNNI() {
	TEXT("dotQ4_0x2VNNI", NOSPLIT, "func(w *byte, np int, xq *int8, xn *int32, xl *float32) float32")
	Doc("dotQ4_0x2VNNI returns the dot product of 2·np Q4_0 blocks with pair-arranged int8 activations (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	np := Load(Param("np"), GP64())
	xq := Load(Param("xq"), GP64())
	xn := Load(Param("xn"), GP64())
	xl := Load(Param("xl"), GP64())
	acc := []VecVirtual{ZMM(), ZMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	mask := ZMM()
	m := GP32()
	MOVL(U32(0x0f0f0f0f), m)
	VPBROADCASTD(m, mask)
	pair := func(i int, acc VecVirtual) {
		wo := 36 * i
		q := YMM()
		VMOVDQU(Mem{Base: w, Disp: wo + 2}, q.AsX())
		VINSERTI128(U8(1), Mem{Base: w, Disp: wo + 20}, q, q)
		h := YMM()
		VPSRLW(U8(4), q, h)
		z := ZMM()
		VINSERTI64X4(U8(1), h, q.AsZ(), z)
		VPANDD(mask, z, z)
		t := ZMM()
		VMOVDQU32(Mem{Base: xn, Disp: 64 * i}, t)
		VPDPBUSD(Mem{Base: xq, Disp: 64 * i}, z, t)
		VCVTDQ2PS(t, t)
		d0 := XMM()
		VPBROADCASTW(Mem{Base: w, Disp: wo}, d0)
		d1 := XMM()
		VPBROADCASTW(Mem{Base: w, Disp: wo + 18}, d1)
		VPUNPCKLQDQ(d1, d0, d0)
		sy := YMM()
		VCVTPH2PS(d0, sy)
		sz := ZMM()
		VINSERTF64X4(U8(1), sy, sy.AsZ(), sz)
		VMULPS(Mem{Base: xl, Disp: 64 * i}, sz, sz)
		VFMADD231PS(t, sz, acc)
	}
	Label("q4x2_loop2")
	CMPQ(np, U8(2))
	JL(LabelRef("q4x2_loop1"))
	prefetch(Mem{Base: w, Disp: prefetchAhead})
	pair(0, acc[0])
	pair(1, acc[1])
	ADDQ(U8(72), w)
	ADDQ(U32(128), xq)
	ADDQ(U32(128), xn)
	ADDQ(U32(128), xl)
	SUBQ(U8(2), np)
	JMP(LabelRef("q4x2_loop2"))
	Label("q4x2_loop1")
	CMPQ(np, U8(1))
	JL(LabelRef("q4x2_done"))
	pair(0, acc[0])
	Label("q4x2_done")
	VADDPS(acc[1], acc[0], acc[0])
	s := hsumZ(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// cvtF16AVX512: dst[i] = float32(half src[i]), n a multiple of 16.
func cvtF16AVX512() {
	TEXT("cvtF16AVX512", NOSPLIT, "func(dst *float32, src *uint16, n int)")
	Doc("cvtF16AVX512 converts n IEEE halves to float32, n a multiple of 16.")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	Label("cvtf16_loop")
	CMPQ(n, U8(16))
	JL(LabelRef("cvtf16_done"))
	z := ZMM()
	VCVTPH2PS(Mem{Base: sp}, z)
	VMOVUPS(z, Mem{Base: d})
	ADDQ(U8(32), sp)
	ADDQ(U8(64), d)
	SUBQ(U8(16), n)
	JMP(LabelRef("cvtf16_loop"))
	Label("cvtf16_done")
	VZEROUPPER()
	RET()
}

// cvtBF16AVX512: dst[i] = float32(bf16 src[i]), n a multiple of 16.
func cvtBF16AVX512() {
	TEXT("cvtBF16AVX512", NOSPLIT, "func(dst *float32, src *uint16, n int)")
	Doc("cvtBF16AVX512 converts n bfloat16 values to float32, n a multiple of 16.")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	Label("cvtbf16_loop")
	CMPQ(n, U8(16))
	JL(LabelRef("cvtbf16_done"))
	z := ZMM()
	VPMOVZXWD(Mem{Base: sp}, z)
	VPSLLD(U8(16), z, z)
	VMOVUPS(z, Mem{Base: d})
	ADDQ(U8(32), sp)
	ADDQ(U8(64), d)
	SUBQ(U8(16), n)
	JMP(LabelRef("cvtbf16_loop"))
	Label("cvtbf16_done")
	VZEROUPPER()
	RET()
}

// blockScale broadcasts the f16 at m to all 16 lanes of a ZMM as float32.
func blockScale(m Mem) VecVirtual {
	h := YMM()
	VPBROADCASTW(m, h)
	z := ZMM()
	VCVTPH2PS(h, z)
	return z
}

// dequantQ8_0AVX512: nb Q8_0 blocks to 32·nb float32.
func dequantQ8_0AVX512() {
	TEXT("dequantQ8_0AVX512", NOSPLIT, "func(dst *float32, src *byte, nb int)")
	Doc("dequantQ8_0AVX512 dequantizes nb Q8_0 blocks to float32 (AVX-512F).")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	nb := Load(Param("nb"), GP64())
	Label("dq8_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("dq8_done"))
	sc := blockScale(Mem{Base: sp})
	for h := 0; h < 2; h++ {
		z := ZMM()
		VPMOVSXBD(Mem{Base: sp, Disp: 2 + 16*h}, z)
		VCVTDQ2PS(z, z)
		VMULPS(sc, z, z)
		VMOVUPS(z, Mem{Base: d, Disp: 64 * h})
	}
	ADDQ(U8(34), sp)
	ADDQ(U32(128), d)
	DECQ(nb)
	JMP(LabelRef("dq8_loop"))
	Label("dq8_done")
	VZEROUPPER()
	RET()
}

// dequantQ4_0AVX512: nb Q4_0 blocks to 32·nb float32: y = d·(q − 8).
func dequantQ4_0AVX512() {
	TEXT("dequantQ4_0AVX512", NOSPLIT, "func(dst *float32, src *byte, nb int)")
	Doc("dequantQ4_0AVX512 dequantizes nb Q4_0 blocks to float32 (AVX-512F).")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	nb := Load(Param("nb"), GP64())
	mask := ZMM()
	m := GP32()
	MOVL(U32(15), m)
	VPBROADCASTD(m, mask)
	eight := ZMM()
	e := GP32()
	MOVL(U32(0x41000000), e)
	VPBROADCASTD(e, eight)
	Label("dq4_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("dq4_done"))
	sc := blockScale(Mem{Base: sp})
	off := ZMM()
	VMULPS(eight, sc, off) // 8·d
	q := ZMM()
	VPMOVZXBD(Mem{Base: sp, Disp: 2}, q)
	lo := ZMM()
	VPANDD(mask, q, lo)
	VPSRLD(U8(4), q, q)
	VCVTDQ2PS(lo, lo)
	VCVTDQ2PS(q, q)
	VFMSUB213PS(off, sc, lo) // lo = lo·d − 8d
	VFMSUB213PS(off, sc, q)
	VMOVUPS(lo, Mem{Base: d})
	VMOVUPS(q, Mem{Base: d, Disp: 64})
	ADDQ(U8(18), sp)
	ADDQ(U32(128), d)
	DECQ(nb)
	JMP(LabelRef("dq4_loop"))
	Label("dq4_done")
	VZEROUPPER()
	RET()
}

// dotQ4_0RVNNI is dotQ4_0x2VNNI over Q4_0 rows repacked at load time
// (see RepackQ4_0): each pair of blocks is [d0 d1 | 32 bytes], byte k of
// the 32 holding element 4·(L/2)+k%4 (low nibble) and that +16 (high
// nibble) of block L%2, L = k/4. Lane L of the unpacked ZMM then belongs to
// block L%2, so both scales come from one 32-bit broadcast. Activations use
// the matching layout (Q8.RQ/RN/RL).
func dotQ4_0RVNNI() {
	TEXT("dotQ4_0RVNNI", NOSPLIT, "func(w *byte, stride int, rows int, np int, xq *int8, xn *int32, xl *float32, dst *float32)")
	Doc("dotQ4_0RVNNI computes dst[r] = row r · activations for rows repacked Q4_0 rows (np block pairs each, stride bytes apart) with matching int8 activations (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	mask := bcastConst(0x0f0f0f0f)
	Label("q4r_row")
	CMPQ(rows, U8(1))
	JL(LabelRef("q4r_end"))
	np := Load(Param("np"), GP64())
	xq := Load(Param("xq"), GP64())
	xn := Load(Param("xn"), GP64())
	xl := Load(Param("xl"), GP64())
	wp := GP64()
	MOVQ(w, wp)
	acc := []VecVirtual{ZMM(), ZMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	pair := func(i int, acc VecVirtual) {
		wo := 36 * i
		q := YMM()
		VMOVDQU(Mem{Base: wp, Disp: wo + 4}, q)
		h := YMM()
		VPSRLW(U8(4), q, h)
		z := ZMM()
		VINSERTI64X4(U8(1), h, q.AsZ(), z)
		VPANDD(mask, z, z)
		t := ZMM()
		VMOVDQU32(Mem{Base: xn, Disp: 64 * i}, t)
		VPDPBUSD(Mem{Base: xq, Disp: 64 * i}, z, t)
		VCVTDQ2PS(t, t)
		sh := YMM()
		VPBROADCASTD(Mem{Base: wp, Disp: wo}, sh)
		sz := ZMM()
		VCVTPH2PS(sh, sz)
		VMULPS(Mem{Base: xl, Disp: 64 * i}, sz, sz)
		VFMADD231PS(t, sz, acc)
	}
	Label("q4r_loop2")
	CMPQ(np, U8(2))
	JL(LabelRef("q4r_loop1"))
	prefetch(Mem{Base: wp, Disp: prefetchAhead})
	pair(0, acc[0])
	pair(1, acc[1])
	ADDQ(U8(72), wp)
	ADDQ(U32(128), xq)
	ADDQ(U32(128), xn)
	ADDQ(U32(128), xl)
	SUBQ(U8(2), np)
	JMP(LabelRef("q4r_loop2"))
	Label("q4r_loop1")
	CMPQ(np, U8(1))
	JL(LabelRef("q4r_done"))
	pair(0, acc[0])
	Label("q4r_done")
	VADDPS(acc[1], acc[0], acc[0])
	s := hsumZ(acc[0])
	VMOVSS(s, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, w)
	DECQ(rows)
	JMP(LabelRef("q4r_row"))
	Label("q4r_end")
	VZEROUPPER()
	RET()
}

// dotQ4_0X16VNNI is the decode kernel for Q4_0 rows interleaved 16 at a
// time at load (see RepackQ4_0X16): per block of 32 columns, the 16 rows'
// f16 scales (32 bytes), then for g = 0..3 the bytes 4g..4g+3 of each row's
// nibbles ([g][16 rows][4 bytes]). One 512-bit load then feeds two
// VPDPBUSDs (low nibbles: elements 4g.., high: 4g+16..) against broadcast
// activation dwords, and the accumulator's 16 lanes are the 16 rows: no
// horizontal sums, one scale conversion per 16 rows.
func dotQ4_0X16VNNI() {
	TEXT("dotQ4_0X16VNNI", NOSPLIT, "func(w *byte, groups int, nb int, xq *int8, xn *int32, xd *float32, dst *float32)")
	Doc("dotQ4_0X16VNNI computes 16·groups dot products of 16-row-interleaved Q4_0 groups with int8 activations (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	groups := Load(Param("groups"), GP64())
	dst := Load(Param("dst"), GP64())
	mask := bcastConst(0x0f0f0f0f)
	Label("x16_group")
	CMPQ(groups, U8(1))
	JL(LabelRef("x16_end"))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xn := Load(Param("xn"), GP64())
	xd := Load(Param("xd"), GP64())
	acc := ZMM()
	VXORPS(acc, acc, acc)
	Label("x16_block")
	CMPQ(nb, U8(1))
	JL(LabelRef("x16_done"))
	// No software prefetch: the hardware prefetcher follows the groups
	// (2 threads, 32064×3072 from memory: 37.6-44.4 GB/s with PREFETCHT0
	// 1536 bytes ahead, 48.0-53.6 without; Phi-3-mini Q4_0 tg64 10.2-11.8
	// tok/s with, 11.9-12.5 without).
	// Four independent integer chains, summed at the end of the block.
	ts := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	VPBROADCASTD(Mem{Base: xn}, ts[0])
	for _, z := range ts[1:] {
		VPXORD(z, z, z)
	}
	for g := 0; g < 4; g++ {
		v := ZMM()
		VMOVDQU32(Mem{Base: w, Disp: 32 + 64*g}, v)
		hi := ZMM()
		VPSRLW(U8(4), v, hi)
		VPANDD(mask, v, v)
		VPANDD(mask, hi, hi)
		VPDPBUSD_BCST(Mem{Base: xq, Disp: 4 * g}, v, ts[g%2*2])
		VPDPBUSD_BCST(Mem{Base: xq, Disp: 16 + 4*g}, hi, ts[g%2*2+1])
	}
	VPADDD(ts[1], ts[0], ts[0])
	VPADDD(ts[3], ts[2], ts[2])
	t := ts[0]
	VPADDD(ts[2], t, t)
	VCVTDQ2PS(t, t)
	sc := ZMM()
	VCVTPH2PS(Mem{Base: w}, sc)
	VMULPS_BCST(Mem{Base: xd}, sc, sc)
	VFMADD231PS(t, sc, acc)
	ADDQ(U32(288), w)
	ADDQ(U8(32), xq)
	ADDQ(U8(4), xn)
	ADDQ(U8(4), xd)
	DECQ(nb)
	JMP(LabelRef("x16_block"))
	Label("x16_done")
	VMOVUPS(acc, Mem{Base: dst})
	ADDQ(U8(64), dst)
	DECQ(groups)
	JMP(LabelRef("x16_group"))
	Label("x16_end")
	VZEROUPPER()
	RET()
}

// gemmTokenTiles are the token counts the packed GEMM kernel is generated
// for; a batch is covered by the largest first.
var gemmTokenTiles = []int{12, 8, 4, 2, 1}

// gemmPackedAVX512 is the prefill micro-kernel in outer-product form: a
// 32-row × T-token tile of C (c[i·ldc + r], r < 32) += Σ_k W[k][r]·x[i·ldx+k]
// over kc values of k, with W packed as kc rows of 32 floats (two ZMM) and
// each activation broadcast from memory. The accumulators are the C tile
// itself, so no horizontal sums are needed; add selects c += (1) or c = (0).
func gemmPackedAVX512(T int) {
	name := fmt.Sprintf("gemmPacked%dAVX512", T)
	TEXT(name, NOSPLIT, "func(w *float32, x *float32, ldx int, kc int, c *float32, ldc int, add int)")
	Doc(fmt.Sprintf("%s adds (or stores) a 32×%d tile of packed-W·xᵀ into c (AVX-512F); strides in elements.", name, T))
	wp := Load(Param("w"), GP64())
	gemmTileAVX512(name, T, false, func(u int) (VecVirtual, VecVirtual) {
		w0, w1 := ZMM(), ZMM()
		VMOVUPS(Mem{Base: wp, Disp: 128 * u}, w0)
		VMOVUPS(Mem{Base: wp, Disp: 128*u + 64}, w1)
		return w0, w1
	}, func(n int) { ADDQ(U32(128*n), wp) }, fmaPS)
}

// gemmTileAVX512 emits the body shared by the outer-product micro-kernels
// after the weight pointers are loaded: loadW(u) yields the 32 weights of
// step k+u as two ZMM and advance(n) moves the weight pointers n steps on;
// madd(x, w, acc) adds the product of a broadcast activation step and
// weights into acc (VFMADD231PS for floats, VDPBF16PS for bfloat16 pairs).
// Parameters x, ldx, kc, c, ldc and add are read here.
func gemmTileAVX512(name string, T int, packedX bool, loadW func(u int) (VecVirtual, VecVirtual), advance func(n int), madd func(x, w, acc Op)) {
	xp := Load(Param("x"), GP64())
	kc := Load(Param("kc"), GP64())
	var tok func(i int, disp int) Mem
	var bases []Register
	xstep := 4 // bytes per k step of each base register
	if packedX {
		// The T tokens' values of step k are the T floats at x + 4·T·k.
		bases, xstep = []Register{xp}, 4*T
		tok = func(i int, disp int) Mem { return Mem{Base: xp, Disp: disp*T + 4*i} }
	} else {
		ldx := Load(Param("ldx"), GP64())
		SHLQ(U8(2), ldx)
		// Token i lives at base[i/3] + (i%3)·ldx.
		nb := (T + 2) / 3
		bases = []Register{xp}
		for b := 1; b < nb; b++ {
			r := GP64()
			LEAQ(Mem{Base: bases[b-1], Index: ldx, Scale: 2}, r)
			ADDQ(ldx, r)
			bases = append(bases, r)
		}
		tok = func(i int, disp int) Mem {
			b := bases[i/3]
			switch i % 3 {
			case 0:
				return Mem{Base: b, Disp: disp}
			case 1:
				return Mem{Base: b, Index: ldx, Scale: 1, Disp: disp}
			}
			return Mem{Base: b, Index: ldx, Scale: 2, Disp: disp}
		}
	}
	acc := make([][2]VecVirtual, T)
	for i := range acc {
		for h := 0; h < 2; h++ {
			acc[i][h] = ZMM()
			VXORPS(acc[i][h], acc[i][h], acc[i][h])
		}
	}
	const unroll = 4
	step := func(u int) {
		w0, w1 := loadW(u)
		for i := 0; i < T; i++ {
			xb := ZMM()
			VBROADCASTSS(tok(i, 4*u), xb)
			madd(xb, w0, acc[i][0])
			madd(xb, w1, acc[i][1])
		}
	}
	lbl := func(s string) string { return fmt.Sprintf("%s_%s", name, s) }
	Label(lbl("loop4"))
	CMPQ(kc, U8(unroll))
	JL(LabelRef(lbl("loop1")))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advance(unroll)
	for _, b := range bases {
		ADDQ(U32(xstep*unroll), b)
	}
	SUBQ(U8(unroll), kc)
	JMP(LabelRef(lbl("loop4")))
	Label(lbl("loop1"))
	CMPQ(kc, U8(1))
	JL(LabelRef(lbl("store")))
	step(0)
	advance(1)
	for _, b := range bases {
		ADDQ(U32(xstep), b)
	}
	DECQ(kc)
	JMP(LabelRef(lbl("loop1")))
	Label(lbl("store"))
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	add := Load(Param("add"), GP64())
	TESTQ(add, add)
	JZ(LabelRef(lbl("overwrite")))
	cp2 := GP64()
	MOVQ(cp, cp2)
	for i := 0; i < T; i++ {
		VADDPS(Mem{Base: cp2}, acc[i][0], acc[i][0])
		VADDPS(Mem{Base: cp2, Disp: 64}, acc[i][1], acc[i][1])
		if i < T-1 {
			ADDQ(ldc, cp2)
		}
	}
	Label(lbl("overwrite"))
	for i := 0; i < T; i++ {
		VMOVUPS(acc[i][0], Mem{Base: cp})
		VMOVUPS(acc[i][1], Mem{Base: cp, Disp: 64})
		if i < T-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// dotQ4_KVNNI computes dst[r] = row r · activations for rows Q4_K rows
// (nb blocks of 144 bytes each, stride bytes apart) against int8
// activation blocks of 32 (xq, scales xd, and xs = xd·Σxq per block):
// Σ_j d·sc_j·xd_j·Σ q·xq − dmin·mn_j·xs_j over the 8 sub-blocks j of each
// block. The nibbles of a 32-byte chunk, low then high, are sub-blocks 2c
// and 2c+1 in element order, so one VPDPBUSD covers both; VPERMPS spreads
// the two sub-block scales over their lanes.
func dotQ4_KVNNI() { dotK45VNNI(false) }

// dotQ5_KVNNI is dotQ4_KVNNI for Q5_K rows (176-byte blocks: d, dmin,
// scales[12], qh[32], qs[128]): bit j of qh[l] is the fifth bit of element
// l of sub-block j. The 32 qh bytes are loaded into both halves of a ZMM,
// VPTESTMB against [1<<2c ×32 | 1<<(2c+1) ×32] selects the bytes of chunk
// c that gain 16, and a masked VPADDB adds it.
func dotQ5_KVNNI() { dotK45VNNI(true) }

func dotK45VNNI(five bool) {
	name, bsize, qsOff, p := "dotQ4_KVNNI", 144, 16, "q4k_"
	if five {
		name, bsize, qsOff, p = "dotQ5_KVNNI", 176, 48, "q5k_"
	}
	TEXT(name, 0, "func(w *byte, stride int, rows int, nb int, xq *int8, xd *float32, xs *float32, dst *float32)")
	Doc(name + " computes rows " + name[3:7] + " row · int8 activation dot products (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	mask := bcastConst(0x0f0f0f0f)
	// Lane → sub-block index for chunk c: lanes 0-7 → 2c, 8-15 → 2c+1.
	idx := make([]VecVirtual, 4)
	for c := 0; c < 4; c++ {
		lo, hi := bcastConst(uint32(2*c)), bcastConst(uint32(2*c+1))
		idx[c] = ZMM()
		VINSERTI64X4(U8(1), hi.AsY(), lo, idx[c])
	}
	var bits []VecVirtual
	var sixteen VecVirtual
	if five {
		sixteen = bcastConst(0x10101010)
		bits = make([]VecVirtual, 4)
		for c := 0; c < 4; c++ {
			lo, hi := bcastConst(0x01010101<<(2*c)), bcastConst(0x01010101<<(2*c+1))
			bits[c] = ZMM()
			VINSERTI64X4(U8(1), hi.AsY(), lo, bits[c])
		}
	}
	Label(p + "row")
	CMPQ(rows, U8(1))
	JL(LabelRef(p + "end"))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	wp := GP64()
	MOVQ(w, wp)
	acc := ZMM()
	VXORPS(acc, acc, acc)
	macc := YMM()
	VXORPS(macc, macc, macc)
	Label(p + "block")
	CMPQ(nb, U8(1))
	JL(LabelRef(p + "done"))
	prefetch(Mem{Base: wp, Disp: prefetchAhead})
	scLo, mnLo, scHi, mnHi := k4Scales(wp)
	scf := bytes8(scLo, scHi)
	mnf := bytes8(mnLo, mnHi)
	dh := YMM()
	VPBROADCASTW(Mem{Base: wp}, dh.AsX())
	dv := YMM()
	VCVTPH2PS(dh.AsX(), dv)
	VPBROADCASTW(Mem{Base: wp, Disp: 2}, dh.AsX())
	mv := YMM()
	VCVTPH2PS(dh.AsX(), mv)
	// W8 = d·sc·xd (8 sub-blocks); mins: macc += dmin·mn·xs.
	VMULPS(dv, scf, scf)
	VMULPS(Mem{Base: xd}, scf, scf)
	VMULPS(Mem{Base: xs}, mnf, mnf)
	VFMADD231PS(mnf, mv, macc)
	w8 := scf.AsZ()
	var qhz VecVirtual
	if five {
		qhz = ZMM()
		VBROADCASTI64X4(Mem{Base: wp, Disp: 16}, qhz)
	}
	for ch := 0; ch < 4; ch++ {
		q := YMM()
		VMOVDQU(Mem{Base: wp, Disp: qsOff + 32*ch}, q)
		h := YMM()
		VPSRLW(U8(4), q, h)
		z := ZMM()
		VINSERTI64X4(U8(1), h, q.AsZ(), z)
		VPANDD(mask, z, z)
		if five {
			k := K()
			VPTESTMB(bits[ch], qhz, k)
			VPADDB(sixteen, z, k, z)
		}
		tt := ZMM()
		VPXORD(tt, tt, tt)
		VPDPBUSD(Mem{Base: xq, Disp: 64 * ch}, z, tt)
		VCVTDQ2PS(tt, tt)
		sc := ZMM()
		VPERMPS(w8, idx[ch], sc)
		VFMADD231PS(tt, sc, acc)
	}
	ADDQ(U32(uint32(bsize)), wp)
	ADDQ(U32(256), xq)
	ADDQ(U8(32), xd)
	ADDQ(U8(32), xs)
	DECQ(nb)
	JMP(LabelRef(p + "block"))
	Label(p + "done")
	sum := hsumZ(acc)
	ms := XMM()
	VEXTRACTF32X4(U8(1), macc, ms)
	VADDPS(ms, macc.AsX(), ms)
	mss := hsumX(ms)
	VSUBSS(mss, sum, sum)
	VMOVSS(sum, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, w)
	DECQ(rows)
	JMP(LabelRef(p + "row"))
	Label(p + "end")
	VZEROUPPER()
	RET()
}

// dotQ6_KVNNI computes dst[r] = row r · activations for rows Q6_K rows (nb
// blocks of 210 bytes) against int8 activations xq with scales xd per 32
// and xn = −32·(sum of each 4 consecutive xq), which starts each integer
// accumulator so the −32 offset of the 6-bit values costs nothing. Each
// half-block of 128 is rebuilt as four 32-byte runs (q1..q4 of the
// format), paired into two 512-bit VPDPBUSDs; lane L then belongs to the
// 16-element scale group 4·pair + L/4 of its half.
func dotQ6_KVNNI() {
	TEXT("dotQ6_KVNNI", 0, "func(w *byte, stride int, rows int, nb int, xq *int8, xd *float32, xn *int32, dst *float32)")
	Doc("dotQ6_KVNNI computes rows Q6_K row · int8 activation dot products (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	m0f := bcastConst(0x0f0f0f0f)
	m03 := bcastConst(0x03030303)
	// idx[k]: lanes → scale group 4k + L/4 (k = 2·half + pair).
	idx := make([]VecVirtual, 4)
	for k := 0; k < 4; k++ {
		idx[k] = ZMM()
		tmpv := make([]VecVirtual, 4)
		for g := 0; g < 4; g++ {
			tmpv[g] = bcastConst(uint32(4*k + g))
		}
		// Assemble [g0×4, g1×4, g2×4, g3×4] from four broadcasts.
		y0, y1 := YMM(), YMM()
		VINSERTI128(U8(1), tmpv[1].AsX(), tmpv[0].AsY(), y0)
		VINSERTI128(U8(1), tmpv[3].AsX(), tmpv[2].AsY(), y1)
		VINSERTI64X4(U8(1), y1, y0.AsZ(), idx[k])
	}
	// dxIdx: lane g → g/2 (the 32-block of scale group g).
	dxIdx := ZMM()
	{
		parts := make([]VecVirtual, 8)
		for j := 0; j < 8; j++ {
			parts[j] = bcastConst(uint32(j))
		}
		// Build [0,0,1,1,...,7,7] with unpacks: interleave pairs.
		xs := make([]VecVirtual, 4)
		for j := 0; j < 4; j++ {
			xs[j] = XMM()
			// low 2 lanes = 2j, high 2 lanes = 2j+1
			VPUNPCKLQDQ(parts[2*j+1].AsX(), parts[2*j].AsX(), xs[j])
		}
		y0, y1 := YMM(), YMM()
		VINSERTI128(U8(1), xs[1], xs[0].AsY(), y0)
		VINSERTI128(U8(1), xs[3], xs[2].AsY(), y1)
		VINSERTI64X4(U8(1), y1, y0.AsZ(), dxIdx)
	}
	Label("q6k_row")
	CMPQ(rows, U8(1))
	JL(LabelRef("q6k_end"))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xn := Load(Param("xn"), GP64())
	wp := GP64()
	MOVQ(w, wp)
	acc := ZMM()
	VXORPS(acc, acc, acc)
	Label("q6k_block")
	CMPQ(nb, U8(1))
	JL(LabelRef("q6k_done"))
	prefetch(Mem{Base: wp, Disp: prefetchAhead})
	// S16[g] = d·sc[g]·xd[g/2].
	s16 := ZMM()
	VPMOVSXBD(Mem{Base: wp, Disp: 192}, s16)
	VCVTDQ2PS(s16, s16)
	dz := blockScale(Mem{Base: wp, Disp: 208})
	VMULPS(dz, s16, s16)
	dx := ZMM()
	VMOVUPS(Mem{Base: xd}, dx.AsY())
	VPERMPS(dx, dxIdx, dx)
	VMULPS(dx, s16, s16)
	for h := 0; h < 2; h++ {
		A, B, H := YMM(), YMM(), YMM()
		VMOVDQU(Mem{Base: wp, Disp: 64 * h}, A)
		VMOVDQU(Mem{Base: wp, Disp: 64*h + 32}, B)
		VMOVDQU(Mem{Base: wp, Disp: 128 + 32*h}, H)
		qk := make([]VecVirtual, 4)
		for k := 0; k < 4; k++ {
			src := A
			if k%2 == 1 {
				src = B
			}
			q := YMM()
			if k < 2 {
				VPANDD(m0f.AsY(), src, q)
			} else {
				VPSRLW(U8(4), src, q)
				VPANDD(m0f.AsY(), q, q)
			}
			hb := YMM()
			if k == 0 {
				VPANDD(m03.AsY(), H, hb)
			} else {
				VPSRLW(U8(2*k), H, hb)
				VPANDD(m03.AsY(), hb, hb)
			}
			VPSLLW(U8(4), hb, hb)
			VPORD(hb, q, q)
			qk[k] = q
		}
		for pr := 0; pr < 2; pr++ {
			z := ZMM()
			VINSERTI64X4(U8(1), qk[2*pr+1], qk[2*pr].AsZ(), z)
			t := ZMM()
			off := 128*h + 64*pr
			VMOVDQU32(Mem{Base: xn, Disp: off}, t) // 16 int32 lane sums for these 64 elements
			VPDPBUSD(Mem{Base: xq, Disp: off}, z, t)
			VCVTDQ2PS(t, t)
			sc := ZMM()
			VPERMPS(s16, idx[2*h+pr], sc)
			VFMADD231PS(t, sc, acc)
		}
	}
	ADDQ(U32(210), wp)
	ADDQ(U32(256), xq)
	ADDQ(U32(256), xn)
	ADDQ(U8(32), xd)
	DECQ(nb)
	JMP(LabelRef("q6k_block"))
	Label("q6k_done")
	sum := hsumZ(acc)
	VMOVSS(sum, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, w)
	DECQ(rows)
	JMP(LabelRef("q6k_row"))
	Label("q6k_end")
	VZEROUPPER()
	RET()
}

// gemmQ8VNNI is the int8 prefill micro-kernel: a 32-row × 6-token tile of
// c[i·ldc + r] (+)= Σ_b dw[b][r]·xd[b][i]·(xi[b][i] + Σ_{k<32} w[b][k][r]·x[i][32b+k])
// over nb blocks of 32 values of k. The panel w holds, per block, 8 steps
// of [32 rows][4 bytes] unsigned weights (1024 bytes) then 32 float32 row
// scales dw (128 bytes); x holds signed 8-bit activations (token rows ldx
// bytes apart); xd and xi are block-major ([b·n + i], n = ldb): the
// activation scale and the integer offset term (e.g. −8·Σx for Q4_0).
// VPDPBUSD multiplies four unsigned weight bytes by four broadcast signed
// activation bytes per lane: 64 multiply-adds per instruction.
//
// With mins (Q4_K), each block also carries 32 float32 row offsets m after
// the scales (1280 bytes per block) and the result gains −m[b][r]·xs[b·ldb+i]
// with xs the activations' dequantized block sums.
func gemmQ8VNNI(mins bool) {
	const T = 6
	name, sig, bb := "gemmQ8VNNI", "func(w *byte, x *int8, ldx int, xd *float32, xi *int32, ldb int, nb int, c *float32, ldc int, add int)", 1152
	if mins {
		name, sig, bb = "gemmQ8MinVNNI", "func(w *byte, x *int8, ldx int, xd *float32, xi *int32, ldb int, nb int, c *float32, ldc int, add int, xs *float32)", 1280
	}
	TEXT(name, NOSPLIT, sig)
	Doc(name + " adds (or stores) a 32×6 tile of int8 weight blocks times int8 activations into c (AVX-512 VNNI).")
	wp := Load(Param("w"), GP64())
	xp := Load(Param("x"), GP64())
	ldx := Load(Param("ldx"), GP64())
	xd := Load(Param("xd"), GP64())
	xi := Load(Param("xi"), GP64())
	ldb := Load(Param("ldb"), GP64())
	nb := Load(Param("nb"), GP64())
	SHLQ(U8(2), ldb)
	x3 := GP64()
	LEAQ(Mem{Base: xp, Index: ldx, Scale: 2}, x3)
	ADDQ(ldx, x3)
	tok := func(i, disp int) Mem {
		b := xp
		if i >= 3 {
			b = x3
		}
		switch i % 3 {
		case 0:
			return Mem{Base: b, Disp: disp}
		case 1:
			return Mem{Base: b, Index: ldx, Scale: 1, Disp: disp}
		}
		return Mem{Base: b, Index: ldx, Scale: 2, Disp: disp}
	}
	accf := make([][2]VecVirtual, T)
	acci := make([][2]VecVirtual, T)
	for i := 0; i < T; i++ {
		for h := 0; h < 2; h++ {
			accf[i][h] = ZMM()
			VXORPS(accf[i][h], accf[i][h], accf[i][h])
			acci[i][h] = ZMM()
		}
	}
	var xs Register
	if mins {
		xs = Load(Param("xs"), GP64())
	}
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("store")))
	for i := 0; i < T; i++ {
		VPBROADCASTD(Mem{Base: xi, Disp: 4 * i}, acci[i][0])
		VMOVDQA32(acci[i][0], acci[i][1])
	}
	for st := 0; st < 8; st++ {
		w0, w1 := ZMM(), ZMM()
		VMOVDQU32(Mem{Base: wp, Disp: 128 * st}, w0)
		VMOVDQU32(Mem{Base: wp, Disp: 128*st + 64}, w1)
		for i := 0; i < T; i++ {
			m := tok(i, 4*st)
			VPDPBUSD_BCST(m, w0, acci[i][0])
			VPDPBUSD_BCST(m, w1, acci[i][1])
		}
	}
	for i := 0; i < T; i++ {
		for h := 0; h < 2; h++ {
			t := ZMM()
			VCVTDQ2PS(acci[i][h], t)
			VMULPS(Mem{Base: wp, Disp: 1024 + 64*h}, t, t)
			VFMADD231PS_BCST(Mem{Base: xd, Disp: 4 * i}, t, accf[i][h])
		}
	}
	if mins {
		for h := 0; h < 2; h++ {
			mv := ZMM()
			VMOVUPS(Mem{Base: wp, Disp: 1152 + 64*h}, mv)
			for i := 0; i < T; i++ {
				VFNMADD231PS_BCST(Mem{Base: xs, Disp: 4 * i}, mv, accf[i][h])
			}
		}
		ADDQ(ldb, xs)
	}
	ADDQ(U32(uint32(bb)), wp)
	ADDQ(U8(32), xp)
	ADDQ(U8(32), x3)
	ADDQ(ldb, xd)
	ADDQ(ldb, xi)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("store"))
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	add := Load(Param("add"), GP64())
	TESTQ(add, add)
	JZ(LabelRef(lbl("overwrite")))
	cp2 := GP64()
	MOVQ(cp, cp2)
	for i := 0; i < T; i++ {
		VADDPS(Mem{Base: cp2}, accf[i][0], accf[i][0])
		VADDPS(Mem{Base: cp2, Disp: 64}, accf[i][1], accf[i][1])
		if i < T-1 {
			ADDQ(ldc, cp2)
		}
	}
	Label(lbl("overwrite"))
	for i := 0; i < T; i++ {
		VMOVUPS(accf[i][0], Mem{Base: cp})
		VMOVUPS(accf[i][1], Mem{Base: cp, Disp: 64})
		if i < T-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// dotRowsAVX512: dst[j] = Σ_d q[d]·k[j·stride + d] for j < rows, the
// attention scores of one query against rows cached keys (float32 or, with
// half, IEEE half keys); n (the head dimension) a multiple of 16, stride in
// elements.
func dotRowsAVX512(half bool) {
	name, es := "dotRowsF32AVX512", 4
	if half {
		name, es = "dotRowsF16AVX512", 2
	}
	TEXT(name, NOSPLIT, "func(k *byte, stride int, rows int, q *float32, n int, dst *float32)")
	Doc(name + " computes rows dot products of q with keys stride elements apart (AVX-512F).")
	kp := Load(Param("k"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	if half {
		SHLQ(U8(1), stride)
	} else {
		SHLQ(U8(2), stride)
	}
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("row"))
	CMPQ(rows, U8(1))
	JL(LabelRef(lbl("end")))
	q := Load(Param("q"), GP64())
	n := Load(Param("n"), GP64())
	kr := GP64()
	MOVQ(kp, kr)
	acc := []VecVirtual{ZMM(), ZMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	load := func(m Mem) VecVirtual {
		z := ZMM()
		if half {
			VCVTPH2PS(m, z)
		} else {
			VMOVUPS(m, z)
		}
		return z
	}
	Label(lbl("loop2"))
	CMPQ(n, U8(32))
	JL(LabelRef(lbl("loop1")))
	for i := 0; i < 2; i++ {
		z := load(Mem{Base: kr, Disp: 16 * es * i})
		VFMADD231PS(Mem{Base: q, Disp: 64 * i}, z, acc[i])
	}
	ADDQ(U8(32*es), kr)
	ADDQ(U32(128), q)
	SUBQ(U8(32), n)
	JMP(LabelRef(lbl("loop2")))
	Label(lbl("loop1"))
	CMPQ(n, U8(16))
	JL(LabelRef(lbl("done")))
	z := load(Mem{Base: kr})
	VFMADD231PS(Mem{Base: q}, z, acc[0])
	Label(lbl("done"))
	VADDPS(acc[1], acc[0], acc[0])
	sum := hsumZ(acc[0])
	VMOVSS(sum, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, kp)
	DECQ(rows)
	JMP(LabelRef(lbl("row")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// wsumAVX512: out[d] += Σ_j p[j]·v[j·stride + d] for d < n, the attention
// output of one query over rows cached values; n a multiple of 16 and at
// most 256 (the accumulators live in registers).
func wsumAVX512(half bool) {
	name, es := "wsumF32AVX512", 4
	if half {
		name, es = "wsumF16AVX512", 2
	}
	TEXT(name, NOSPLIT, "func(v *byte, stride int, rows int, p *float32, n int, out *float32)")
	Doc(name + " adds Σ_j p[j]·v_j into out over rows value vectors stride elements apart (AVX-512F); n ≤ 256.")
	out := Load(Param("out"), GP64())
	n := Load(Param("n"), GP64())
	stride := Load(Param("stride"), GP64())
	if half {
		SHLQ(U8(1), stride)
	} else {
		SHLQ(U8(2), stride)
	}
	lbl := func(s string) string { return name + "_" + s }
	// Process the head dimension in chunks of 64 (4 ZMM accumulators).
	Label(lbl("chunk"))
	CMPQ(n, U8(16))
	JL(LabelRef(lbl("end")))
	vp := Load(Param("v"), GP64())
	pp := Load(Param("p"), GP64())
	rows := Load(Param("rows"), GP64())
	acc := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	// Number of live accumulators this chunk: min(4, n/16); handled by
	// running the 4-wide body when n ≥ 64 and a 1-wide body otherwise.
	CMPQ(n, U8(64))
	JL(LabelRef(lbl("one")))
	for i, a := range acc {
		VMOVUPS(Mem{Base: out, Disp: 64 * i}, a)
	}
	Label(lbl("row4"))
	CMPQ(rows, U8(1))
	JL(LabelRef(lbl("store4")))
	pb := ZMM()
	VBROADCASTSS(Mem{Base: pp}, pb)
	for i, a := range acc {
		z := ZMM()
		if half {
			VCVTPH2PS(Mem{Base: vp, Disp: 16 * es * i}, z)
		} else {
			VMOVUPS(Mem{Base: vp, Disp: 16 * es * i}, z)
		}
		VFMADD231PS(z, pb, a)
	}
	ADDQ(U8(4), pp)
	ADDQ(stride, vp)
	DECQ(rows)
	JMP(LabelRef(lbl("row4")))
	Label(lbl("store4"))
	for i, a := range acc {
		VMOVUPS(a, Mem{Base: out, Disp: 64 * i})
	}
	ADDQ(U32(256), out)
	SUBQ(U8(64), n)
	// Advance v by 64 elements for the next chunk: shift the base pointer.
	vbase := Load(Param("v"), GP64())
	ADDQ(U32(uint32(64*es)), vbase)
	Store(vbase, Param("v"))
	JMP(LabelRef(lbl("chunk")))
	Label(lbl("one"))
	a := acc[0]
	VMOVUPS(Mem{Base: out}, a)
	Label(lbl("row1"))
	CMPQ(rows, U8(1))
	JL(LabelRef(lbl("store1")))
	pb1 := ZMM()
	VBROADCASTSS(Mem{Base: pp}, pb1)
	z := ZMM()
	if half {
		VCVTPH2PS(Mem{Base: vp}, z)
	} else {
		VMOVUPS(Mem{Base: vp}, z)
	}
	VFMADD231PS(z, pb1, a)
	ADDQ(U8(4), pp)
	ADDQ(stride, vp)
	DECQ(rows)
	JMP(LabelRef(lbl("row1")))
	Label(lbl("store1"))
	VMOVUPS(a, Mem{Base: out})
	ADDQ(U8(64), out)
	SUBQ(U8(16), n)
	vbase1 := Load(Param("v"), GP64())
	ADDQ(U32(uint32(16*es)), vbase1)
	Store(vbase1, Param("v"))
	JMP(LabelRef(lbl("chunk")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// expSubAVX512: x[i] = exp(x[i] − m) for n (a multiple of 16) values ≤ m,
// returning their sum: the softmax numerators. exp(t) = 2^k·p(r) with
// k = round(t·log2 e), r = t − k·ln 2 (two-part ln 2) and p the degree-6
// Taylor polynomial (relative error < 2e-7 on |r| ≤ ln2/2), scaled by
// VSCALEFPS.
func expSubAVX512() {
	TEXT("expSubAVX512", NOSPLIT, "func(x *float32, n int, m float32) float32")
	Doc("expSubAVX512 replaces x[i] by exp(x[i]−m) and returns the sum (AVX-512F); n a multiple of 16.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	mz := ZMM()
	VBROADCASTSS(NewParamAddr("m", 16), mz)
	e := newExpZ()
	lo := bcastConst(math.Float32bits(-87.0))
	sum := ZMM()
	VXORPS(sum, sum, sum)
	Label("exp_loop")
	CMPQ(n, U8(16))
	JL(LabelRef("exp_done"))
	t := ZMM()
	VMOVUPS(Mem{Base: x}, t)
	VSUBPS(mz, t, t)
	VMAXPS(lo, t, t)
	p := e.exp(t)
	VMOVUPS(p, Mem{Base: x})
	VADDPS(p, sum, sum)
	ADDQ(U8(64), x)
	SUBQ(U8(16), n)
	JMP(LabelRef("exp_loop"))
	Label("exp_done")
	r := hsumZ(sum)
	VZEROUPPER()
	Store(r, ReturnIndex(0))
	RET()
}

// swigluAVX512: h[i] = g[i]·σ(g[i])·u[i] = g[i]/(1+exp(−g[i]))·u[i] for n
// (a multiple of 16) values, the SwiGLU of the FFN, with exp as in
// expSubAVX512 (its argument clamped to [−87, 88]: below, exp is 0 in
// float32 and silu(g) = g; above, it overflows and silu(g) = −0).
func swigluAVX512() {
	TEXT("swigluAVX512", NOSPLIT, "func(dst *float32, gate *float32, up *float32, n int)")
	Doc("swigluAVX512 sets dst[i] = silu(gate[i])·up[i] (AVX-512F); n a multiple of 16.")
	h := Load(Param("dst"), GP64())
	g := Load(Param("gate"), GP64())
	u := Load(Param("up"), GP64())
	n := Load(Param("n"), GP64())
	e := newExpZ()
	lo, hi := bcastConst(math.Float32bits(-87.0)), bcastConst(math.Float32bits(88.0))
	one := bcastConst(math.Float32bits(1))
	zero := ZMM()
	VXORPS(zero, zero, zero)
	Label("swiglu_loop")
	CMPQ(n, U8(16))
	JL(LabelRef("swiglu_done"))
	x := ZMM()
	VMOVUPS(Mem{Base: g}, x)
	t := ZMM()
	VSUBPS(x, zero, t) // t = −x
	VMAXPS(lo, t, t)
	VMINPS(hi, t, t)
	p := e.exp(t) // exp(−x)
	VADDPS(one, p, p)
	VDIVPS(p, x, x) // x / (1 + exp(−x))
	VMULPS(Mem{Base: u}, x, x)
	VMOVUPS(x, Mem{Base: h})
	ADDQ(U8(64), h)
	ADDQ(U8(64), g)
	ADDQ(U8(64), u)
	SUBQ(U8(16), n)
	JMP(LabelRef("swiglu_loop"))
	Label("swiglu_done")
	VZEROUPPER()
	RET()
}

// expZ holds the constants of exp on ZMM registers: exp(t) = 2^k·p(r) with
// k = round(t·log2 e), r = t − k·ln 2 (two-part ln 2) and p the degree-6
// Taylor polynomial (relative error < 2e-7 on |r| ≤ ln2/2), scaled by
// VSCALEFPS. The caller clamps t.
type expZ struct {
	log2e, ln2hi, ln2lo VecVirtual
	coef                []VecVirtual
}

func newExpZ() *expZ {
	c := func(v float32) VecVirtual { return bcastConst(math.Float32bits(v)) }
	return &expZ{
		log2e: c(1.4426950408889634),
		ln2hi: c(0.693145751953125),
		ln2lo: c(1.4286068203094172e-06),
		coef:  []VecVirtual{c(1.0 / 720), c(1.0 / 120), c(1.0 / 24), c(1.0 / 6), c(0.5), c(1), c(1)},
	}
}

// exp returns a new ZMM with exp(t); t is overwritten by the reduced r.
func (e *expZ) exp(t VecVirtual) VecVirtual {
	k := ZMM()
	VMULPS(e.log2e, t, k)
	VRNDSCALEPS(U8(0), k, k)
	VFNMADD231PS(e.ln2hi, k, t)
	VFNMADD231PS(e.ln2lo, k, t)
	p := ZMM()
	VMOVAPS(e.coef[0], p)
	for _, cc := range e.coef[1:] {
		VFMADD213PS(cc, t, p) // p = p·t + c
	}
	VSCALEFPS(k, p, p)
	return p
}

// bcastConst returns a ZMM with the 32-bit constant v in every lane.
func bcastConst(v uint32) VecVirtual {
	r := GP32()
	MOVL(U32(v), r)
	z := ZMM()
	VPBROADCASTD(r, z)
	return z
}

// dequantQ4_KAVX512: nb Q4_K blocks (144 bytes: d, dmin, 12 bytes of 6-bit
// scales and mins, 128 bytes of nibbles) to 256·nb float32:
// y = d·sc_j·q − dmin·mn_j for sub-block j of 32.
func dequantQ4_KAVX512() {
	TEXT("dequantQ4_KAVX512", 0, "func(dst *float32, src *byte, nb int)")
	Doc("dequantQ4_KAVX512 dequantizes nb Q4_K blocks to float32 (AVX-512F).")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	nb := Load(Param("nb"), GP64())
	tmp := AllocLocal(64) // 8 scales, then 8 mins, as float32
	mask := bcastConst(0x0f0f0f0f)
	Label("dq4k_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("dq4k_done"))
	// Unpack the 6-bit scales and mins into bytes.
	a, b, c := GP32(), GP32(), GP32()
	MOVL(Mem{Base: sp, Disp: 4}, a)
	MOVL(Mem{Base: sp, Disp: 8}, b)
	MOVL(Mem{Base: sp, Disp: 12}, c)
	scLo, mnLo, scHi, mnHi, t := GP32(), GP32(), GP32(), GP32(), GP32()
	MOVL(a, scLo)
	ANDL(U32(0x3f3f3f3f), scLo)
	MOVL(b, mnLo)
	ANDL(U32(0x3f3f3f3f), mnLo)
	MOVL(c, scHi)
	ANDL(U32(0x0f0f0f0f), scHi)
	MOVL(a, t)
	SHRL(U8(6), t)
	ANDL(U32(0x03030303), t)
	SHLL(U8(4), t)
	ORL(t, scHi)
	MOVL(c, mnHi)
	SHRL(U8(4), mnHi)
	ANDL(U32(0x0f0f0f0f), mnHi)
	MOVL(b, t)
	SHRL(U8(6), t)
	ANDL(U32(0x03030303), t)
	SHLL(U8(4), t)
	ORL(t, mnHi)
	dz := blockScale(Mem{Base: sp})
	mz := blockScale(Mem{Base: sp, Disp: 2})
	for i, pr := range [][2]Register{{scLo, scHi}, {mnLo, mnHi}} {
		x := XMM()
		VMOVD(pr[0], x)
		VPINSRD(U8(1), pr[1], x, x)
		y := YMM()
		VPMOVZXBD(x, y)
		VCVTDQ2PS(y, y)
		f := dz
		if i == 1 {
			f = mz
		}
		VMULPS(f.AsY(), y, y)
		VMOVUPS(y, tmp.Offset(32*i))
	}
	for ch := 0; ch < 4; ch++ {
		q := YMM()
		VMOVDQU(Mem{Base: sp, Disp: 16 + 32*ch}, q)
		lo, hi := YMM(), YMM()
		VPANDD(mask.AsY(), q, lo)
		VPSRLW(U8(4), q, hi)
		VPANDD(mask.AsY(), hi, hi)
		for half, v := range []VecVirtual{lo, hi} {
			j := 2*ch + half
			sc, mn := ZMM(), ZMM()
			VBROADCASTSS(tmp.Offset(4*j), sc)
			VBROADCASTSS(tmp.Offset(32+4*j), mn)
			up := XMM()
			VEXTRACTI32X4(U8(1), v, up)
			for part, src := range []Register{v.AsX(), up} {
				z := ZMM()
				VPMOVZXBD(src, z)
				VCVTDQ2PS(z, z)
				VFMSUB213PS(mn, sc, z) // z·sc − mn
				VMOVUPS(z, Mem{Base: d, Disp: 4 * (64*ch + 32*half + 16*part)})
			}
		}
	}
	ADDQ(U32(144), sp)
	ADDQ(U32(1024), d)
	DECQ(nb)
	JMP(LabelRef("dq4k_loop"))
	Label("dq4k_done")
	VZEROUPPER()
	RET()
}

// dequantQ6_KAVX512: nb Q6_K blocks (210 bytes: ql[128], qh[64], 16 int8
// scales, d) to 256·nb float32: y = d·sc·(q − 32), q 6 bits from a nibble
// of ql and two bits of qh.
func dequantQ6_KAVX512() {
	TEXT("dequantQ6_KAVX512", 0, "func(dst *float32, src *byte, nb int)")
	Doc("dequantQ6_KAVX512 dequantizes nb Q6_K blocks to float32 (AVX-512F).")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	nb := Load(Param("nb"), GP64())
	tmp := AllocLocal(64) // d·sc for the 16 scales
	m0f := bcastConst(0x0f0f0f0f)
	m03 := bcastConst(0x03030303)
	c32 := bcastConst(32)
	Label("dq6k_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("dq6k_done"))
	dz := blockScale(Mem{Base: sp, Disp: 208})
	sc := ZMM()
	VPMOVSXBD(Mem{Base: sp, Disp: 192}, sc)
	VCVTDQ2PS(sc, sc)
	VMULPS(dz, sc, sc)
	VMOVUPS(sc, tmp)
	for h := 0; h < 2; h++ {
		A, B, H := YMM(), YMM(), YMM()
		VMOVDQU(Mem{Base: sp, Disp: 64 * h}, A)
		VMOVDQU(Mem{Base: sp, Disp: 64*h + 32}, B)
		VMOVDQU(Mem{Base: sp, Disp: 128 + 32*h}, H)
		for k := 0; k < 4; k++ {
			// low/high nibble of A (k = 0, 2) or B (k = 1, 3); bits 2k..2k+1 of H.
			src := A
			if k%2 == 1 {
				src = B
			}
			q := YMM()
			if k < 2 {
				VPANDD(m0f.AsY(), src, q)
			} else {
				VPSRLW(U8(4), src, q)
				VPANDD(m0f.AsY(), q, q)
			}
			hb := YMM()
			if k == 0 {
				VPANDD(m03.AsY(), H, hb)
			} else {
				VPSRLW(U8(2*k), H, hb)
				VPANDD(m03.AsY(), hb, hb)
			}
			VPSLLW(U8(4), hb, hb)
			VPORD(hb, q, q)
			up := XMM()
			VEXTRACTI32X4(U8(1), q, up)
			for part, sx := range []Register{q.AsX(), up} {
				z := ZMM()
				VPMOVZXBD(sx, z)
				VPSUBD(c32, z, z)
				VCVTDQ2PS(z, z)
				s := ZMM()
				VBROADCASTSS(tmp.Offset(4*(8*h+2*k+part)), s)
				VMULPS(s, z, z)
				VMOVUPS(z, Mem{Base: d, Disp: 4 * (128*h + 32*k + 16*part)})
			}
		}
	}
	ADDQ(U32(210), sp)
	ADDQ(U32(1024), d)
	DECQ(nb)
	JMP(LabelRef("dq6k_loop"))
	Label("dq6k_done")
	VZEROUPPER()
	RET()
}

// prefetchAhead is how far ahead (bytes) the streaming weight kernels
// prefetch: one core needs many lines in flight to approach DRAM bandwidth.
var prefetchAhead = 1024

// dotF32AVX2: Σ a[i]·b[i], n a multiple of 8.
func dotF32AVX2() {
	TEXT("dotF32AVX2", NOSPLIT, "func(a, b *float32, n int) float32")
	Doc("dotF32AVX2 returns Σ a[i]·b[i] for n a multiple of 8 (AVX2+FMA).")
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, z := range acc {
		VXORPS(z, z, z)
	}
	Label("f32a_loop4")
	CMPQ(n, U8(32))
	JL(LabelRef("f32a_loop1"))
	for i, z := range acc {
		t := YMM()
		VMOVUPS(Mem{Base: a, Disp: 32 * i}, t)
		VFMADD231PS(Mem{Base: b, Disp: 32 * i}, t, z)
	}
	ADDQ(U32(128), a)
	ADDQ(U32(128), b)
	SUBQ(U8(32), n)
	JMP(LabelRef("f32a_loop4"))
	Label("f32a_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef("f32a_done"))
	t := YMM()
	VMOVUPS(Mem{Base: a}, t)
	VFMADD231PS(Mem{Base: b}, t, acc[0])
	ADDQ(U8(32), a)
	ADDQ(U8(32), b)
	SUBQ(U8(8), n)
	JMP(LabelRef("f32a_loop1"))
	Label("f32a_done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	s := hsumY(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// dotF16AVX2: Σ half(w[i])·x[i], n a multiple of 8 (F16C + FMA).
func dotF16AVX2() {
	TEXT("dotF16AVX2", NOSPLIT, "func(w *uint16, x *float32, n int) float32")
	Doc("dotF16AVX2 returns Σ float32(w[i])·x[i] for IEEE half w, n a multiple of 8 (F16C+FMA).")
	w := Load(Param("w"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, z := range acc {
		VXORPS(z, z, z)
	}
	Label("f16a_loop4")
	CMPQ(n, U8(32))
	JL(LabelRef("f16a_loop1"))
	for i, z := range acc {
		t := YMM()
		VCVTPH2PS(Mem{Base: w, Disp: 16 * i}, t)
		VFMADD231PS(Mem{Base: x, Disp: 32 * i}, t, z)
	}
	ADDQ(U8(64), w)
	ADDQ(U32(128), x)
	SUBQ(U8(32), n)
	JMP(LabelRef("f16a_loop4"))
	Label("f16a_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef("f16a_done"))
	t := YMM()
	VCVTPH2PS(Mem{Base: w}, t)
	VFMADD231PS(Mem{Base: x}, t, acc[0])
	ADDQ(U8(16), w)
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("f16a_loop1"))
	Label("f16a_done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	s := hsumY(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// axpyF32AVX2: y[i] += a·x[i], n a multiple of 8.
func axpyF32AVX2() {
	TEXT("axpyF32AVX2", NOSPLIT, "func(y, x *float32, a float32, n int)")
	Doc("axpyF32AVX2 computes y[i] += a·x[i] for n a multiple of 8 (AVX2+FMA).")
	y := Load(Param("y"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	av := YMM()
	VBROADCASTSS(NewParamAddr("a", 16), av)
	Label("axpya_loop")
	CMPQ(n, U8(8))
	JL(LabelRef("axpya_done"))
	t := YMM()
	VMOVUPS(Mem{Base: y}, t)
	VFMADD231PS(Mem{Base: x}, av, t)
	VMOVUPS(t, Mem{Base: y})
	ADDQ(U8(32), x)
	ADDQ(U8(32), y)
	SUBQ(U8(8), n)
	JMP(LabelRef("axpya_loop"))
	Label("axpya_done")
	VZEROUPPER()
	RET()
}
