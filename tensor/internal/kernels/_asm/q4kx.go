package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dotQ4_KX16VNNI: Q4_K rows interleaved 16 at a time (see RepackQ4_KX16
// in kernels.go), so each ZMM lane is one row and no horizontal sums or
// lane permutes are needed. Per super-block of a group (2304 bytes): d[16]
// and dmin[16] (f16), the three scale dwords A, B, C of each row (bytes
// 0-3, 4-7, 8-11 of its 12 packed 6-bit scales and mins), then for step
// s = 0..7 and chunk c = 0..3 the 16 rows' nibble bytes 32c+4s..+3 (read
// in memory order, which interleaves the accumulator chains). The
// low nibbles of chunk c are sub-block 2c, the high ones 2c+1; each of the
// 8 sub-blocks gets its own integer accumulator (8 independent VPDPBUSD
// chains), then d·sc_j·xd_j scales it and dmin·mn_j·xs_j is subtracted.
// No software prefetch: the hardware prefetcher follows the sequential
// 2304-byte blocks, and PREFETCHT0 per line measured 32 GB/s against 54
// without (2 threads, 32064×3072, go test -bench DecodeLayouts ./tensor).
func dotQ4_KX16VNNI() {
	name := "dotQ4_KX16VNNI"
	TEXT(name, 0, "func(w *byte, groups int, nb int, xq *int8, xd *float32, xs *float32, dst *float32)")
	Doc(name + " computes 16·groups dot products of 16-row-interleaved Q4_K groups with int8 activations (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	groups := Load(Param("groups"), GP64())
	dst := Load(Param("dst"), GP64())
	m0f := bcastConst(0x0f0f0f0f)
	m3f := bcastConst(0x3f3f3f3f)
	m30 := bcastConst(0x30303030)
	mff := bcastConst(0xff)
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("group"))
	CMPQ(groups, U8(1))
	JL(LabelRef(lbl("end")))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	acc, macc := ZMM(), ZMM()
	VXORPS(acc, acc, acc)
	VXORPS(macc, macc, macc)
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("done")))
	ai := make([]VecVirtual, 8)
	for j := range ai {
		ai[j] = ZMM()
		VPXORD(ai[j], ai[j], ai[j])
	}
	for s := 0; s < 8; s++ {
		for c := 0; c < 4; c++ {
			off := 256 + 64*(4*s+c)
			v := ZMM()
			VMOVDQU32(Mem{Base: w, Disp: off}, v)
			hi := ZMM()
			VPSRLW(U8(4), v, hi)
			VPANDD(m0f, v, v)
			VPANDD(m0f, hi, hi)
			VPDPBUSD_BCST(Mem{Base: xq, Disp: 64*c + 4*s}, v, ai[2*c])
			VPDPBUSD_BCST(Mem{Base: xq, Disp: 64*c + 32 + 4*s}, hi, ai[2*c+1])
		}
	}
	// Scales: sc_j and mn_j are byte j%4 of (j < 4) A&0x3f, B&0x3f or
	// (j ≥ 4) C&0x0f | (A>>2)&0x30, C>>4&0x0f | (B>>2)&0x30.
	a, b, cc := ZMM(), ZMM(), ZMM()
	VMOVDQU32(Mem{Base: w, Disp: 64}, a)
	VMOVDQU32(Mem{Base: w, Disp: 128}, b)
	VMOVDQU32(Mem{Base: w, Disp: 192}, cc)
	scLo, mnLo, scHi, mnHi := ZMM(), ZMM(), ZMM(), ZMM()
	VPANDD(m3f, a, scLo)
	VPANDD(m3f, b, mnLo)
	t := ZMM()
	VPSRLD(U8(2), a, t)
	VPANDD(m30, t, t)
	VPANDD(m0f, cc, scHi)
	VPORD(t, scHi, scHi)
	VPSRLD(U8(2), b, t)
	VPANDD(m30, t, t)
	VPSRLD(U8(4), cc, mnHi)
	VPANDD(m0f, mnHi, mnHi)
	VPORD(t, mnHi, mnHi)
	dv, mv := ZMM(), ZMM()
	VCVTPH2PS(Mem{Base: w}, dv)
	VCVTPH2PS(Mem{Base: w, Disp: 32}, mv)
	mt := ZMM()
	VXORPS(mt, mt, mt)
	for j := 0; j < 8; j++ {
		src, msrc := scLo, mnLo
		if j >= 4 {
			src, msrc = scHi, mnHi
		}
		sh := uint64(8 * (j % 4))
		sc, mn := ZMM(), ZMM()
		if sh == 0 {
			VPANDD(mff, src, sc)
			VPANDD(mff, msrc, mn)
		} else {
			VPSRLD(U8(sh), src, sc)
			VPANDD(mff, sc, sc)
			VPSRLD(U8(sh), msrc, mn)
			VPANDD(mff, mn, mn)
		}
		VCVTDQ2PS(sc, sc)
		VMULPS(dv, sc, sc)
		VMULPS_BCST(Mem{Base: xd, Disp: 4 * j}, sc, sc)
		VCVTDQ2PS(ai[j], ai[j])
		VFMADD231PS(ai[j], sc, acc)
		VCVTDQ2PS(mn, mn)
		VFMADD231PS_BCST(Mem{Base: xs, Disp: 4 * j}, mn, mt)
	}
	VFNMADD231PS(mt, mv, acc)
	ADDQ(U32(2304), w)
	ADDQ(U32(256), xq)
	ADDQ(U8(32), xd)
	ADDQ(U8(32), xs)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("done"))
	VMOVUPS(acc, Mem{Base: dst})
	ADDQ(U8(64), dst)
	DECQ(groups)
	JMP(LabelRef(lbl("group")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// dotQ6_KX16VNNI: Q6_K rows interleaved 16 at a time (see RepackQ6_KX16),
// each ZMM lane one row. Per super-block of a group (3360 bytes): d[16]
// (f16), the 16 scale groups' int8 scales as [group][16 rows], then for
// half h = 0, 1 and step s = 0..7 three 64-byte vectors of the 16 rows'
// bytes 4s..4s+3 of ql[64h:], ql[64h+32:] and qh[32h:]. One step yields
// the 6-bit values of elements 4s.. of the four quarters k of the half
// (low nibbles of the first vector for k = 0, of the second for k = 1,
// their high nibbles for k = 2, 3; bits 2k of qh above them). Each of the
// 16 scale groups has its own integer accumulator, started at
// −32·Σ x over the group (xn), so the −32 offset costs nothing; the two
// groups of an activation block are scaled in integers (VPMULLD) and
// summed before one conversion.
func dotQ6_KX16VNNI() {
	name := "dotQ6_KX16VNNI"
	TEXT(name, 0, "func(w *byte, groups int, nb int, xq *int8, xd *float32, xn *int32, dst *float32)")
	Doc(name + " computes 16·groups dot products of 16-row-interleaved Q6_K groups with int8 activations (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	groups := Load(Param("groups"), GP64())
	dst := Load(Param("dst"), GP64())
	m0f := bcastConst(0x0f0f0f0f)
	m30 := bcastConst(0x30303030)
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("group"))
	CMPQ(groups, U8(1))
	JL(LabelRef(lbl("end")))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xd := Load(Param("xd"), GP64())
	xn := Load(Param("xn"), GP64())
	acc := ZMM()
	VXORPS(acc, acc, acc)
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("done")))
	ai := make([]VecVirtual, 16)
	for g := range ai {
		ai[g] = ZMM()
		VPBROADCASTD(Mem{Base: xn, Disp: 4 * g}, ai[g])
	}
	for h := 0; h < 2; h++ {
		for s := 0; s < 8; s++ {
			off := 288 + 192*(8*h+s)
			l0, l1, qh := ZMM(), ZMM(), ZMM()
			VMOVDQU32(Mem{Base: w, Disp: off}, l0)
			VMOVDQU32(Mem{Base: w, Disp: off + 64}, l1)
			VMOVDQU32(Mem{Base: w, Disp: off + 128}, qh)
			for k := 0; k < 4; k++ {
				lo := l0
				if k%2 == 1 {
					lo = l1
				}
				q := ZMM()
				if k >= 2 {
					VPSRLD(U8(4), lo, q)
					VPANDD(m0f, q, q)
				} else {
					VPANDD(m0f, lo, q)
				}
				hb := ZMM()
				switch k {
				case 0:
					VPSLLD(U8(4), qh, hb)
				case 1:
					VPSLLD(U8(2), qh, hb)
				case 2:
					hb = qh
				case 3:
					VPSRLD(U8(2), qh, hb)
				}
				// q |= hb & 0x30 (VPTERNLOGD: A | (B & C), imm 0xF8).
				VPTERNLOGD(U8(0xF8), m30, hb, q)
				m := 4*h + k // activation block
				g := 2*m + s/4
				VPDPBUSD_BCST(Mem{Base: xq, Disp: 32*m + 4*s}, q, ai[g])
			}
		}
	}
	// Scale: per activation block m, (sc_2m·A_2m + sc_2m+1·A_2m+1)·xd_m.
	t := ZMM()
	VXORPS(t, t, t)
	for m := 0; m < 8; m++ {
		s0, s1 := ZMM(), ZMM()
		VPMOVSXBD(Mem{Base: w, Disp: 32 + 16*(2*m)}, s0)
		VPMOVSXBD(Mem{Base: w, Disp: 32 + 16*(2*m+1)}, s1)
		VPMULLD(s0, ai[2*m], ai[2*m])
		VPMULLD(s1, ai[2*m+1], ai[2*m+1])
		VPADDD(ai[2*m+1], ai[2*m], ai[2*m])
		VCVTDQ2PS(ai[2*m], ai[2*m])
		VFMADD231PS_BCST(Mem{Base: xd, Disp: 4 * m}, ai[2*m], t)
	}
	dv := ZMM()
	VCVTPH2PS(Mem{Base: w}, dv)
	VFMADD231PS(dv, t, acc)
	ADDQ(U32(3360), w)
	ADDQ(U32(256), xq)
	ADDQ(U8(32), xd)
	ADDQ(U8(64), xn)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("done"))
	VMOVUPS(acc, Mem{Base: dst})
	ADDQ(U8(64), dst)
	DECQ(groups)
	JMP(LabelRef(lbl("group")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}

// dotQ8_0X16VNNI: Q8_0 rows interleaved 16 at a time (see RepackQ8_0X16),
// each ZMM lane one row. Per block of a group (544 bytes): d[16] (f16),
// then for step s = 0..7 the 16 rows' weights 4s..4s+3, stored with 128
// added (as unsigned bytes) so that VPDPBUSD takes them directly; the
// chains start at −128·Σ x (16 × xn, xn = −8·Σ x per block) to remove it.
func dotQ8_0X16VNNI() {
	name := "dotQ8_0X16VNNI"
	TEXT(name, NOSPLIT, "func(w *byte, groups int, nb int, xq *int8, xn *int32, xd *float32, dst *float32)")
	Doc(name + " computes 16·groups dot products of 16-row-interleaved Q8_0 groups with int8 activations (AVX-512 VNNI).")
	w := Load(Param("w"), GP64())
	groups := Load(Param("groups"), GP64())
	dst := Load(Param("dst"), GP64())
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("group"))
	CMPQ(groups, U8(1))
	JL(LabelRef(lbl("end")))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	xn := Load(Param("xn"), GP64())
	xd := Load(Param("xd"), GP64())
	acc := ZMM()
	VXORPS(acc, acc, acc)
	Label(lbl("block"))
	CMPQ(nb, U8(1))
	JL(LabelRef(lbl("done")))
	ts := []VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
	VPBROADCASTD(Mem{Base: xn}, ts[0])
	VPSLLD(U8(4), ts[0], ts[0])
	for _, z := range ts[1:] {
		VPXORD(z, z, z)
	}
	for s := 0; s < 8; s++ {
		v := ZMM()
		VMOVDQU32(Mem{Base: w, Disp: 32 + 64*s}, v)
		VPDPBUSD_BCST(Mem{Base: xq, Disp: 4 * s}, v, ts[s%4])
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
	ADDQ(U32(544), w)
	ADDQ(U8(32), xq)
	ADDQ(U8(4), xn)
	ADDQ(U8(4), xd)
	DECQ(nb)
	JMP(LabelRef(lbl("block")))
	Label(lbl("done"))
	VMOVUPS(acc, Mem{Base: dst})
	ADDQ(U8(64), dst)
	DECQ(groups)
	JMP(LabelRef(lbl("group")))
	Label(lbl("end"))
	VZEROUPPER()
	RET()
}
