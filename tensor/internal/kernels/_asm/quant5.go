package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// legacyType describes a 32-element block type of the Q4_1/Q5_0/Q5_1 kind
// (see tensor/quant.go for the formulas): byte offsets of its fields and
// the constant offset of its unsigned quants.
type legacyType struct {
	name   string
	bytes  int // block size
	min    int // offset of the f16 min m (y = d·q + m), or −1
	qh     int // offset of the 32 high bits (5-bit types), or −1
	qs     int // offset of the 16 nibble bytes
	offset int // y = d·(q − offset) for types without a min
}

var legacyTypes = []legacyType{
	{name: "Q4_1", bytes: 20, min: 2, qh: -1, qs: 4},
	{name: "Q5_0", bytes: 22, min: -1, qh: 2, qs: 6, offset: 16},
	{name: "Q5_1", bytes: 24, min: 2, qh: 4, qs: 8},
}

// hsumY16 is hsumY with EVEX extraction, for registers that may be Y16+.
func hsumY16(y VecVirtual) VecVirtual {
	x := XMM()
	VEXTRACTF32X4(U8(1), y, x)
	VADDPS(x, y.AsX(), x)
	return hsumX(x)
}

// dotLegacyVNNI: dst[r] = row r · activations for rows rows of nb blocks of
// type lt, stride bytes apart (AVX-512 VNNI, 256-bit). Per block the 16
// nibble bytes unpack to 32 unsigned quants in element order (low nibbles
// = elements 0..15, high = 16..31); a 5-bit type's 32 high bits become a
// mask (bit j = element j) that adds 16 to the selected bytes. VPDPBUSD
// multiplies them with the int8 activations; the offset (−16·d·Σx) or the
// min (m·Σx) is added per block through xs[b] = xd[b]·Σ xq.
func dotLegacyVNNI(lt legacyType) {
	name := "dot" + lt.name + "VNNI"
	TEXT(name, 0, "func(w *byte, stride int, rows int, nb int, xq *int8, xd *float32, xs *float32, dst *float32)")
	Doc(name + " computes rows " + lt.name + " row · int8 activation dot products (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	stride := Load(Param("stride"), GP64())
	rows := Load(Param("rows"), GP64())
	dst := Load(Param("dst"), GP64())
	mask := bcastConst(0x0f0f0f0f)
	var sixteen VecVirtual
	if lt.qh >= 0 {
		sixteen = bcastConst(0x10101010)
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
	acc := []VecVirtual{YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	corr := XMM()
	VXORPS(corr, corr, corr)
	block := func(i int, acc VecVirtual) {
		base := lt.bytes * i
		wd := XMM()
		VPBROADCASTW(Mem{Base: wp, Disp: base}, wd)
		sc := YMM()
		VCVTPH2PS(wd, sc)
		// corr += (m or d)·xs[b]
		if lt.min >= 0 {
			mh := XMM()
			VPBROADCASTW(Mem{Base: wp, Disp: base + lt.min}, mh)
			mf := XMM()
			VCVTPH2PS(mh, mf)
			VFMADD231SS(Mem{Base: xs, Disp: 4 * i}, mf, corr)
		} else {
			VFMADD231SS(Mem{Base: xs, Disp: 4 * i}, sc.AsX(), corr)
		}
		xsc := YMM()
		VBROADCASTSS(Mem{Base: xd, Disp: 4 * i}, xsc)
		VMULPS(xsc, sc, sc)
		lo := XMM()
		VMOVDQU(Mem{Base: wp, Disp: base + lt.qs}, lo)
		hi := XMM()
		VPSRLW(U8(4), lo, hi)
		q := YMM()
		VINSERTI32X4(U8(1), hi, lo.AsY(), q)
		VPANDD(mask.AsY(), q, q)
		if lt.qh >= 0 {
			k := K()
			KMOVD(Mem{Base: wp, Disp: base + lt.qh}, k)
			VPADDB(sixteen.AsY(), q, k, q)
		}
		t := YMM()
		VPXORD(t, t, t)
		VPDPBUSD(Mem{Base: xq, Disp: 32 * i}, q, t)
		VCVTDQ2PS(t, t)
		VFMADD231PS(t, sc, acc)
	}
	Label(lbl("loop2"))
	CMPQ(nb, U8(2))
	JL(LabelRef(lbl("loop1")))
	prefetch(Mem{Base: wp, Disp: prefetchAhead})
	block(0, acc[0])
	block(1, acc[1])
	ADDQ(U8(2*lt.bytes), wp)
	ADDQ(U8(64), xq)
	ADDQ(U8(8), xd)
	ADDQ(U8(8), xs)
	SUBQ(U8(2), nb)
	JMP(LabelRef(lbl("loop2")))
	Label(lbl("loop1"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("done")))
	block(0, acc[0])
	Label(lbl("done"))
	VADDPS(acc[1], acc[0], acc[0])
	s := hsumY16(acc[0])
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

// wsumQ8_0AVX512: out += Σ_j p[j]·v_j over rows Q8_0 value rows stride
// bytes apart, nb blocks each; one block of 32 outputs (two ZMM
// accumulators) at a time over every row: VPMOVSXBD widens the int8s, the
// row's weight p[j]·d_j scales them in the FMA.
func wsumQ8_0AVX512() {
	name := "wsumQ8_0AVX512"
	TEXT(name, NOSPLIT, "func(v *byte, stride int, rows int, p *float32, nb int, out *float32)")
	Doc(name + " adds Σ_j p[j]·v_j into out over rows Q8_0 value rows stride bytes apart (AVX-512F).")
	out := Load(Param("out"), GP64())
	nb := Load(Param("nb"), GP64())
	stride := Load(Param("stride"), GP64())
	vb := Load(Param("v"), GP64())
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("end")))
	vp := GP64()
	MOVQ(vb, vp)
	pp := Load(Param("p"), GP64())
	rows := Load(Param("rows"), GP64())
	a0, a1 := ZMM(), ZMM()
	VMOVUPS(Mem{Base: out}, a0)
	VMOVUPS(Mem{Base: out, Disp: 64}, a1)
	Label(lbl("row"))
	CMPQ(rows, U8(1))
	JL(LabelRef(lbl("store")))
	dh := YMM()
	VPBROADCASTW(Mem{Base: vp}, dh)
	s := ZMM()
	VCVTPH2PS(dh, s)
	VMULPS_BCST(Mem{Base: pp}, s, s)
	for h, a := range []VecVirtual{a0, a1} {
		z := ZMM()
		VPMOVSXBD(Mem{Base: vp, Disp: 2 + 16*h}, z)
		VCVTDQ2PS(z, z)
		VFMADD231PS(z, s, a)
	}
	ADDQ(U8(4), pp)
	ADDQ(stride, vp)
	DECQ(rows)
	JMP(LabelRef(lbl("row")))
	Label(lbl("store"))
	VMOVUPS(a0, Mem{Base: out})
	VMOVUPS(a1, Mem{Base: out, Disp: 64})
	ADDQ(U8(128), out)
	ADDQ(U8(34), vb)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// prefetch emits PREFETCHT0 for m (whose displacement already includes
// prefetchAhead), unless software prefetching is off (-prefetch 0).
func prefetch(m Mem) {
	if prefetchAhead > 0 {
		PREFETCHT0(m)
	}
}

// gemmQ8S16VNNI is gemmQ8VNNI for weights with a scale per 16 values
// (Q6_K): steps 0-3 and 4-7 of each block accumulate separately, each
// started from its own offset term (xi[b] for the first half, xi[b]+ldb
// for the second, so xi advances by 2·ldb per block) and scaled by its own
// row scales (at 1024 and 1152 of the 1280-byte block). The two 16-row
// halves of the panel run one after the other, keeping 12 integer and 6
// float accumulators live.
func gemmQ8S16VNNI() {
	const T = 6
	name := "gemmQ8S16VNNI"
	TEXT(name, NOSPLIT, "func(w *byte, x *int8, ldx int, xd *float32, xi *int32, ldb int, nb int, c *float32, ldc int, add int)")
	Doc(name + " adds (or stores) a 32×6 tile of int8 weight blocks with scales per 16 values times int8 activations into c (AVX-512 VNNI).")
	for h := 0; h < 2; h++ {
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
		accf := make([]VecVirtual, T)
		acci := make([][2]VecVirtual, T)
		for i := 0; i < T; i++ {
			accf[i] = ZMM()
			VXORPS(accf[i], accf[i], accf[i])
			acci[i][0], acci[i][1] = ZMM(), ZMM()
		}
		lbl := func(s string) string { return fmt.Sprintf("%s_%d_%s", name, h, s) }
		Label(lbl("block"))
		CMPQ(nb, U8(1))
		JL(LabelRef(lbl("store")))
		for i := 0; i < T; i++ {
			VPBROADCASTD(Mem{Base: xi, Disp: 4 * i}, acci[i][0])
			VPBROADCASTD(Mem{Base: xi, Index: ldb, Scale: 1, Disp: 4 * i}, acci[i][1])
		}
		for st := 0; st < 8; st++ {
			wv := ZMM()
			VMOVDQU32(Mem{Base: wp, Disp: 128*st + 64*h}, wv)
			for i := 0; i < T; i++ {
				VPDPBUSD_BCST(tok(i, 4*st), wv, acci[i][st/4])
			}
		}
		s0, s1 := ZMM(), ZMM()
		VMOVUPS(Mem{Base: wp, Disp: 1024 + 64*h}, s0)
		VMOVUPS(Mem{Base: wp, Disp: 1152 + 64*h}, s1)
		for i := 0; i < T; i++ {
			t0, t1 := ZMM(), ZMM()
			VCVTDQ2PS(acci[i][0], t0)
			VCVTDQ2PS(acci[i][1], t1)
			VMULPS(s0, t0, t0)
			VFMADD231PS(s1, t1, t0)
			VFMADD231PS_BCST(Mem{Base: xd, Disp: 4 * i}, t0, accf[i])
		}
		ADDQ(U32(1280), wp)
		ADDQ(U8(32), xp)
		ADDQ(U8(32), x3)
		ADDQ(ldb, xd)
		ADDQ(ldb, xi)
		ADDQ(ldb, xi)
		DECQ(nb)
		JMP(LabelRef(lbl("block")))
		Label(lbl("store"))
		cp := Load(Param("c"), GP64())
		ldc := Load(Param("ldc"), GP64())
		SHLQ(U8(2), ldc)
		if h == 1 {
			ADDQ(U8(64), cp)
		}
		add := Load(Param("add"), GP64())
		TESTQ(add, add)
		JZ(LabelRef(lbl("overwrite")))
		cp2 := GP64()
		MOVQ(cp, cp2)
		for i := 0; i < T; i++ {
			VADDPS(Mem{Base: cp2}, accf[i], accf[i])
			if i < T-1 {
				ADDQ(ldc, cp2)
			}
		}
		Label(lbl("overwrite"))
		for i := 0; i < T; i++ {
			VMOVUPS(accf[i], Mem{Base: cp})
			if i < T-1 {
				ADDQ(ldc, cp)
			}
		}
	}
	VZEROUPPER()
	RET()
}
