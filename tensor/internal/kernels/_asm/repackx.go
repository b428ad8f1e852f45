package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// repackHalfX16AVX512 interleaves 16 rows of cols 2-byte values (src, rows
// 2·cols bytes apart) into dst as element k of row r at 2·(16k + r) (the
// F16X16/BF16X16 layout), 16 columns at a time: a 16×16 transpose of
// words. Rows i and i+8 share a ZMM; three rounds of unpacks (words,
// dwords, qwords) within 128-bit lanes leave in each lane one column's
// 8 values of rows 0-7 or 8-15, which is stored straight to its place.
// The lane each column lands in is found by running the unpacks on
// labels here, so the stores follow from the shuffles.
func repackHalfX16AVX512() {
	name := "repackHalfX16AVX512"
	TEXT(name, NOSPLIT, "func(dst *byte, src *byte, cols int)")
	Doc(name + " interleaves 16 rows of cols 2-byte values into the 16-row layout (AVX-512BW); cols % 16 == 0.")
	d := Load(Param("dst"), GP64())
	n := Load(Param("cols"), GP64())
	stride := GP64()
	MOVQ(n, stride)
	SHLQ(U8(1), stride)
	s3 := GP64()
	LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, s3)
	// Base pointers of rows 0, 4, 8 and 12.
	bases := []Register{Load(Param("src"), GP64())}
	for i := 1; i < 4; i++ {
		r := GP64()
		LEAQ(Mem{Base: bases[i-1], Index: stride, Scale: 4}, r)
		bases = append(bases, r)
	}
	row := func(r int) Mem {
		b := bases[r/4]
		switch r % 4 {
		case 0:
			return Mem{Base: b}
		case 1:
			return Mem{Base: b, Index: stride, Scale: 1}
		case 2:
			return Mem{Base: b, Index: stride, Scale: 2}
		}
		return Mem{Base: b, Index: s3, Scale: 1}
	}
	// Labels: lab[z][w] = (row, col) of word w of register z.
	type rc struct{ r, c int }
	lab := make([][32]rc, 8)
	regs := make([]VecVirtual, 8)
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("loop"))
	CMPQ(n, U8(16))
	JL(LabelRef(lbl("done")))
	for i := 0; i < 8; i++ {
		z := ZMM()
		VMOVDQU16(row(i), z.AsY())
		VINSERTI64X4(U8(1), row(i+8), z, z)
		regs[i] = z
		for w := 0; w < 16; w++ {
			lab[i][w] = rc{i, w}
			lab[i][16+w] = rc{i + 8, w}
		}
	}
	// unpack returns (lo, hi) of a and b at element size e words.
	unpack := func(a, b [32]rc, e int, hi bool) (out [32]rc) {
		per := 8 / e // elements per 128-bit lane
		for lane := 0; lane < 4; lane++ {
			base := 8 * lane
			off := 0
			if hi {
				off = per / 2
			}
			for i := 0; i < per/2; i++ {
				for w := 0; w < e; w++ {
					out[base+(2*i)*e+w] = a[base+(off+i)*e+w]
					out[base+(2*i+1)*e+w] = b[base+(off+i)*e+w]
				}
			}
		}
		return out
	}
	for _, e := range []int{1, 2, 4} {
		nr := make([]VecVirtual, 8)
		nl := make([][32]rc, 8)
		// Pair registers differing in bit (e's round): 0-1, 2-3, ... for
		// words; the pairing stride doubles each round.
		step := map[int]int{1: 1, 2: 2, 4: 4}[e]
		k := 0
		for i := 0; i < 8; i++ {
			if i&step != 0 {
				continue
			}
			a, b := regs[i], regs[i+step]
			lo, hi := ZMM(), ZMM()
			switch e {
			case 1:
				VPUNPCKLWD(b, a, lo)
				VPUNPCKHWD(b, a, hi)
			case 2:
				VPUNPCKLDQ(b, a, lo)
				VPUNPCKHDQ(b, a, hi)
			case 4:
				VPUNPCKLQDQ(b, a, lo)
				VPUNPCKHQDQ(b, a, hi)
			}
			nl[k], nl[k+1] = unpack(lab[i], lab[i+step], e, false), unpack(lab[i], lab[i+step], e, true)
			nr[k], nr[k+1] = lo, hi
			k += 2
		}
		// Keep pairs for the next round at distance 2·step: reorder so
		// that registers to combine next differ in that bit.
		regs, lab = nr, nl
		_ = k
	}
	// Each 128-bit lane now holds 8 rows of one column: store it.
	for z := 0; z < 8; z++ {
		for lane := 0; lane < 4; lane++ {
			l := lab[z][8*lane : 8*lane+8]
			c, r0 := l[0].c, l[0].r
			for w, x := range l {
				if x.c != c || x.r != r0+w || r0%8 != 0 {
					panic(fmt.Sprintf("%s: register %d lane %d is not one column's 8 rows: %v", name, z, lane, l))
				}
			}
			m := Mem{Base: d, Disp: 32*c + 2*r0}
			if lane == 0 {
				VMOVDQU64(regs[z].AsX(), m)
			} else {
				VEXTRACTI32X4(U8(lane), regs[z], m)
			}
		}
	}
	for _, b := range bases {
		ADDQ(U8(32), b)
	}
	ADDQ(U32(512), d)
	SUBQ(U8(16), n)
	JMP(LabelRef(lbl("loop")))
	Label(lbl("done"))
	VZEROUPPER()
	RET()
}
