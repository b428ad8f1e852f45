package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Bfloat16 dot products (AVX512_BF16). VDPBF16PS d, a, b adds to each
// float32 lane of d the two products of the bfloat16 pairs in the same
// lane of a and b; on Zen 4/5 it retires as many per cycle as
// VFMADD231PS, so it doubles the multiply-adds per instruction. Go's
// assembler does not know the instruction: the generator emits it as a
// pseudo-instruction (register allocation sees its operands) and
// encodeBF16 rewrites each one into its EVEX bytes after generation.

// fmaPS is VFMADD231PS as a gemmTileAVX512 multiply-add.
func fmaPS(x, w, acc Op) { VFMADD231PS(x, w, acc) }

// VDPBF16PS emits d += pairwise bfloat16 products of a and b, in Go's
// operand order (b, a, d) like VFMADD231PS. Register operands only.
func VDPBF16PS(b, a, d Op) {
	Instruction(&ir.Instruction{
		Opcode:   "VDPBF16PS",
		Operands: []Op{b, a, d},
		Inputs:   []Op{b, a, d},
		Outputs:  []Op{d},
		ISA:      []string{"AVX512_BF16"},
	})
}

// dpPS is VDPBF16PS as a gemmTileAVX512 multiply-add.
func dpPS(x, w, acc Op) { VDPBF16PS(x, w, acc) }

var dpLine = regexp.MustCompile(`(?m)^(\s*)VDPBF16PS\s+Z(\d+), Z(\d+), Z(\d+)$`)

// encodeBF16 replaces the VDPBF16PS lines of the generated file with BYTE
// directives: EVEX.512.F3.0F38.W0 52 /r, Intel operands (d, a=vvvv, b=r/m).
func encodeBF16(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out := dpLine.ReplaceAllStringFunc(string(src), func(line string) string {
		m := dpLine.FindStringSubmatch(line)
		b, _ := strconv.Atoi(m[2])
		a, _ := strconv.Atoi(m[3])
		d, _ := strconv.Atoi(m[4])
		inv := func(v, bit int) byte { return byte(^v>>bit) & 1 }
		p0 := inv(d, 3)<<7 | inv(b, 4)<<6 | inv(b, 3)<<5 | inv(d, 4)<<4 | 0b0010
		p1 := byte(^a&15)<<3 | 1<<2 | 0b10
		p2 := byte(0b10)<<5 | inv(a, 4)<<3
		modrm := 0xC0 | byte(d&7)<<3 | byte(b&7)
		bs := []byte{0x62, p0, p1, p2, 0x52, modrm}
		parts := make([]string, len(bs))
		for i, v := range bs {
			parts[i] = fmt.Sprintf("BYTE $0x%02x", v)
		}
		return fmt.Sprintf("%s// VDPBF16PS Z%d, Z%d, Z%d\n%s%s", m[1], b, a, d, m[1], strings.Join(parts, "; "))
	})
	if strings.Contains(out, "VDPBF16PS\t") {
		return fmt.Errorf("encodeBF16: a VDPBF16PS with non-register operands is left in %s", path)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// gemmBF16X16AVX512 is gemmF32X16AVX512 on bfloat16 pairs: wa and wb hold
// 16 rows each as [p][16] uint32 (lane r of step p: rows r's values 2p and
// 2p+1, see CvtF16Pairs), x the tokens' pairs packed by PackTokensBF16;
// kc counts pairs. Each VDPBF16PS does 32 multiply-adds.
func gemmBF16X16AVX512(T int) {
	name := fmt.Sprintf("gemmBF16X16_%dAVX512", T)
	TEXT(name, NOSPLIT, "func(wa *uint32, wb *uint32, x *uint32, kc int, c *float32, ldc int, add int)")
	Doc(fmt.Sprintf("%s adds (or stores) a 32×%d tile of W·xᵀ into c from bfloat16 pairs (AVX512_BF16); kc counts pairs, ldc in elements.", name, T))
	wa := Load(Param("wa"), GP64())
	wb := Load(Param("wb"), GP64())
	gemmTileAVX512(name, T, true, func(u int) (VecVirtual, VecVirtual) {
		w0, w1 := ZMM(), ZMM()
		VMOVDQU32(Mem{Base: wa, Disp: 64 * u}, w0)
		VMOVDQU32(Mem{Base: wb, Disp: 64 * u}, w1)
		return w0, w1
	}, func(n int) {
		ADDQ(U32(64*n), wa)
		ADDQ(U32(64*n), wb)
	}, dpPS)
}

// cvtHalfPairsAVX512 turns np column pairs of an F16X16 (or BF16X16) group
// chunk into bfloat16 pairs: dst[16p + r] = bf16(w[r][2p]) |
// bf16(w[r][2p+1])<<16. Halves are converted to float32 and rounded to
// nearest even in integer arithmetic (b + 0x7fff + (b>>16 & 1)), exactly
// as the Go version does; bfloat16 values are only moved.
func cvtHalfPairsAVX512(bf bool) {
	name := fmt.Sprintf("cvt%sPairsAVX512", halfName(bf))
	TEXT(name, NOSPLIT, "func(dst *uint32, src *byte, np int)")
	Doc(fmt.Sprintf("%s converts np column pairs of a 16-row-interleaved %s chunk to bfloat16 pairs (AVX-512F).", name, halfName(bf)))
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	n := Load(Param("np"), GP64())
	var one, bias VecVirtual
	if !bf {
		one, bias = bcastConst(1), bcastConst(0x7fff)
	}
	lbl := func(s string) string { return name + "_" + s }
	Label(lbl("loop"))
	CMPQ(n, U8(1))
	JL(LabelRef(lbl("done")))
	lo, hi := ZMM(), ZMM()
	if bf {
		VPMOVZXWD(Mem{Base: sp}, lo)
		VPMOVZXWD(Mem{Base: sp, Disp: 32}, hi)
		VPSLLD(U8(16), hi, hi)
	} else {
		for i, z := range []VecVirtual{lo, hi} {
			VCVTPH2PS(Mem{Base: sp, Disp: 32 * i}, z)
			s := ZMM()
			VPSRLD(U8(16), z, s)
			VPANDD(one, s, s)
			VPADDD(s, z, z)
			VPADDD(bias, z, z)
		}
		VPSRLD(U8(16), lo, lo)
		VPSRLD(U8(16), hi, hi)
		VPSLLD(U8(16), hi, hi)
	}
	VPORD(hi, lo, lo)
	VMOVDQU32(lo, Mem{Base: d})
	ADDQ(U8(64), sp)
	ADDQ(U8(64), d)
	DECQ(n)
	JMP(LabelRef(lbl("loop")))
	Label(lbl("done"))
	VZEROUPPER()
	RET()
}
