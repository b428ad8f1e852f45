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
		mask = ZMM()
		t := GP32()
		MOVL(U32(0x0f0f0f0f), t)
		VPBROADCASTD(t, mask)
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
