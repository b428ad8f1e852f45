package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// AVX2+FMA kernels, for CPUs without AVX-512 (most laptops). They use only
// VEX instructions and at most 16 live vector registers. The int8 dots use
// llama.cpp's AVX2 idiom: VPMADDUBSW multiplies unsigned weight bytes by
// signed activation bytes into pairs of int16 (never saturating here: a
// pair is at most 2·63·127), VPMADDWD with ones sums them to int32.

// ymmConst32 broadcasts a 32-bit constant into a YMM.
func ymmConst32(v uint32) VecVirtual {
	r := GP32()
	MOVL(U32(v), r)
	x := XMM()
	VMOVD(r, x)
	y := YMM()
	VPBROADCASTD(x, y)
	return y
}

// ymmConst64x4 builds a YMM from four 64-bit constants (low first).
func ymmConst64x4(a, b, c, d uint64) VecVirtual {
	r := GP64()
	lo, hi := XMM(), XMM()
	MOVQ(U64(a), r)
	VMOVQ(r, lo)
	MOVQ(U64(b), r)
	VPINSRQ(U8(1), r, lo, lo)
	MOVQ(U64(c), r)
	VMOVQ(r, hi)
	MOVQ(U64(d), r)
	VPINSRQ(U8(1), r, hi, hi)
	y := YMM()
	VINSERTI128(U8(1), hi, lo.AsY(), y)
	return y
}

// dot8 returns the 8 int32 sums of 4 products each of the unsigned bytes q
// and the signed bytes at x (VPMADDUBSW + VPMADDWD with ones16).
func dot8(x Op, q, ones16 VecVirtual) VecVirtual {
	t := YMM()
	VPMADDUBSW(x, q, t)
	VPMADDWD(ones16, t, t)
	return t
}

// gemmPackedAVX2 is gemmPackedAVX512 for AVX2: the 32-row panel is done in
// two halves of 16 rows (two YMM per k), each over T tokens, so 2·T
// accumulators, two weight registers and one broadcast fit in 16.
func gemmPackedAVX2(T int) {
	name := fmt.Sprintf("gemmPacked%dAVX2", T)
	TEXT(name, NOSPLIT, "func(w *float32, x *float32, ldx int, kc int, c *float32, ldc int, add int)")
	Doc(fmt.Sprintf("%s adds (or stores) a 32×%d tile of packed-W·xᵀ into c (AVX2+FMA); strides in elements.", name, T))
	ldx := Load(Param("ldx"), GP64())
	SHLQ(U8(2), ldx)
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	for h := 0; h < 2; h++ {
		wp := Load(Param("w"), GP64())
		xp := Load(Param("x"), GP64())
		kc := Load(Param("kc"), GP64())
		if h == 1 {
			ADDQ(U8(64), wp)
		}
		x3 := GP64()
		LEAQ(Mem{Base: xp, Index: ldx, Scale: 2}, x3)
		ADDQ(ldx, x3)
		tok := func(i int) Mem {
			b := xp
			if i >= 3 {
				b = x3
			}
			switch i % 3 {
			case 0:
				return Mem{Base: b}
			case 1:
				return Mem{Base: b, Index: ldx, Scale: 1}
			}
			return Mem{Base: b, Index: ldx, Scale: 2}
		}
		acc := make([][2]VecVirtual, T)
		for i := range acc {
			for j := 0; j < 2; j++ {
				acc[i][j] = YMM()
				VXORPS(acc[i][j], acc[i][j], acc[i][j])
			}
		}
		lbl := func(s string) string { return fmt.Sprintf("gpa%d_%d_%s", T, h, s) }
		Label(lbl("loop"))
		CMPQ(kc, U8(1))
		JL(LabelRef(lbl("store")))
		w0, w1 := YMM(), YMM()
		VMOVUPS(Mem{Base: wp}, w0)
		VMOVUPS(Mem{Base: wp, Disp: 32}, w1)
		for i := 0; i < T; i++ {
			xb := YMM()
			VBROADCASTSS(tok(i), xb)
			VFMADD231PS(xb, w0, acc[i][0])
			VFMADD231PS(xb, w1, acc[i][1])
		}
		ADDQ(U8(128), wp)
		ADDQ(U8(4), xp)
		ADDQ(U8(4), x3)
		DECQ(kc)
		JMP(LabelRef(lbl("loop")))
		Label(lbl("store"))
		cp := Load(Param("c"), GP64())
		if h == 1 {
			ADDQ(U8(64), cp)
		}
		add := Load(Param("add"), GP64())
		TESTQ(add, add)
		JZ(LabelRef(lbl("overwrite")))
		cp2 := GP64()
		MOVQ(cp, cp2)
		for i := 0; i < T; i++ {
			VADDPS(Mem{Base: cp2}, acc[i][0], acc[i][0])
			VADDPS(Mem{Base: cp2, Disp: 32}, acc[i][1], acc[i][1])
			if i < T-1 {
				ADDQ(ldc, cp2)
			}
		}
		Label(lbl("overwrite"))
		for i := 0; i < T; i++ {
			VMOVUPS(acc[i][0], Mem{Base: cp})
			VMOVUPS(acc[i][1], Mem{Base: cp, Disp: 32})
			if i < T-1 {
				ADDQ(ldc, cp)
			}
		}
	}
	VZEROUPPER()
	RET()
}

// gemmTokenTilesAVX2 are the token counts gemmPackedAVX2 is generated for.
var gemmTokenTilesAVX2 = []int{6, 3, 1}

// dotQ8_0AVX2: one Q8_0 row against int8 activations; the signed weights
// become |w| (unsigned) and the activations take their signs (VPSIGNB).
func dotQ8_0AVX2() {
	TEXT("dotQ8_0AVX2", NOSPLIT, "func(w *byte, nb int, xq *int8, xd *float32) float32")
	Doc("dotQ8_0AVX2 returns the dot product of nb Q8_0 blocks with int8 activation blocks (AVX2).")
	w := Load(Param("w"), GP64())
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	ones := ymmConst32(0x00010001)
	acc := YMM()
	VXORPS(acc, acc, acc)
	Label("q8a_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("q8a_done"))
	wd := XMM()
	VPBROADCASTW(Mem{Base: w}, wd)
	sc := YMM()
	VCVTPH2PS(wd, sc)
	xs := YMM()
	VBROADCASTSS(Mem{Base: xd}, xs)
	VMULPS(xs, sc, sc)
	wv := YMM()
	VMOVDQU(Mem{Base: w, Disp: 2}, wv)
	xv := YMM()
	VMOVDQU(Mem{Base: xq}, xv)
	VPSIGNB(wv, xv, xv)
	VPABSB(wv, wv)
	t := dot8(xv, wv, ones)
	VCVTDQ2PS(t, t)
	VFMADD231PS(t, sc, acc)
	ADDQ(U8(34), w)
	ADDQ(U8(32), xq)
	ADDQ(U8(4), xd)
	DECQ(nb)
	JMP(LabelRef("q8a_loop"))
	Label("q8a_done")
	s := hsumY(acc)
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// dotQ4_0AVX2: one Q4_0 row; as dotQ4_0VNNI, the −8 offset is −8·d·xs.
func dotQ4_0AVX2() {
	TEXT("dotQ4_0AVX2", NOSPLIT, "func(w *byte, nb int, xq *int8, xd *float32, xs *float32) float32")
	Doc("dotQ4_0AVX2 returns the dot product of nb Q4_0 blocks with int8 activation blocks (AVX2).")
	w := Load(Param("w"), GP64())
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	ones := ymmConst32(0x00010001)
	mask := ymmConst32(0x0f0f0f0f)
	acc := YMM()
	VXORPS(acc, acc, acc)
	corr := XMM()
	VXORPS(corr, corr, corr)
	Label("q4a_loop")
	CMPQ(nb, U8(1))
	JL(LabelRef("q4a_done"))
	wd := XMM()
	VPBROADCASTW(Mem{Base: w}, wd)
	sc := YMM()
	VCVTPH2PS(wd, sc)
	VFMADD231SS(Mem{Base: xs}, sc.AsX(), corr)
	xsc := YMM()
	VBROADCASTSS(Mem{Base: xd}, xsc)
	VMULPS(xsc, sc, sc)
	q := nibbles32(Mem{Base: w, Disp: 2}, mask)
	t := dot8(Mem{Base: xq}, q, ones)
	VCVTDQ2PS(t, t)
	VFMADD231PS(t, sc, acc)
	ADDQ(U8(18), w)
	ADDQ(U8(32), xq)
	ADDQ(U8(4), xd)
	ADDQ(U8(4), xs)
	DECQ(nb)
	JMP(LabelRef("q4a_loop"))
	Label("q4a_done")
	s := hsumY(acc)
	eight := XMM()
	e := GP32()
	MOVL(U32(0x41000000), e) // 8.0f
	VMOVD(e, eight)
	VFNMADD231SS(eight, corr, s)
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// nibbles32 unpacks 16 bytes of nibbles at m into 32 bytes in element
// order: low nibbles (elements 0..15), then high nibbles (16..31).
func nibbles32(m Mem, mask VecVirtual) VecVirtual {
	lo := XMM()
	VMOVDQU(m, lo)
	hi := XMM()
	VPSRLW(U8(4), lo, hi)
	q := YMM()
	VINSERTI128(U8(1), hi, lo.AsY(), q)
	VPAND(mask, q, q)
	return q
}

// dotLegacyAVX2 is dotLegacyVNNI for AVX2. The 32 high bits of a 5-bit
// block become bytes as in llama.cpp's bytes_from_bits_32: broadcast,
// VPSHUFB byte i/8 to byte i, set every bit but i%8, compare with all
// ones.
func dotLegacyAVX2(lt legacyType) {
	name := "dot" + lt.name + "AVX2"
	TEXT(name, 0, "func(w *byte, stride int, rows int, nb int, xq *int8, xd *float32, xs *float32, dst *float32)")
	Doc(name + " computes rows " + lt.name + " row · int8 activation dot products (AVX2).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	ones := ymmConst32(0x00010001)
	mask := ymmConst32(0x0f0f0f0f)
	var shuf, bits, allOnes, sixteen VecVirtual
	if lt.qh >= 0 {
		shuf = ymmConst64x4(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303)
		const b = 0x7fbfdfeff7fbfdfe
		bits = ymmConst64x4(b, b, b, b)
		allOnes = YMM()
		VPCMPEQB(allOnes, allOnes, allOnes)
		sixteen = ymmConst32(0x10101010)
	}
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("row"))
	CMPQ(rows, U8(1))
	JL(LabelRef(lbl("end")))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	wp := GP64()
	MOVQ(w, wp)
	acc := YMM()
	VXORPS(acc, acc, acc)
	corr := XMM()
	VXORPS(corr, corr, corr)
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("done")))
	wd := XMM()
	VPBROADCASTW(Mem{Base: wp}, wd)
	sc := YMM()
	VCVTPH2PS(wd, sc)
	if lt.min >= 0 {
		mh := XMM()
		VPBROADCASTW(Mem{Base: wp, Disp: lt.min}, mh)
		mf := XMM()
		VCVTPH2PS(mh, mf)
		VFMADD231SS(Mem{Base: xs}, mf, corr)
	} else {
		VFMADD231SS(Mem{Base: xs}, sc.AsX(), corr)
	}
	xsc := YMM()
	VBROADCASTSS(Mem{Base: xd}, xsc)
	VMULPS(xsc, sc, sc)
	q := nibbles32(Mem{Base: wp, Disp: lt.qs}, mask)
	if lt.qh >= 0 {
		hb := YMM()
		VPBROADCASTD(Mem{Base: wp, Disp: lt.qh}, hb)
		VPSHUFB(shuf, hb, hb)
		VPOR(bits, hb, hb)
		VPCMPEQB(allOnes, hb, hb)
		VPAND(sixteen, hb, hb)
		VPOR(hb, q, q)
	}
	t := dot8(Mem{Base: xq}, q, ones)
	VCVTDQ2PS(t, t)
	VFMADD231PS(t, sc, acc)
	ADDQ(U8(lt.bytes), wp)
	ADDQ(U8(32), xq)
	ADDQ(U8(4), xd)
	ADDQ(U8(4), xs)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("done"))
	s := hsumY(acc)
	if lt.min >= 0 {
		VADDSS(corr, s, s)
	} else {
		f := XMM()
		g := GP32()
		MOVL(U32(math.Float32bits(float32(lt.offset))), g)
		VMOVD(g, f)
		VFNMADD231SS(f, corr, s)
	}
	VMOVSS(s, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, w)
	DECQ(rows)
	JMP(LabelRef(lbl("row")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// reduce8 turns four YMMs of 8 int32 partial sums (s0..s3) into one YMM
// whose low 128 bits hold the sums of s0..s3's low lanes and whose high
// 128 bits those of their high lanes (VPHADDD twice).
func reduce4(s [4]VecVirtual) VecVirtual {
	t0, t1 := YMM(), YMM()
	VPHADDD(s[1], s[0], t0)
	VPHADDD(s[3], s[2], t1)
	u := YMM()
	VPHADDD(t1, t0, u)
	return u
}

// dotK45AVX2 is dotK45VNNI for AVX2: per 256-block, the 8 sub-block dot
// products (32 elements each) are reduced to one vector of 8 int32 with
// VPHADDD and VPERM2I128, then scaled by d·sc_j·xd_j in one FMA.
func dotK45AVX2(five bool) {
	name, bsize, qsOff := "dotQ4_KAVX2", 144, 16
	if five {
		name, bsize, qsOff = "dotQ5_KAVX2", 176, 48
	}
	TEXT(name, 0, "func(w *byte, stride int, rows int, nb int, xq *int8, xd *float32, xs *float32, dst *float32)")
	Doc(name + " computes rows " + name[3:7] + " row · int8 activation dot products (AVX2).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	ones := ymmConst32(0x00010001)
	mask := ymmConst32(0x0f0f0f0f)
	var one8 VecVirtual
	if five {
		one8 = ymmConst32(0x01010101)
	}
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("row"))
	CMPQ(rows, U8(1))
	JL(LabelRef(lbl("end")))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	wp := GP64()
	MOVQ(w, wp)
	acc, macc := YMM(), YMM()
	VXORPS(acc, acc, acc)
	VXORPS(macc, macc, macc)
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("done")))
	scLo, mnLo, scHi, mnHi := k4Scales(wp)
	mnf := bytes8(mnLo, mnHi)
	mh := XMM()
	VPBROADCASTW(Mem{Base: wp, Disp: 2}, mh)
	mv := YMM()
	VCVTPH2PS(mh, mv)
	VMULPS(Mem{Base: xs}, mnf, mnf)
	VFMADD231PS(mnf, mv, macc)
	// The 8 integer sub-block sums, two chunks (four sub-blocks) at a time.
	var us [2]VecVirtual
	for half := 0; half < 2; half++ {
		var s [4]VecVirtual
		for cc := 0; cc < 2; cc++ {
			ch := 2*half + cc
			q := YMM()
			VMOVDQU(Mem{Base: wp, Disp: qsOff + 32*ch}, q)
			hi := YMM()
			VPSRLW(U8(4), q, hi)
			VPAND(mask, q, q)
			VPAND(mask, hi, hi)
			if five {
				for k, v := range []VecVirtual{q, hi} {
					hb := YMM()
					VMOVDQU(Mem{Base: wp, Disp: 16}, hb)
					if sh := 2*ch + k; sh > 0 {
						VPSRLW(U8(sh), hb, hb)
					}
					VPAND(one8, hb, hb)
					VPSLLW(U8(4), hb, hb)
					VPOR(hb, v, v)
				}
			}
			s[2*cc] = dot8(Mem{Base: xq, Disp: 64 * ch}, q, ones)
			s[2*cc+1] = dot8(Mem{Base: xq, Disp: 64*ch + 32}, hi, ones)
		}
		us[half] = reduce4(s)
	}
	x, y := YMM(), YMM()
	VPERM2I128(U8(0x20), us[1], us[0], x)
	VPERM2I128(U8(0x31), us[1], us[0], y)
	VPADDD(y, x, x)
	VCVTDQ2PS(x, x)
	scf := bytes8(scLo, scHi)
	dh := XMM()
	VPBROADCASTW(Mem{Base: wp}, dh)
	dv := YMM()
	VCVTPH2PS(dh, dv)
	VMULPS(dv, scf, scf)
	VMULPS(Mem{Base: xd}, scf, scf)
	VFMADD231PS(x, scf, acc)
	ADDQ(U32(uint32(bsize)), wp)
	ADDQ(U32(256), xq)
	ADDQ(U8(32), xd)
	ADDQ(U8(32), xs)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("done"))
	VSUBPS(macc, acc, acc)
	sum := hsumY(acc)
	VMOVSS(sum, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, w)
	DECQ(rows)
	JMP(LabelRef(lbl("row")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// dotQ6_KAVX2: rows of Q6_K against int8 activations. Per quarter of 32
// values (one activation block m), q·x − 32·x in int16 pairs
// (VPMADDUBSW twice, VPSUBW), summed to int32 per 4 values: lanes 0-3
// belong to scale group 2m, lanes 4-7 to 2m+1, whose int8 scales
// VPMOVSXBD + VPERMD spread over the lanes.
func dotQ6_KAVX2() {
	TEXT("dotQ6_KAVX2", 0, "func(w *byte, stride int, rows int, nb int, xq *int8, xd *float32, xn *int32, dst *float32)")
	Doc("dotQ6_KAVX2 computes rows Q6_K row · int8 activation dot products (AVX2).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	m0f, m03, m20 := ymmConst32(0x0f0f0f0f), ymmConst32(0x03030303), ymmConst32(0x20202020)
	ones := ymmConst32(0x00010001)
	perm := ymmConst64x4(0, 0, 0x0000000100000001, 0x0000000100000001)
	Label("q6a_row")
	CMPQ(rows, U8(1))
	JL(LabelRef("q6a_end"))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	wp := GP64()
	MOVQ(w, wp)
	acc := YMM()
	VXORPS(acc, acc, acc)
	Label("q6a_block")
	CMPQ(nb, U8(1))
	JL(LabelRef("q6a_done"))
	dh := XMM()
	VPBROADCASTW(Mem{Base: wp, Disp: 208}, dh)
	dv := YMM()
	VCVTPH2PS(dh, dv)
	for h := 0; h < 2; h++ {
		for k := 0; k < 4; k++ {
			m := 4*h + k
			q := YMM()
			VMOVDQU(Mem{Base: wp, Disp: 64*h + 32*(k&1)}, q)
			if k >= 2 {
				VPSRLW(U8(4), q, q)
			}
			VPAND(m0f, q, q)
			hb := YMM()
			VMOVDQU(Mem{Base: wp, Disp: 128 + 32*h}, hb)
			if k > 0 {
				VPSRLW(U8(2*k), hb, hb)
			}
			VPAND(m03, hb, hb)
			VPSLLW(U8(4), hb, hb)
			VPOR(hb, q, q)
			xm := Mem{Base: xq, Disp: 32 * m}
			p, p32 := YMM(), YMM()
			VPMADDUBSW(xm, q, p)
			VPMADDUBSW(xm, m20, p32)
			VPSUBW(p32, p, p)
			VPMADDWD(ones, p, p)
			VCVTDQ2PS(p, p)
			sc := YMM()
			VPMOVSXBD(Mem{Base: wp, Disp: 192 + 2*m}, sc)
			VPERMD(sc, perm, sc)
			VCVTDQ2PS(sc, sc)
			xs := YMM()
			VBROADCASTSS(Mem{Base: xd, Disp: 4 * m}, xs)
			VMULPS(dv, xs, xs)
			VMULPS(xs, sc, sc)
			VFMADD231PS(p, sc, acc)
		}
	}
	ADDQ(U32(210), wp)
	ADDQ(U32(256), xq)
	ADDQ(U8(32), xd)
	DECQ(nb)
	JMP(LabelRef("q6a_block"))
	Label("q6a_done")
	sum := hsumY(acc)
	VMOVSS(sum, Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(stride, w)
	DECQ(rows)
	JMP(LabelRef("q6a_row"))
	Label("q6a_end")
	VZEROUPPER()
	RET()
}

// dotBF16AVX2: Σ bf16(w[i])·x[i], n a multiple of 8; a bfloat16 widens to
// float32 by a 16-bit shift (VPMOVZXWD, VPSLLD).
func dotBF16AVX2() {
	TEXT("dotBF16AVX2", NOSPLIT, "func(w *uint16, x *float32, n int) float32")
	Doc("dotBF16AVX2 returns Σ float32(w[i])·x[i] for bfloat16 w, n a multiple of 8 (AVX2+FMA).")
	w := Load(Param("w"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, z := range acc {
		VXORPS(z, z, z)
	}
	Label("bf16a_loop4")
	CMPQ(n, U8(32))
	JL(LabelRef("bf16a_loop1"))
	for i, z := range acc {
		t := YMM()
		VPMOVZXWD(Mem{Base: w, Disp: 16 * i}, t)
		VPSLLD(U8(16), t, t)
		VFMADD231PS(Mem{Base: x, Disp: 32 * i}, t, z)
	}
	ADDQ(U8(64), w)
	ADDQ(U32(128), x)
	SUBQ(U8(32), n)
	JMP(LabelRef("bf16a_loop4"))
	Label("bf16a_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef("bf16a_done"))
	t := YMM()
	VPMOVZXWD(Mem{Base: w}, t)
	VPSLLD(U8(16), t, t)
	VFMADD231PS(Mem{Base: x}, t, acc[0])
	ADDQ(U8(16), w)
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("bf16a_loop1"))
	Label("bf16a_done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	s := hsumY(acc[0])
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// avx2Kernels generates every AVX2 kernel.
func avx2Kernels() {
	dotF32AVX2()
	dotF16AVX2()
	dotBF16AVX2()
	axpyF32AVX2()
	maxF32AVX2()
	for _, t := range gemmTokenTilesAVX2 {
		gemmPackedAVX2(t)
	}
	dotQ8_0AVX2()
	dotQ4_0AVX2()
	for _, lt := range legacyTypes {
		dotLegacyAVX2(lt)
	}
	dotK45AVX2(false)
	dotK45AVX2(true)
	dotQ6_KAVX2()
	gemmQ8AVX2(false)
	gemmQ8AVX2(true)
}

// k4Scales unpacks the 12 scale bytes at wp+4 of a Q4_K/Q5_K block into
// four registers of four bytes each: the 6-bit scales of sub-blocks 0-3
// and 4-7 and likewise the mins (llama.cpp's get_scale_min_k4, four at a
// time).
func k4Scales(wp Register) (scLo, mnLo, scHi, mnHi Register) {
	a, b, c := GP32(), GP32(), GP32()
	MOVL(Mem{Base: wp, Disp: 4}, a)
	MOVL(Mem{Base: wp, Disp: 8}, b)
	MOVL(Mem{Base: wp, Disp: 12}, c)
	scLo, mnLo, scHi, mnHi = GP32(), GP32(), GP32(), GP32()
	t := GP32()
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
	return scLo, mnLo, scHi, mnHi
}

// bytes8 widens the four bytes of lo and of hi to eight float32 in a YMM.
func bytes8(lo, hi Register) VecVirtual {
	x := XMM()
	VMOVD(lo, x)
	VPINSRD(U8(1), hi, x, x)
	y := YMM()
	VPMOVZXBD(x, y)
	VCVTDQ2PS(y, y)
	return y
}
