package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemmQ8AVX2 is gemmQ8VNNI for AVX2 CPUs (most laptops' Intel chips lack
// AVX-512): the same panels and tile, one token at a time, each step's
// four unsigned weight bytes times four broadcast signed activation bytes
// by VPMADDUBSW (pairs summed to int16) and VPMADDWD with ones (to int32),
// as llama.cpp's AVX2 dot products do. The int16 pair sums saturate beyond
// 32767, so weights must be at most 127 (every type but Q8_0, whose panels
// hold its bytes plus 128: that type keeps the float32 path on AVX2).
func gemmQ8AVX2(mins bool) {
	const T = 6
	name, sig, bb := "gemmQ8AVX2", "func(w *byte, x *int8, ldx int, xd *float32, xi *int32, ldb int, nb int, c *float32, ldc int, add int)", 1152
	if mins {
		name, sig, bb = "gemmQ8MinAVX2", "func(w *byte, x *int8, ldx int, xd *float32, xi *int32, ldb int, nb int, c *float32, ldc int, add int, xs *float32)", 1280
	}
	TEXT(name, NOSPLIT, sig)
	Doc(name + " adds (or stores) a 32×6 tile of int8 weight blocks (weights ≤ 127) times int8 activations into c (AVX2).")
	wp := Load(Param("w"), GP64())
	xrow := Load(Param("x"), GP64())
	xdB := Load(Param("xd"), GP64())
	xiB := Load(Param("xi"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	crow := Load(Param("c"), GP64())
	var xsB Register
	if mins {
		xsB = Load(Param("xs"), GP64())
	}
	ones := YMM()
	{
		r := GP32()
		MOVL(U32(0x00010001), r)
		VMOVD(r, ones.AsX())
		VPBROADCASTD(ones.AsX(), ones)
	}
	tok := GP64()
	XORQ(tok, tok)
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("token"))
	CMPQ(tok, U8(T))
	JGE(LabelRef(lbl("done")))
	var facc, acc [4]VecVirtual
	for h := range facc {
		facc[h] = YMM()
		VXORPS(facc[h], facc[h], facc[h])
		acc[h] = YMM()
	}
	wq, xq, off := GP64(), GP64(), GP64()
	MOVQ(wp, wq)
	MOVQ(xrow, xq)
	XORQ(off, off)
	n := Load(Param("nb"), GP64())
	Label(lbl("block"))
	CMPQ(n, U8(1))
	JL(LabelRef(lbl("store")))
	VPBROADCASTD(Mem{Base: xiB, Index: off, Scale: 1}, acc[0])
	for h := 1; h < 4; h++ {
		VMOVDQA(acc[0], acc[h])
	}
	xb, w, t := YMM(), YMM(), YMM()
	for st := 0; st < 8; st++ {
		VPBROADCASTD(Mem{Base: xq, Disp: 4 * st}, xb)
		for h := 0; h < 4; h++ {
			VMOVDQU(Mem{Base: wq, Disp: 128*st + 32*h}, w)
			VPMADDUBSW(xb, w, t) // unsigned w times signed x, pairs to int16
			VPMADDWD(ones, t, t)
			VPADDD(t, acc[h], acc[h])
		}
	}
	s := YMM()
	VBROADCASTSS(Mem{Base: xdB, Index: off, Scale: 1}, s)
	for h := 0; h < 4; h++ {
		VCVTDQ2PS(acc[h], t)
		VMULPS(Mem{Base: wq, Disp: 1024 + 32*h}, t, t)
		VFMADD231PS(s, t, facc[h])
	}
	if mins {
		VBROADCASTSS(Mem{Base: xsB, Index: off, Scale: 1}, s)
		for h := 0; h < 4; h++ {
			VMOVUPS(Mem{Base: wq, Disp: 1152 + 32*h}, t)
			VFNMADD231PS(s, t, facc[h])
		}
	}
	ADDQ(U32(uint32(bb)), wq)
	ADDQ(U8(32), xq)
	ADDQ(ldb, off)
	DECQ(n)
	JMP(LabelRef(lbl("block")))

	Label(lbl("store"))
	add := Load(Param("add"), GP64())
	TESTQ(add, add)
	JZ(LabelRef(lbl("overwrite")))
	for h := 0; h < 4; h++ {
		VADDPS(Mem{Base: crow, Disp: 32 * h}, facc[h], facc[h])
	}
	Label(lbl("overwrite"))
	for h := 0; h < 4; h++ {
		VMOVUPS(facc[h], Mem{Base: crow, Disp: 32 * h})
	}
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	ADDQ(ldc, crow)
	ldx := Load(Param("ldx"), GP64())
	ADDQ(ldx, xrow)
	ADDQ(U8(4), xdB)
	ADDQ(U8(4), xiB)
	if mins {
		ADDQ(U8(4), xsB)
	}
	INCQ(tok)
	JMP(LabelRef(lbl("token")))
	Label(lbl("done"))
	VZEROUPPER()
	RET()
}
