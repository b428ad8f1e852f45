package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// q8BlockBytes is kernels.Q8BlockBytes, the size of a GemmQ8 panel block.
const q8BlockBytes = 1152

// packX16PanelAVX512 copies nb blocks of one 16-row group of Q4_0X (q4)
// or Q8_0X into half of a GemmQ8 panel (dst: the panel's first block at
// the half's row offset, 0 or 64 bytes): per block, steps of [16 rows][4
// bytes] at 128-byte strides (Q4_0X: low nibbles are steps 0-3, high
// nibbles steps 4-7) and the 16 row scales as float32 at byte 1024.
// Source blocks are 16 f16 scales then the quants (Q4_0X: 288 bytes,
// Q8_0X: 544); destination blocks are kernels.Q8BlockBytes apart.
func packX16PanelAVX512(q4 bool) {
	name, srcBlock := "packQ8_0X16PanelAVX512", 544
	if q4 {
		name, srcBlock = "packQ4_0X16PanelAVX512", 288
	}
	TEXT(name, NOSPLIT, "func(dst *byte, src *byte, nb int)")
	Doc(fmt.Sprintf("%s copies nb blocks of a 16-row group into half of a GemmQ8 panel (AVX-512F).", name))
	d := Load(Param("dst"), GP64())
	s := Load(Param("src"), GP64())
	n := Load(Param("nb"), GP64())
	var mask VecVirtual
	if q4 {
		mask = bcastConst(0x0f0f0f0f)
	}
	lbl := func(l string) string { return name + "_" + l }
	Label(lbl("loop"))
	CMPQ(n, U8(1))
	JL(LabelRef(lbl("done")))
	if q4 {
		for g := 0; g < 4; g++ {
			z, hi := ZMM(), ZMM()
			VMOVDQU64(Mem{Base: s, Disp: 32 + 64*g}, z)
			VPSRLW(U8(4), z, hi)
			VPANDD(mask, z, z)
			VPANDD(mask, hi, hi)
			VMOVDQU64(z, Mem{Base: d, Disp: 128 * g})
			VMOVDQU64(hi, Mem{Base: d, Disp: 128 * (4 + g)})
		}
	} else {
		for st := 0; st < 8; st++ {
			z := ZMM()
			VMOVDQU64(Mem{Base: s, Disp: 32 + 64*st}, z)
			VMOVDQU64(z, Mem{Base: d, Disp: 128 * st})
		}
	}
	sc := ZMM()
	VCVTPH2PS(Mem{Base: s}, sc)
	VMOVUPS(sc, Mem{Base: d, Disp: 1024})
	ADDQ(U32(srcBlock), s)
	ADDQ(U32(q8BlockBytes), d)
	DECQ(n)
	JMP(LabelRef(lbl("loop")))
	Label(lbl("done"))
	VZEROUPPER()
	RET()
}

// q8MinBlockBytes is kernels.Q8MinBlockBytes: a GemmQ8Min/GemmQ8S16 panel
// block (8 steps, then two sets of 32 float32 row values).
const q8MinBlockBytes = 1280

// broadcastGP returns a ZMM with the low dword of r in every lane.
func broadcastGP(r GPVirtual) VecVirtual {
	z := ZMM()
	VPBROADCASTD(r.As32(), z)
	return z
}

// packQ4_KX16PanelAVX512 writes 32-value blocks [b0, b0+nb) of one 16-row
// Q4_KX16 group (src at its first super-block) into half of a GemmQ8Min
// panel (dst at the half's row offset): block b is sub-block j = b%8 of
// super-block b/8, the low (even j) or high nibbles of chunk j/2 as 8
// steps, then d·sc_j and dmin·m_j per row, the 6-bit scale and min
// unpacked from the packed bytes A (0-3), B (4-7) and C (8-11) as
// llama.cpp's get_scale_min_k4 does: j < 4: sc = A_j & 63, m = B_j & 63;
// j ≥ 4: sc = C_j' & 15 | (A_j' >> 6) << 4, m = C_j' >> 4 | (B_j' >> 6)
// << 4 with j' = j − 4.
func packQ4_KX16PanelAVX512() {
	packKX16PanelAVX512("packQ4_KX16PanelAVX512", "Q4_KX16", "GemmQ8Min", 2304, func() func(d, sb, j Register, lbl func(string) string) {
		m0f, m3f, m30 := bcastConst(0x0f0f0f0f), bcastConst(63), bcastConst(0x30)
		m0f1 := bcastConst(15)
		return func(d, sb, j Register, lbl func(string) string) {
			packQ4_KX16Block(d, sb, j, lbl, m0f, m3f, m30, m0f1)
		}
	})
}

// packKX16PanelAVX512 emits a K-quant panel packer: setup emits the
// constants and returns the body, which packs sub-block j (0..7) of the
// super-block at sb (sbBytes per super-block of the 16-row group) into the
// panel block at d; the loop around it walks blocks b0.. and advances d by
// one q8MinBlockBytes block each.
func packKX16PanelAVX512(name, layout, gemm string, sbBytes uint32, setup func() func(d, sb, j Register, lbl func(string) string)) {
	TEXT(name, NOSPLIT, "func(dst *byte, src *byte, b0 int, nb int)")
	Doc(fmt.Sprintf("%s writes blocks [b0, b0+nb) of a 16-row %s group into half of a %s panel (AVX-512F).", name, layout, gemm))
	d := Load(Param("dst"), GP64())
	b := Load(Param("b0"), GP64())
	n := Load(Param("nb"), GP64())
	body := setup()
	lbl := func(l string) string { return name + "_" + l }
	Label(lbl("loop"))
	CMPQ(n, U8(1))
	JL(LabelRef(lbl("done")))
	sb := Load(Param("src"), GP64())
	t := GP64()
	MOVQ(b, t)
	SHRQ(U8(3), t)
	IMUL3Q(U32(sbBytes), t, t)
	ADDQ(t, sb) // super-block b/8
	j := GP64()
	MOVQ(b, j)
	ANDQ(U8(7), j)
	body(d, sb, j, lbl)
	ADDQ(U32(q8MinBlockBytes), d)
	INCQ(b)
	DECQ(n)
	JMP(LabelRef(lbl("loop")))
	Label(lbl("done"))
	VZEROUPPER()
	RET()
}

// packQ4_KX16Block packs sub-block j of the Q4_KX16 super-block at sb.
func packQ4_KX16Block(d, sb, j Register, lbl func(string) string, m0f, m3f, m30, m0f1 VecVirtual) {
	// Quants: chunk j/2 at 256 + 64·(j/2), shifted by 4·(j%2).
	qs := GP64()
	MOVQ(j, qs)
	SHRQ(U8(1), qs)
	SHLQ(U8(6), qs)
	ADDQ(sb, qs)
	sh := GP64()
	MOVQ(j, sh)
	ANDQ(U8(1), sh)
	SHLQ(U8(2), sh)
	zsh := broadcastGP(sh)
	for s := 0; s < 8; s++ {
		z := ZMM()
		VMOVDQU64(Mem{Base: qs, Disp: 256 + 256*s}, z)
		VPSRLVD(zsh, z, z)
		VPANDD(m0f, z, z)
		VMOVDQU64(z, Mem{Base: d, Disp: 128 * s})
	}
	// Scales: byte j%4 of A, B (and C).
	MOVQ(j, sh)
	ANDQ(U8(3), sh)
	SHLQ(U8(3), sh)
	zs := broadcastGP(sh)
	a, bb := ZMM(), ZMM()
	VMOVDQU64(Mem{Base: sb, Disp: 64}, a)
	VPSRLVD(zs, a, a)
	VMOVDQU64(Mem{Base: sb, Disp: 128}, bb)
	VPSRLVD(zs, bb, bb)
	sc, mn := ZMM(), ZMM()
	CMPQ(j, U8(4))
	JGE(LabelRef(lbl("high")))
	VPANDD(m3f, a, sc)
	VPANDD(m3f, bb, mn)
	JMP(LabelRef(lbl("scaled")))
	Label(lbl("high"))
	c := ZMM()
	VMOVDQU64(Mem{Base: sb, Disp: 192}, c)
	VPSRLVD(zs, c, c)
	VPANDD(m0f1, c, sc)
	VPSRLD(U8(2), a, a)
	VPANDD(m30, a, a)
	VPORD(a, sc, sc)
	VPSRLD(U8(4), c, mn)
	VPANDD(m0f1, mn, mn)
	VPSRLD(U8(2), bb, bb)
	VPANDD(m30, bb, bb)
	VPORD(bb, mn, mn)
	Label(lbl("scaled"))
	for i, v := range []VecVirtual{sc, mn} {
		f, dz := ZMM(), ZMM()
		VCVTDQ2PS(v, f)
		VCVTPH2PS(Mem{Base: sb, Disp: 32 * i}, dz)
		VMULPS(f, dz, f)
		VMOVUPS(f, Mem{Base: d, Disp: 1024 + 128*i})
	}
}

// packQ6_KX16PanelAVX512 writes 32-value blocks [b0, b0+nb) of one 16-row
// Q6_KX16 group into half of a GemmQ8S16 panel: block b is quarter k =
// j%4 of half h = j/4 (j = b%8) of super-block b/8, 4 low bits from ql
// (ql[64h+32·(k&1)], high nibbles for k ≥ 2) and 2 high bits from qh
// (bits 2k), then d·scale of its two 16-value groups 2j and 2j+1.
func packQ6_KX16PanelAVX512() {
	packKX16PanelAVX512("packQ6_KX16PanelAVX512", "Q6_KX16", "GemmQ8S16", 3360, func() func(d, sb, j Register, lbl func(string) string) {
		m0f, m03 := bcastConst(0x0f0f0f0f), bcastConst(0x03030303)
		return func(d, sb, j Register, _ func(string) string) { packQ6_KX16Block(d, sb, j, m0f, m03) }
	})
}

// packQ6_KX16Block packs block j of the Q6_KX16 super-block at sb.
func packQ6_KX16Block(d, sb, j Register, m0f, m03 VecVirtual) {
	// hb = sb + 288 + 1536·h: the half's first step.
	hb := GP64()
	MOVQ(j, hb)
	SHRQ(U8(2), hb)
	IMUL3Q(U32(1536), hb, hb)
	ADDQ(sb, hb)
	lo := GP64() // hb + 64·(k&1)
	MOVQ(j, lo)
	ANDQ(U8(1), lo)
	SHLQ(U8(6), lo)
	ADDQ(hb, lo)
	k := GP64()
	MOVQ(j, k)
	ANDQ(U8(3), k)
	lsh := GP64() // 4·(k/2)
	MOVQ(k, lsh)
	SHRQ(U8(1), lsh)
	SHLQ(U8(2), lsh)
	zl := broadcastGP(lsh)
	SHLQ(U8(1), k) // 2k
	zh := broadcastGP(k)
	for s := 0; s < 8; s++ {
		q, h := ZMM(), ZMM()
		VMOVDQU64(Mem{Base: lo, Disp: 288 + 192*s}, q)
		VPSRLVD(zl, q, q)
		VPANDD(m0f, q, q)
		VMOVDQU64(Mem{Base: hb, Disp: 288 + 192*s + 128}, h)
		VPSRLVD(zh, h, h)
		VPANDD(m03, h, h)
		VPSLLD(U8(4), h, h)
		VPORD(h, q, q)
		VMOVDQU64(q, Mem{Base: d, Disp: 128 * s})
	}
	// Scales of groups 2j and 2j+1: int8 at 32 + 16·g + r.
	SHLQ(U8(5), j)
	ADDQ(sb, j)
	dz := ZMM()
	VCVTPH2PS(Mem{Base: sb}, dz)
	for i := 0; i < 2; i++ {
		v := ZMM()
		VPMOVSXBD(Mem{Base: j, Disp: 32 + 16*i}, v)
		VCVTDQ2PS(v, v)
		VMULPS(v, dz, v)
		VMOVUPS(v, Mem{Base: d, Disp: 1024 + 128*i})
	}
}
